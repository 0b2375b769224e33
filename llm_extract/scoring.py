"""Score extracted records against labelled ones, field by field.

* letter-level scalars (case number, dates, priority, age, sex): exact match;
* lists (licensure states, specialties, diagnoses): the whole list must match, in order;
* items are aligned to the label's items by request similarity, which gives item
  precision and recall; each aligned pair is then scored field by field;
* Overturned recall, because a pass that always says "Upheld" already scores ~90%;
* the share of letters with every scored field right.

Strings are compared after collapsing whitespace, case and quote glyphs, so a copy's
typography does not count as an error.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .record import IMRRecord, Item

__all__ = [
    "LETTER_FIELDS", "ITEM_FIELDS", "RULES_FIELDS", "FieldScore", "LetterScore", "Score",
    "align_items", "score_letter", "score_records", "canonical",
]

LETTER_FIELDS = (
    "case_number", "date_assigned", "date_of_injury", "decision_date", "ur_denial_date",
    "application_received", "priority", "reviewer.licensure_states", "reviewer.specialties",
    "patient.age", "patient.sex", "diagnoses",
)
ITEM_FIELDS = (
    "request", "decision", "medically_necessary", "treatment", "strength", "quantity", "category",
    "drug_class", "claims_administrator_guideline", "maximus_guideline", "guideline_sources",
    "rationale",
)
#: The fields the deterministic pass reads; the rest need the model.
RULES_FIELDS = frozenset(
    [f for f in LETTER_FIELDS if f != "diagnoses"]
    + [f"item.{f}" for f in ITEM_FIELDS if f not in ("treatment", "category", "drug_class")]
)

_GLYPHS = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2122": '"',
                         "\u2013": "-", "\u2014": "-", "\u00a0": " "})
MATCH_THRESHOLD = 0.6


def canonical(value: Any) -> Any:
    """The form in which two values are compared."""
    if isinstance(value, str):
        s = unicodedata.normalize("NFC", value).translate(_GLYPHS)
        return " ".join(s.split()).casefold()
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def _get(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


@dataclass
class FieldScore:
    """Correct answers out of the number scored."""

    correct: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None

    def add(self, ok: bool) -> None:
        self.correct += ok
        self.total += 1


@dataclass
class LetterScore:
    """How one letter's record compares with its label."""

    name: str
    fields: dict[str, bool] = field(default_factory=dict)
    matched_items: int = 0
    predicted_items: int = 0
    labelled_items: int = 0
    overturned_labelled: int = 0
    overturned_found: int = 0
    upheld_labelled: int = 0
    upheld_found: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all_right(self) -> bool:
        return (all(self.fields.values()) and self.matched_items == self.labelled_items
                == self.predicted_items)


def align_items(predicted: Sequence[Item], labelled: Sequence[Item]) -> list[tuple[int, int]]:
    """Pairs ``(predicted index, labelled index)`` matched by request similarity.

    Greedy on similarity, best pairs first; a pair below ``MATCH_THRESHOLD`` is no match.
    """
    scores = []
    for i, p in enumerate(predicted):
        for j, lab in enumerate(labelled):
            ratio = difflib.SequenceMatcher(None, canonical(p.request), canonical(lab.request)).ratio()
            # Prefer same position on ties: letters list items in order.
            scores.append((ratio, -abs(i - j), i, j))
    scores.sort(reverse=True)
    used_p: set[int] = set()
    used_l: set[int] = set()
    pairs = []
    for ratio, _, i, j in scores:
        if ratio < MATCH_THRESHOLD or i in used_p or j in used_l:
            continue
        used_p.add(i)
        used_l.add(j)
        pairs.append((i, j))
    return sorted(pairs, key=lambda p: p[1])


def score_letter(name: str, predicted: IMRRecord, label: IMRRecord,
                 fields: Iterable[str] | None = None) -> LetterScore:
    """Score one record against its label on ``fields`` (letter fields and ``item.X``)."""
    wanted = set(fields) if fields is not None else set(LETTER_FIELDS) | {f"item.{f}" for f in ITEM_FIELDS}
    out = LetterScore(name=name, predicted_items=len(predicted.items), labelled_items=len(label.items))
    for f in LETTER_FIELDS:
        if f not in wanted:
            continue
        got, want = _get(predicted, f), _get(label, f)
        ok = canonical(got) == canonical(want)
        out.fields[f] = ok
        if not ok:
            out.errors.append({"field": f, "got": _plain(got), "want": _plain(want)})
    pairs = align_items(predicted.items, label.items)
    out.matched_items = len(pairs)
    matched_labels = {j for _, j in pairs}
    for j, lab in enumerate(label.items):
        if lab.decision.value == "Overturned":
            out.overturned_labelled += 1
        else:
            out.upheld_labelled += 1
        if j not in matched_labels:
            out.errors.append({"field": "item", "got": None, "want": lab.request})
    for i, p in enumerate(predicted.items):
        if i not in {i2 for i2, _ in pairs}:
            out.errors.append({"field": "item", "got": p.request, "want": None})
    for i, j in pairs:
        p, lab = predicted.items[i], label.items[j]
        if lab.decision == p.decision:
            if lab.decision.value == "Overturned":
                out.overturned_found += 1
            else:
                out.upheld_found += 1
        for f in ITEM_FIELDS:
            key = f"item.{f}"
            if key not in wanted:
                continue
            got, want = getattr(p, f), getattr(lab, f)
            ok = canonical(got) == canonical(want)
            out.fields[f"{key}[{j}]"] = ok
            if not ok:
                out.errors.append({"field": key, "item": j, "got": _plain(got), "want": _plain(want)})
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "value"):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass
class Score:
    """Totals over a set of letters."""

    letters: list[LetterScore] = field(default_factory=list)

    def field(self, name: str) -> FieldScore:
        """Accuracy of one field; item fields are named ``item.X`` and counted per matched item."""
        fs = FieldScore()
        for ls in self.letters:
            for key, ok in ls.fields.items():
                if key == name or key.split("[")[0] == name:
                    fs.add(ok)
        return fs

    @property
    def field_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for ls in self.letters:
            for key in ls.fields:
                seen.setdefault(key.split("[")[0], None)
        return list(seen)

    @property
    def item_precision(self) -> FieldScore:
        return FieldScore(sum(s.matched_items for s in self.letters), sum(s.predicted_items for s in self.letters))

    @property
    def item_recall(self) -> FieldScore:
        return FieldScore(sum(s.matched_items for s in self.letters), sum(s.labelled_items for s in self.letters))

    @property
    def overturned_recall(self) -> FieldScore:
        return FieldScore(sum(s.overturned_found for s in self.letters),
                          sum(s.overturned_labelled for s in self.letters))

    @property
    def upheld_recall(self) -> FieldScore:
        return FieldScore(sum(s.upheld_found for s in self.letters), sum(s.upheld_labelled for s in self.letters))

    @property
    def letters_all_right(self) -> FieldScore:
        return FieldScore(sum(s.all_right for s in self.letters), len(self.letters))

    def table(self) -> str:
        """A plain-text table of every figure, for the terminal."""
        rows = [(name, self.field(name)) for name in self.field_names]
        rows += [
            ("item precision", self.item_precision),
            ("item recall", self.item_recall),
            ("Upheld recall", self.upheld_recall),
            ("Overturned recall", self.overturned_recall),
            ("letters with every field right", self.letters_all_right),
        ]
        width = max(len(r[0]) for r in rows)
        lines = [f"{'field':<{width}}  {'accuracy':>8}  {'right':>5} / {'of':<5}"]
        for name, fs in rows:
            acc = f"{fs.accuracy:8.1%}" if fs.accuracy is not None else "     n/a"
            lines.append(f"{name:<{width}}  {acc}  {fs.correct:>5} / {fs.total:<5}")
        return "\n".join(lines)


def score_records(pairs: Iterable[tuple[str, IMRRecord, IMRRecord]],
                  fields: Iterable[str] | None = None) -> Score:
    """Score ``(name, predicted, label)`` triples; see :func:`score_letter`."""
    wanted = list(fields) if fields is not None else None
    return Score([score_letter(n, p, lab, wanted) for n, p, lab in pairs])
