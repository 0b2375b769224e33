"""Score extracted records against labelled ones, field by field.

* letter-level scalars (case number, dates, priority, age, sex): exact match;
* lists (licensure states, specialties): the whole list must match, in order;
* diagnoses: precision and recall over one-to-one fuzzy matches (order does not count), and
  their F1; a diagnosis matches a labelled one when their plain forms are at least
  ``DIAGNOSIS_MATCH`` similar (rapidfuzz ratio, case and punctuation ignored);
* item ``treatment`` twice: strict (case and whitespace ignored, as every string) and
  ``treatment_lenient`` (punctuation ignored too: "Post-op" = "Post op");
* items are aligned to the label's items by request similarity, which gives item
  precision and recall; each aligned pair is then scored field by field;
* Upheld and Overturned recall separately, because a pass that always says "Upheld"
  already scores ~90% on decisions;
* the share of letters with every scored field right;
* a 95% Wilson interval on every proportion, a category confusion matrix, and the
  majority-answer baseline for each enumerated field.

A letter whose extraction failed is scored with :func:`failed_letter`: every field it
should have given counts as wrong and every labelled item as missed, so a failure lowers
the figures instead of vanishing from them.

Strings are compared after collapsing whitespace, case and quote glyphs, so a copy's
typography does not count as an error.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from ..reading.normalize import GLYPHS
from ..record import IMRRecord, Item
from .calibration import ITEM_VALUES, ValueScore

__all__ = [
    "LETTER_FIELDS", "ITEM_FIELDS", "RULES_FIELDS", "FieldScore", "LetterScore", "Score",
    "align_items", "diagnosis_matches", "score_letter", "score_records", "canonical", "wilson_interval",
    "failed_letter", "ENUM_FIELDS", "MajorityBaseline", "majority_baseline", "confusion_matrix",
]

LETTER_FIELDS = (
    "case_number", "date_assigned", "date_of_injury", "decision_date", "ur_denial_date",
    "application_received", "priority", "reviewer.licensure_states", "reviewer.specialties",
    "patient.age", "patient.sex",
)
ITEM_FIELDS = (
    "request", "decision", "medically_necessary", "treatment", "strength", "quantity", "category",
    "drug_class", "claims_administrator_guideline", "maximus_guideline", "guideline_sources",
    "rationale", "treatment_lenient",
)
#: The fields the deterministic pass reads (all of them, since it names treatments and
#: reads the summary's diagnosis statements; the model fills only what it left open).
RULES_FIELDS = frozenset(list(LETTER_FIELDS) + [f"item.{f}" for f in ITEM_FIELDS] + ["diagnoses"])
#: Similarity (0-100) at which an extracted diagnosis matches a labelled one.
DIAGNOSIS_MATCH = 85

#: Fields with a closed set of answers: the ones a majority-answer baseline is given for.
ENUM_FIELDS = ("item.decision", "item.category", "item.drug_class", "priority", "patient.sex",
               "item.guideline_sources")
#: z for a two-sided 95% interval.
Z95 = 1.959963984540054

# The reader's glyph table, plus "™" as a quote: a label may hold the mis-encoded closing
# quote of a copy made from the state's PDFs, which normalisation repairs only in context.
_GLYPHS = str.maketrans({**GLYPHS, "\u2122": '"'})
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


def wilson_interval(correct: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval for ``correct`` out of ``total`` (None when nothing was scored).

    Chosen over the normal approximation because it stays inside [0, 1] and is honest at
    0/n and n/n, which small fixture sets hit often.
    """
    if total <= 0:
        return None
    p = correct / total
    z2 = z * z
    denom = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    # Clamp float dust so 0/n starts at exactly 0 and n/n ends at exactly 1.
    return max(0.0, centre - half), min(1.0, centre + half)


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

    @property
    def interval(self) -> tuple[float, float] | None:
        """95% Wilson interval of :attr:`accuracy`."""
        return wilson_interval(self.correct, self.total)

    def add(self, ok: bool) -> None:
        self.correct += ok
        self.total += 1

    def as_dict(self) -> dict[str, Any]:
        """Counts, accuracy and interval, for results.json."""
        ci = self.interval
        return {"correct": self.correct, "total": self.total, "accuracy": self.accuracy,
                "low": ci[0] if ci else None, "high": ci[1] if ci else None}


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
    #: ``(labelled, predicted)`` category of each matched item, for the confusion matrix.
    category_pairs: list[tuple[str | None, str | None]] = field(default_factory=list)
    #: Why the extraction failed; None when it produced a record.
    failed: str | None = None
    #: Diagnoses matched one to one, given, and labelled (None when not scored).
    diagnoses: tuple[int, int, int] | None = None
    #: Each scored item value and extracted diagnosis with its source and confidence.
    values: list[ValueScore] = field(default_factory=list)

    @property
    def all_right(self) -> bool:
        dx_right = self.diagnoses is None or self.diagnoses[0] == self.diagnoses[1] == self.diagnoses[2]
        return (self.failed is None and all(self.fields.values()) and dx_right
                and self.matched_items == self.labelled_items == self.predicted_items)


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


#: What a letter is scored on when the caller names no fields.
_ALL_WANTED = frozenset(LETTER_FIELDS) | {"diagnoses"} | {f"item.{f}" for f in ITEM_FIELDS}

def score_letter(name: str, predicted: IMRRecord, label: IMRRecord,
                 fields: Iterable[str] | None = None) -> LetterScore:
    """Score one record against its label on ``fields`` (letter fields and ``item.X``)."""
    wanted = frozenset(fields) if fields is not None else _ALL_WANTED
    out = LetterScore(name=name, predicted_items=len(predicted.items), labelled_items=len(label.items))
    for f in LETTER_FIELDS:
        if f not in wanted:
            continue
        got, want = _get(predicted, f), _get(label, f)
        ok = canonical(got) == canonical(want)
        out.fields[f] = ok
        if not ok:
            out.errors.append({"field": f, "got": _plain(got), "want": _plain(want)})
    if "diagnoses" in wanted:
        hits = diagnosis_matches(predicted.diagnoses, label.diagnoses)
        matched = len(hits)
        out.diagnoses = (matched, len(predicted.diagnoses), len(label.diagnoses))
        for i in range(len(predicted.diagnoses)):
            conf = predicted.confidence.get(f"diagnoses.{i}")
            if conf is not None:
                out.values.append(ValueScore("diagnosis", conf.source.value, conf.score, i in hits,
                                             tuple(conf.reasons)))
        # Every diagnosis matched one to one, none extra: the letter's list is right.
        out.fields["diagnoses"] = matched == len(predicted.diagnoses) == len(label.diagnoses)
        if matched < max(len(predicted.diagnoses), len(label.diagnoses)):
            out.errors.append({"field": "diagnoses", "got": predicted.diagnoses, "want": label.diagnoses})
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
        out.category_pairs.append((_plain(lab.category), _plain(p.category)))
        if lab.decision == p.decision:
            if lab.decision.value == "Overturned":
                out.overturned_found += 1
            else:
                out.upheld_found += 1
        for f in ITEM_FIELDS:
            key = f"item.{f}"
            if key not in wanted:
                continue
            if f == "treatment_lenient":
                got, want = p.treatment, lab.treatment
                ok = _lenient(got) == _lenient(want)
            else:
                got, want = getattr(p, f), getattr(lab, f)
                ok = canonical(got) == canonical(want)
            out.fields[f"{key}[{j}]"] = ok
            if not ok:
                out.errors.append({"field": key, "item": j, "got": _plain(got), "want": _plain(want)})
            # The treatment's confidence is scored against the lenient comparison, as reported.
            value = "treatment" if f == "treatment_lenient" else None if f == "treatment" else f
            conf = p.confidence.get(value) if value in ITEM_VALUES else None
            if conf is not None and value is not None:
                out.values.append(ValueScore(value, conf.source.value, conf.score, ok, tuple(conf.reasons)))
    return out


def _lenient(value: str | None) -> str | None:
    if value is None:
        return None
    return " ".join(re.sub(r"[^\w]+", " ", canonical(value)).split())


def match_diagnoses(predicted: Sequence[str], labelled: Sequence[str]) -> int:
    """How many of ``predicted`` match a distinct labelled diagnosis (greedy on similarity)."""
    return len(diagnosis_matches(predicted, labelled))


def diagnosis_matches(predicted: Sequence[str], labelled: Sequence[str]) -> set[int]:
    """The indices of ``predicted`` that match a distinct labelled diagnosis (greedy on similarity)."""
    pairs = sorted(
        ((fuzz.ratio(_lenient(p) or "", _lenient(w) or ""), i, j)
         for i, p in enumerate(predicted) for j, w in enumerate(labelled)),
        reverse=True,
    )
    used_p: set[int] = set()
    used_l: set[int] = set()
    for score, i, j in pairs:
        if score < DIAGNOSIS_MATCH:
            break
        if i not in used_p and j not in used_l:
            used_p.add(i)
            used_l.add(j)
    return used_p


def failed_letter(name: str, label: IMRRecord, reason: str,
                  fields: Iterable[str] | None = None) -> LetterScore:
    """The score of a letter whose extraction failed: every letter field wrong, every item missed.

    Item fields are scored per matched item, so a failed letter adds no item-field counts;
    it shows in item recall, decision recall and letters-all-right instead.
    """
    wanted = frozenset(fields) if fields is not None else _ALL_WANTED
    out = LetterScore(name=name, labelled_items=len(label.items), failed=reason)
    out.fields = {f: False for f in LETTER_FIELDS if f in wanted}
    if "diagnoses" in wanted:
        out.diagnoses = (0, 0, len(label.diagnoses))
    out.overturned_labelled = sum(it.decision.value == "Overturned" for it in label.items)
    out.upheld_labelled = len(label.items) - out.overturned_labelled
    out.errors.append({"field": "letter", "got": f"failed: {reason}", "want": None})
    return out


def confusion_matrix(pairs: Iterable[tuple[str | None, str | None]]) -> dict[str, dict[str, int]]:
    """``{labelled: {predicted: count}}`` over ``(labelled, predicted)`` pairs; None reads "none"."""
    out: dict[str, dict[str, int]] = {}
    for want, got in pairs:
        row = out.setdefault(want or "none", {})
        row[got or "none"] = row.get(got or "none", 0) + 1
    return out


@dataclass
class MajorityBaseline:
    """The score of always giving the most common labelled answer, field by field."""

    answers: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, FieldScore] = field(default_factory=dict)
    upheld_recall: FieldScore = field(default_factory=FieldScore)
    overturned_recall: FieldScore = field(default_factory=FieldScore)


def majority_baseline(labels: Sequence[IMRRecord], fields: Sequence[str] = ENUM_FIELDS) -> MajorityBaseline:
    """Score "always answer the majority label" on each enumerated field.

    The majority is taken over all ``labels`` and scored on the same labels (not
    leave-one-out), so it is slightly flattering to the baseline; item fields count every
    labelled item, as if the baseline had found the items.
    """
    out = MajorityBaseline()
    for name in fields:
        if name.startswith("item."):
            values = [getattr(it, name[5:]) for lab in labels for it in lab.items]
        else:
            values = [_get(lab, name) for lab in labels]
        if not values:
            continue
        # Count on the compared form; lists (guideline_sources) become hashable tuples.
        keys = [_hashable(canonical(v)) for v in values]
        # Ties break on first appearance, which Counter.most_common keeps.
        top, hits = Counter(keys).most_common(1)[0]
        out.answers[name] = _plain(values[keys.index(top)])
        out.fields[name] = FieldScore(hits, len(values))
    decisions = [it.decision.value for lab in labels for it in lab.items]
    majority = out.answers.get("item.decision")
    n_up, n_over = decisions.count("Upheld"), decisions.count("Overturned")
    out.upheld_recall = FieldScore(n_up if majority == "Upheld" else 0, n_up)
    out.overturned_recall = FieldScore(n_over if majority == "Overturned" else 0, n_over)
    return out


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


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
    def diagnoses_precision(self) -> FieldScore:
        """Extracted diagnoses that match a labelled one, of all extracted."""
        scored = [s.diagnoses for s in self.letters if s.diagnoses is not None]
        return FieldScore(sum(d[0] for d in scored), sum(d[1] for d in scored))

    @property
    def diagnoses_recall(self) -> FieldScore:
        """Labelled diagnoses found, of all labelled."""
        scored = [s.diagnoses for s in self.letters if s.diagnoses is not None]
        return FieldScore(sum(d[0] for d in scored), sum(d[2] for d in scored))

    @property
    def diagnoses_f1(self) -> float | None:
        p, r = self.diagnoses_precision.accuracy, self.diagnoses_recall.accuracy
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        return 2 * p * r / (p + r)

    @property
    def letters_all_right(self) -> FieldScore:
        return FieldScore(sum(s.all_right for s in self.letters), len(self.letters))

    @property
    def failed(self) -> list[LetterScore]:
        """Letters whose extraction failed (scored, not dropped)."""
        return [s for s in self.letters if s.failed is not None]

    @property
    def values(self) -> list[ValueScore]:
        """Every scored value with its source and confidence (see :mod:`calibration`)."""
        return [v for s in self.letters for v in s.values]

    def category_confusion(self) -> dict[str, dict[str, int]]:
        """Labelled category to predicted category, over matched items."""
        return confusion_matrix(p for s in self.letters for p in s.category_pairs)

    def table(self) -> str:
        """A plain-text table of every figure, for the terminal."""
        rows = [(name, self.field(name)) for name in self.field_names]
        rows += [
            ("item precision", self.item_precision),
            ("item recall", self.item_recall),
            ("Upheld recall", self.upheld_recall),
            ("Overturned recall", self.overturned_recall),
            ("letters with every field right", self.letters_all_right),
            ("diagnoses precision", self.diagnoses_precision),
            ("diagnoses recall", self.diagnoses_recall),
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
