"""results.json as typed models: written by the evaluation, validated when read back.

:class:`Results` is the file; each run is a :class:`RunEntry`, each letter of a run a
:class:`LetterResult` whose ``cost`` is a :class:`LetterCost` (the shared
:class:`~llm_extract.cost.Cost` with the letter's failure). The evaluation builds these and
dumps them, so what :func:`~llm_extract.evaluation.runner.load_results` validates is what was
written.

Older results.json files load too: every part added since the first committed report
(a run's ``confidence`` and ``splits``, the file's ``held_out_splits`` and
``withheld_letters``, the summary's ``diagnoses_f1`` and ``no_call_share``) has a default,
and keys this module does not know are kept as they are (``extra="allow"``). The figures
inside ``metrics``, ``confidence`` and ``majority_baseline`` stay plain mappings: they are
the scoring modules' own ``as_dict()`` forms, read by name.

:class:`LedgerEntry` is what the evaluation keeps beside the cached answers for a letter
(``{"kind": "cost", "cost": {...}}`` or ``{"kind": "failure", "error", "error_type", "cost"}``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_serializer

from ..cost import Cost

__all__ = ["LetterCost", "LetterResult", "RunSummary", "RunEntry", "Results", "LedgerEntry"]


class LetterCost(Cost):
    """What extracting one letter cost in one run, and how it failed if it did.

    ``name`` is the letter's; results.json keeps it on the letter, not in its ``cost``.
    """

    name: str = Field(default="", exclude=True)
    failed: str | None = None
    error_type: str | None = None


class _Open(BaseModel):
    # Keys a later version adds (or an older one had) survive a read and a write.
    model_config = ConfigDict(extra="allow", protected_namespaces=())


class LetterResult(_Open):
    """One letter of one run: which fields were right, the items found, the errors, the cost."""

    name: str
    failed: str | None = None
    all_right: bool = False
    fields: dict[str, bool] = Field(default_factory=dict)
    matched_items: int = 0
    predicted_items: int = 0
    labelled_items: int = 0
    #: ``[found, labelled]`` items decided so.
    upheld: list[int] = Field(default_factory=lambda: [0, 0])
    overturned: list[int] = Field(default_factory=lambda: [0, 0])
    errors: list[dict[str, Any]] = Field(default_factory=list)
    #: A held-out letter's count of wrong answers, written instead of listing them; absent otherwise.
    errors_withheld: int | None = None
    cost: LetterCost = Field(default_factory=LetterCost)

    @model_serializer(mode="wrap")
    def _drop_absent_withheld(self, handler: Any) -> dict[str, Any]:
        # The key is written for held-out letters only, so its absence says "listed in full".
        out: dict[str, Any] = handler(self)
        if out.get("errors_withheld") is None:
            out.pop("errors_withheld", None)
        return out


class RunSummary(_Open):
    """A run's counts and per-letter means (means over letters whose cost is known; None if none)."""

    letters: int = 0
    failed: int = 0
    reasked: int = 0
    cost_unknown: int = 0
    cache_hits: int = 0
    seconds_per_letter: float | None = None
    prompt_tokens_per_letter: float | None = None
    completion_tokens_per_letter: float | None = None
    model_calls_per_letter: float | None = None
    reasks_per_letter: float | None = None
    mean_field_accuracy: float | None = None
    diagnoses_f1: float | None = None
    no_call_share: float | None = None


class RunEntry(_Open):
    """One run (rules-only, or a prompt × model): settings, figures, and every letter."""

    name: str
    prompt: str | None = None
    model: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    fields_scored: list[str] = Field(default_factory=list)
    summary: RunSummary = Field(default_factory=RunSummary)
    #: Each field's and summary figure's ``FieldScore.as_dict()``.
    metrics: dict[str, dict[str, Any]] = Field(default_factory=dict)
    category_confusion: dict[str, dict[str, int]] = Field(default_factory=dict)
    confidence: dict[str, Any] | None = None
    #: Per fixture split: its ``summary``, ``metrics`` and ``confidence``.
    splits: dict[str, dict[str, Any]] | None = None
    letters: list[LetterResult] = Field(default_factory=list)

    def letter(self, name: str) -> LetterResult | None:
        """This run's result for the letter called ``name``, if it has one."""
        return next((ls for ls in self.letters if ls.name == name), None)

    @model_serializer(mode="wrap")
    def _drop_absent_parts(self, handler: Any) -> dict[str, Any]:
        # A run read from an older file had no confidence or splits: do not invent empty ones.
        out: dict[str, Any] = handler(self)
        for key in ("confidence", "splits"):
            if out.get(key) is None:
                out.pop(key, None)
        return out


class Results(_Open):
    """An evaluation's results.json."""

    project: Literal["llm-extract"] = "llm-extract"
    version: str = ""
    created: str = ""
    python: str = ""
    fixtures: str = ""
    letters: list[str] = Field(default_factory=list)
    labelled_items: int = 0
    seconds: float = 0.0
    read_seconds: float = 0.0
    majority_baseline: dict[str, Any] = Field(default_factory=dict)
    held_out_splits: list[str] = Field(default_factory=list)
    withheld_letters: list[str] = Field(default_factory=list)
    runs: list[RunEntry]
    baseline: str | None = None
    changes: list[dict[str, Any]] = Field(default_factory=list)

    def run(self, name: str) -> RunEntry | None:
        """The run called ``name``, if there is one."""
        return next((r for r in self.runs if r.name == name), None)


class LedgerEntry(BaseModel):
    """What the evaluation stores beside a letter's cached answers: its measured cost, or its failure."""

    kind: Literal["cost", "failure"]
    cost: Cost = Field(default_factory=Cost)
    error: str | None = None
    error_type: str | None = None

    def stored(self) -> dict[str, Any]:
        """The entry as the cache holds it: the measured counts only, the failure keys only on a failure."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind == "failure":
            out |= {"error": self.error, "error_type": self.error_type}
        return out | {"cost": self.cost.spent()}
