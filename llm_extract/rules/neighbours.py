"""Category and drug class from the nearest labelled requests, for requests the rules cannot place.

The project holds about 2,000 labelled request wordings (the dev fixtures' items, the written
sets in ``evals/wordings/`` and the conventions poll), shipped as
``llm_extract/data/labelled_requests.jsonl`` (built by ``evals/benchmarks/build_neighbours.py``).
A request the word lists and the guideline topic cannot place is often a light variant of a
labelled one ("Fexmid 7.5mg #60" beside "Fexmid 7.5 mg, 1 tab TID"): :func:`nearest` finds the
closest labelled requests and :func:`vote` answers where the nearest labels agree.

Both sides are compared as the rules' treatment name (:func:`treatment_name`), lower-cased,
with digits, dose units and sig shorthand taken out, by rapidfuzz's ``token_sort_ratio``;
``evals/benchmarks/neighbour_study.py`` measured the alternatives (``token_set_ratio``,
``WRatio``, the raw request instead of the name) and chose this and the thresholds below on
dev evidence. The rules and the neighbours learnt from the same rows, so a vote that differs
from a rules answer was almost never right in that study: use a vote where the rules are
silent, not to overrule them.

A row carries the sha256 of the letter it was labelled from (dev fixtures only): passing a
letter's hash as ``exclude_letter`` keeps that letter's own labels out, which an evaluation
over the dev letters must do.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from ..errors import ConfigError
from ..record import Category, DrugClass
from .treatment import treatment_name
from .treatment_doubt import known_words_from

__all__ = ["Neighbour", "Vote", "LabelledRequest", "LabelledTable", "load_table", "normalise", "decide",
           "nearest", "vote", "treatment_words", "DEFAULT_PATH", "K", "MIN_SIMILARITY", "MIN_AGREEMENT"]

#: The shipped table (package data).
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "data" / "labelled_requests.jsonl"

# Chosen by evals/benchmarks/neighbour_study.py, leave-one-origin-out over the table: on the
# simulated open rows (a labelled request whose deciding word is misspelt, so the rules fail)
# this covers 77% of categories at 98% accuracy and 77% of drug classes at 99%, and 86% of all
# rows at 99%. A floor of 0.80 covered 65% (99%); one neighbour alone covered 82% (98%) but
# with no second opinion; token_set_ratio and WRatio were less accurate at like coverage.
#: How many nearest labelled requests vote.
K = 3
#: The lowest similarity (0-1) a neighbour may have to vote.
MIN_SIMILARITY = 0.70
#: The share of the voting neighbours that must carry the winning label.
MIN_AGREEMENT = 1.0


@dataclass(frozen=True)
class Neighbour:
    """A labelled request near the one asked about; ``similarity`` is in [0, 1]."""

    request: str
    treatment: str
    category: Category
    drug_class: DrugClass | None
    similarity: float
    origin: str


@dataclass(frozen=True)
class Vote:
    """What the nearest labels agree on.

    ``agreement`` is the share of the voting neighbours (the ``k`` nearest at or above the
    similarity floor) that carry ``category``; ``drug_class`` is given only where as large
    a share of them also agree on it (else ``None``, also for a pharmaceutical).
    ``similarity`` is the nearest agreeing neighbour's; ``support`` are the agreeing ones.
    """

    category: Category
    drug_class: DrugClass | None
    agreement: float
    similarity: float
    support: tuple[Neighbour, ...]


# Dose, strength and quantity notation, and the sig and lead-in shorthand that carry no kind.
_DOSE = re.compile(r"\d+(?:[.,/-]\d+)*\s*(?:mg|mcg|gm?s?|ml|cc|oz|%|iu|units?|meq)?\b", re.I)
_NOISE = frozenset(
    "mg mcg g gm gms ml cc oz iu unit units meq qty quantity tab tabs tablet tablets cap caps capsule "
    "capsules po prn bid tid qid qd qhs hs q h hr hrs x refill refills dos rx retro retrospective "
    "request of the a an for and with to per times time day days week weeks month months daily".split())


@lru_cache(maxsize=8192)  # a corpus repeats its requests
def normalise(text: str) -> str:
    """``text`` as compared: lower case, no digits, doses, punctuation or sig shorthand."""
    words = re.findall(r"[a-z]+", _DOSE.sub(" ", text.lower()))
    return " ".join(w for w in words if w not in _NOISE)


def _name_key(request: str) -> str:
    # The rules' name is asked without a category: a request that reaches the neighbours is
    # one the rules could not place, and the table's rows are keyed the same way.
    return normalise(treatment_name(request, None))


@dataclass(frozen=True)
class LabelledRequest:
    """One row of the table: a request wording and its labels."""

    request: str
    treatment: str
    category: Category
    drug_class: DrugClass | None
    origin: str  # "dev:<label file>", "wordings:<file>", "conventions:wordings"
    letter_sha256: str | None  # the labelled letter's Letter.sha256 (dev rows only)
    #: The labelled letter's case number (dev rows with a header): the same whichever PDF
    #: reader made the text, where the sha256 is not.
    case_number: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """The row as the data file writes it."""
        return {"request": self.request, "treatment": self.treatment, "category": self.category.value,
                "drug_class": self.drug_class.value if self.drug_class else None, "origin": self.origin,
                "letter_sha256": self.letter_sha256, "case_number": self.case_number}


class LabelledTable:
    """Labelled requests and the index over them; :func:`load_table` builds one from a file."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], *, source: str = "<rows>",
                 scorer: Callable[..., float] = fuzz.token_sort_ratio,
                 key: Callable[[str], str] = _name_key) -> None:
        """Validate ``rows`` (dicts with the data file's fields); a bad one is a :class:`ConfigError`.

        ``scorer`` (a rapidfuzz scorer, 0-100) and ``key`` (request → compared text) are
        the study's knobs; the defaults are the chosen ones.
        """
        self._rows = [_check(row, f"{source}:{n}") for n, row in enumerate(rows, 1)]
        self._scorer = scorer
        self._key = key
        self._keys = [key(r.request) for r in self._rows]
        # An excluded letter's rows are dropped after the search, so it asks for that many more.
        per_letter = Counter(r.letter_sha256 for r in self._rows if r.letter_sha256)
        self._most_per_letter = max(per_letter.values(), default=0)

    @property
    def rows(self) -> tuple[LabelledRequest, ...]:
        """The validated rows, in file order."""
        return tuple(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def nearest(self, request: str, *, k: int = 5, exclude_letter: Exclude = None,
                exclude_origin: str | None = None, min_similarity: float = 0.0) -> list[Neighbour]:
        """The ``k`` labelled requests most like ``request``, nearest first.

        Rows labelled from the letter ``exclude_letter`` names (its sha256 or case number, or
        several such keys), or from ``exclude_origin``, never appear.
        """
        query = self._key(request)
        if not query or k <= 0:
            return []
        keys = _keys(exclude_letter)
        extra = self._most_per_letter if keys else 0
        if exclude_origin:
            extra = len(self._rows)  # the study's setting: rare and not time-critical
        hits = process.extract(query, self._keys, scorer=self._scorer, limit=k + extra,
                               score_cutoff=min_similarity * 100)
        found: list[Neighbour] = []
        for _, score, i in hits:
            row = self._rows[i]
            if _excluded(row, keys) or (
                    exclude_origin and row.origin == exclude_origin):
                continue
            found.append(Neighbour(row.request, row.treatment, row.category, row.drug_class,
                                   round(score / 100, 4), row.origin))
            if len(found) == k:
                break
        return found

    def vote(self, request: str, *, exclude_letter: Exclude = None, exclude_origin: str | None = None,
             k: int = K, min_similarity: float = MIN_SIMILARITY,
             min_agreement: float = MIN_AGREEMENT) -> Vote | None:
        """The label the nearest agree on (see :func:`decide`), or ``None``."""
        found = self.nearest(request, k=k, exclude_letter=exclude_letter, exclude_origin=exclude_origin,
                             min_similarity=min_similarity)
        return decide(found, min_agreement=min_agreement)


def decide(neighbours: list[Neighbour], *, min_agreement: float = MIN_AGREEMENT) -> Vote | None:
    """The category (and class) held by at least ``min_agreement`` of ``neighbours``, or ``None``."""
    if not neighbours:
        return None
    (category, count), = Counter(n.category for n in neighbours).most_common(1)
    agreement = count / len(neighbours)
    if agreement < min_agreement or (count * 2 <= len(neighbours)):  # a tie is no agreement
        return None
    support = tuple(n for n in neighbours if n.category is category)
    drug_class = None
    if category is Category.PHARMACEUTICAL:
        (cls, n_cls), = Counter(n.drug_class for n in support).most_common(1)
        if n_cls / len(neighbours) >= min_agreement and n_cls * 2 > len(neighbours):
            drug_class = cls
            support = tuple(n for n in support if n.drug_class is cls)
    return Vote(category, drug_class, round(agreement, 4), support[0].similarity, support)


#: What names a letter whose own labelled rows are left out: its sha256 or case number, or several.
Exclude = str | Iterable[str] | None

_FIELDS = frozenset({"request", "treatment", "category", "drug_class", "origin", "letter_sha256"})
_OPTIONAL = frozenset({"case_number"})


def _check(row: Mapping[str, Any], where: str) -> LabelledRequest:
    if not isinstance(row, Mapping) or not _FIELDS <= set(row) <= _FIELDS | _OPTIONAL:
        raise ConfigError(f"a labelled request needs exactly the fields {sorted(_FIELDS)} "
                          f"(and optionally {sorted(_OPTIONAL)})", source=where)
    for field in ("request", "treatment", "origin"):
        if not isinstance(row[field], str) or not row[field].strip():
            raise ConfigError(f"{field} must be a non-empty string", source=where)
    if row["letter_sha256"] is not None and not re.fullmatch(r"[0-9a-f]{64}", str(row["letter_sha256"])):
        raise ConfigError("letter_sha256 must be a sha256 hex digest or null", source=where)
    if row.get("case_number") is not None and not re.fullmatch(r"CM\d{2}-\d{7}", str(row["case_number"])):
        raise ConfigError("case_number must be of the form CM00-0000000 or null", source=where)
    try:
        category = Category(row["category"])
    except ValueError:
        raise ConfigError(f"unknown category {row['category']!r}", source=where) from None
    try:
        drug_class = None if row["drug_class"] is None else DrugClass(row["drug_class"])
    except ValueError:
        raise ConfigError(f"unknown drug_class {row['drug_class']!r}", source=where) from None
    if drug_class is not None and category is not Category.PHARMACEUTICAL:
        raise ConfigError("drug_class is only for pharmaceutical rows", source=where)
    return LabelledRequest(row["request"], row["treatment"], category, drug_class, row["origin"], row["letter_sha256"],
                           row.get("case_number"))


def load_table(path: str | os.PathLike[str] | None = None) -> LabelledTable:
    """Read and validate a labelled-request file (JSON lines); the shipped one by default.

    A line that is not a JSON object with the expected fields and values is a
    :class:`ConfigError` naming the file and line.
    """
    p = Path(path) if path is not None else DEFAULT_PATH
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the labelled requests ({exc.strerror})", source=str(p)) from None
    rows = []
    for n, line in enumerate(lines, 1):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not JSON ({exc.msg})", source=f"{p}:{n}") from None
    return LabelledTable(rows, source=str(p))


_lock = threading.Lock()
_default: LabelledTable | None = None


def _table() -> LabelledTable:
    global _default
    if _default is None:
        with _lock:
            if _default is None:  # another thread may have loaded it while this one waited
                _default = load_table()
    return _default


def nearest(request: str, *, k: int = 5, exclude_letter: Exclude = None) -> list[Neighbour]:
    """The ``k`` shipped labelled requests most like ``request``, nearest first.

    ``exclude_letter`` (a letter's sha256 or case number, or several) keeps that letter's own
    labelled items out.
    """
    return _table().nearest(request, k=k, exclude_letter=exclude_letter)


def vote(request: str, *, exclude_letter: Exclude = None) -> Vote | None:
    """The label the nearest shipped requests agree on, or ``None`` where they disagree or are too far.

    The ``K`` nearest at ``MIN_SIMILARITY`` or closer vote; a label held by ``MIN_AGREEMENT``
    of them wins. ``exclude_letter`` as for :func:`nearest`.
    """
    return _table().vote(request, exclude_letter=exclude_letter)


_words: tuple[Counter[str], dict[str, Counter[str]], frozenset[str]] | None = None


def treatment_words(*, exclude_letter: Exclude = None) -> frozenset[str]:
    """The vocabulary of the shipped table's labelled treatment names (see ``known_words_from``).

    A rules-written name is checked against it (a word no labelled name uses is a doubt).
    ``exclude_letter`` (as for :func:`nearest`) leaves out the names labelled from that letter, so
    an evaluated dev letter is not vouched for by its own label.
    """
    global _words
    if _words is None:
        counts: Counter[str] = Counter()
        by_letter: dict[str, Counter[str]] = {}
        for row in _table().rows:
            words = known_words_from([row.treatment])
            counts.update(words)
            # One counter per letter, under the case number where the row has one: the same
            # whichever PDF reader made the text, where the sha256 is not.
            key = row.case_number or row.letter_sha256
            if key:
                by_letter.setdefault(key, Counter()).update(words)
        # One assignment: a racing thread builds the same tables.
        _words = (counts, by_letter, frozenset(counts))
    counts, by_letter, every = _words
    own = next((by_letter[k] for k in _keys(exclude_letter) if k in by_letter), None)
    if own is None:
        return every
    return frozenset(w for w, n in counts.items() if n > own.get(w, 0))


def _keys(exclude: Exclude) -> frozenset[str]:
    if exclude is None:
        return frozenset()
    return frozenset([exclude]) if isinstance(exclude, str) else frozenset(k for k in exclude if k)


def _excluded(row: LabelledRequest, keys: frozenset[str]) -> bool:
    return bool(keys) and (row.letter_sha256 in keys or row.case_number in keys)
