"""Accuracy by source, and how well the confidence scores pick out the wrong values.

Every scored item value (``treatment`` leniently, ``category``, ``drug_class``) and every
extracted diagnosis becomes one :class:`ValueScore`: what answered it, its confidence, and
whether it matches the label. From those:

* :func:`by_source`: accuracy and count per field and source, so a change shows where it helped;
* :func:`risk_coverage`: for each threshold, the share of values flagged for review (score
  below it), the accuracy of the values kept, and the share of the wrong values caught;
* :func:`at_threshold`: the same figures at one threshold (the review threshold set on dev);
* :func:`left_open`: the categories the rules left open or contested, by who answered them;
* :func:`confidence_dict`: all of the above for one run, as results.json keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..rules.confidence import DIAGNOSIS_REVIEW_THRESHOLD, REVIEW_THRESHOLD

__all__ = ["ValueScore", "Flagging", "ITEM_VALUES", "by_source", "risk_coverage", "at_threshold", "left_open",
           "confidence_dict"]

#: The item values that carry a confidence, as scored (treatment leniently).
ITEM_VALUES = ("treatment", "category", "drug_class")


@dataclass(frozen=True)
class ValueScore:
    """One scored value: field (``treatment``, ``category``, ``drug_class``, ``diagnosis``), source, score, right."""

    field: str
    source: str
    score: float
    ok: bool
    reasons: tuple[str, ...] = ()

    def as_list(self) -> list[object]:
        """Compact form for results.json."""
        return [self.field, self.source, self.score, self.ok]


@dataclass(frozen=True)
class Flagging:
    """What a threshold flags among a set of values."""

    threshold: float
    values: int
    flagged: int
    wrong: int
    wrong_flagged: int
    kept_right: int

    @property
    def flagged_share(self) -> float | None:
        return self.flagged / self.values if self.values else None

    @property
    def caught_share(self) -> float | None:
        """Share of the wrong values that are flagged (None when nothing is wrong)."""
        return self.wrong_flagged / self.wrong if self.wrong else None

    @property
    def kept_accuracy(self) -> float | None:
        kept = self.values - self.flagged
        return self.kept_right / kept if kept else None

    def as_dict(self) -> dict[str, object]:
        return {"threshold": self.threshold, "values": self.values, "flagged": self.flagged,
                "wrong": self.wrong, "wrong_flagged": self.wrong_flagged,
                "flagged_share": self.flagged_share, "caught_share": self.caught_share,
                "kept_accuracy": self.kept_accuracy}


def by_source(values: Iterable[ValueScore]) -> dict[str, dict[str, tuple[int, int]]]:
    """``{field: {source: (right, total)}}``, fields and sources in first-seen order."""
    out: dict[str, dict[str, list[int]]] = {}
    for v in values:
        cell = out.setdefault(v.field, {}).setdefault(v.source, [0, 0])
        cell[0] += v.ok
        cell[1] += 1
    return {f: {s: (c[0], c[1]) for s, c in sources.items()} for f, sources in out.items()}


def at_threshold(values: Sequence[ValueScore], threshold: float) -> Flagging:
    """What flagging every value scored below ``threshold`` catches."""
    flagged = [v for v in values if v.score < threshold]
    return Flagging(
        threshold=threshold,
        values=len(values),
        flagged=len(flagged),
        wrong=sum(not v.ok for v in values),
        wrong_flagged=sum(not v.ok for v in flagged),
        kept_right=sum(v.ok for v in values if v.score >= threshold),
    )


def risk_coverage(values: Sequence[ValueScore]) -> list[Flagging]:
    """One :class:`Flagging` per distinct score (as a threshold just above it), from none flagged to all."""
    cuts = sorted({v.score for v in values})
    # A threshold just above each distinct score flags that score and every lower one.
    thresholds = [0.0] + [round(c + 1e-6, 7) for c in cuts]
    return [at_threshold(values, t) for t in thresholds]


def left_open(values: Iterable[ValueScore]) -> dict[str, tuple[int, int]]:
    """The categories the rules' words, topic and dictionary left open or contested, by who answered.

    ``{source: (right, total)}`` plus ``"all"``: a category answered by the neighbours or the
    model, left unanswered, or whose two rule readings disagreed (reason ``contested``).
    """
    out: dict[str, list[int]] = {"all": [0, 0]}
    for v in values:
        if v.field != "category":
            continue
        if v.source in ("neighbours", "model", "none") or "contested" in v.reasons:
            who = v.source if v.source in ("neighbours", "model", "none") else "contest kept by rules"
            for key in ("all", who):
                cell = out.setdefault(key, [0, 0])
                cell[0] += v.ok
                cell[1] += 1
    return {k: (c[0], c[1]) for k, c in out.items()}


def confidence_dict(values: Sequence[ValueScore], threshold: float | None = None) -> dict[str, Any]:
    """Accuracy by source, the risk–coverage curve and the review threshold's catch, for results.json.

    Item values (treatment, category, drug class) and diagnoses are flagged separately: the
    review targets are stated for item values.
    """
    cut = REVIEW_THRESHOLD if threshold is None else threshold
    items = [v for v in values if v.field in ITEM_VALUES]
    diagnoses = [v for v in values if v.field == "diagnosis"]
    return {
        "threshold": cut,
        "diagnosis_threshold": DIAGNOSIS_REVIEW_THRESHOLD,
        "by_source": {f: {src: {"correct": c, "total": t} for src, (c, t) in srcs.items()}
                      for f, srcs in by_source(values).items()},
        "item_values": at_threshold(items, cut).as_dict(),
        "diagnoses": at_threshold(diagnoses, DIAGNOSIS_REVIEW_THRESHOLD).as_dict(),
        "risk_coverage": [f.as_dict() for f in risk_coverage(items)],
        "left_open": {who: {"correct": c, "total": t} for who, (c, t) in left_open(values).items()},
    }
