"""The IMR record: the pydantic models that every extraction returns.

Field names follow the contract in ``imr-schema.md`` (the JSON keys of a serialized record).
Beside the contract's fields a record carries ``evidence`` (character spans into the
normalised letter text), ``confidence`` (what answered each item value and diagnosis, and how
sure the pipeline is of it), ``needs_review`` (the values below the review threshold),
``warnings`` from the cross-checks, and ``provenance``.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "SCHEMA_VERSION",
    "Category",
    "Confidence",
    "Decision",
    "DrugClass",
    "ExtractionWarning",
    "GuidelineSource",
    "IMRRecord",
    "Item",
    "Patient",
    "Priority",
    "Provenance",
    "Reviewer",
    "Span",
    "ValueSource",
]

#: Bumped whenever a field changes meaning; part of the model-answer cache key.
SCHEMA_VERSION = "1"


class Decision(StrEnum):
    UPHELD = "Upheld"
    OVERTURNED = "Overturned"


class Priority(StrEnum):
    STANDARD = "Standard"
    EXPEDITED = "Expedited"


class Category(StrEnum):
    PHARMACEUTICAL = "pharmaceutical"
    DIAGNOSTIC = "diagnostic"
    REHABILITATION = "rehabilitation"
    DURABLE_MEDICAL_EQUIPMENT = "durable_medical_equipment"
    SURGERY = "surgery"
    INJECTION = "injection"
    EVALUATION_MANAGEMENT = "evaluation_management"
    PROGRAM = "program"
    BEHAVIORAL_MENTAL_HEALTH = "behavioral_mental_health"
    HOME_HEALTH = "home_health"
    OTHER = "other"


class DrugClass(StrEnum):
    OPIOID = "opioid"
    MUSCLE_RELAXANT = "muscle_relaxant"
    NSAID = "nsaid"
    TOPICAL = "topical"
    ANTICONVULSANT = "anticonvulsant"
    ANTIDEPRESSANT = "antidepressant"
    BENZODIAZEPINE = "benzodiazepine"
    SLEEP_AID = "sleep_aid"
    GASTROINTESTINAL = "gastrointestinal"
    OTHER = "other"


class GuidelineSource(StrEnum):
    MTUS = "MTUS"
    ACOEM = "ACOEM"
    ODG = "ODG"
    OTHER = "other"


class _Model(BaseModel):
    # Unknown keys are an error: a typo in a fixture label must not pass silently.
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class Span(_Model):
    """A half-open character range ``[start, end)`` in the normalised letter text.

    ``source`` says which pass read the value there: the deterministic ``rules`` or the
    ``model`` (whose values are located in the text after the answer validates).
    """

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    source: Literal["rules", "model"] = "rules"

    # Immutable: the rules' cached readings hand out spans, which must not change under them.
    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.end < self.start:
            raise ValueError(f"span end {self.end} is before its start {self.start}")
        return self

    @classmethod
    def at(cls, start: int, end: int, source: Literal["rules", "model"] = "rules") -> Span:
        """The span ``[start, end)``: the positional form the rules use."""
        return cls(start=start, end=end, source=source)

    def shift(self, offset: int) -> Span:
        """This span moved by ``offset``: from a substring's offsets to the text that holds it."""
        return Span(start=self.start + offset, end=self.end + offset, source=self.source)

    def of(self, text: str) -> str:
        """The part of ``text`` this span covers."""
        return text[self.start:self.end]


class ValueSource(StrEnum):
    """What answered a value (see :class:`Confidence`)."""

    WORDS = "words"  # the request's own words, by the category/drug word lists
    TOPIC = "topic"  # the topic the MAXIMUS guideline line cites
    DICTIONARY = "dictionary"  # the maintained drug dictionary (brand/generic names)
    NEIGHBOURS = "neighbours"  # the nearest labelled request wordings, where their labels agree
    MODEL = "model"  # the model, asked because the sources above left the value open
    RULES = "rules"  # a name or statement read by rule (treatment names, diagnosis statements)
    NONE = "none"  # nothing answered: the value is null


class Confidence(_Model):
    """How one value was answered and how sure the pipeline is of it.

    ``score`` estimates the chance that the value is right, in [0, 1]; it is calibrated on the
    dev split and the written wordings (see ``llm_extract/rules/confidence.py``). ``reasons``
    are short codes for what raised or lowered it (``neighbours_disagree``, ``unknown_word``...).
    """

    source: ValueSource
    score: float = Field(ge=0.0, le=1.0)
    reasons: list[str] = Field(default_factory=list)


class Reviewer(_Model):
    licensure_states: list[str] = Field(default_factory=list)
    specialties: list[str] = Field(default_factory=list)


class Patient(_Model):
    age: int | None = Field(default=None, ge=0, le=120)
    sex: Literal["male", "female"] | None = None


class Item(_Model):
    """One disputed treatment and the IMR decision on it."""

    request: str
    decision: Decision
    medically_necessary: bool
    treatment: str | None = None
    strength: str | None = None
    quantity: int | None = Field(default=None, ge=0)
    category: Category | None = None
    drug_class: DrugClass | None = None
    claims_administrator_guideline: str | None = None
    maximus_guideline: str | None = None
    guideline_sources: list[GuidelineSource] = Field(default_factory=list)
    rationale: str = ""
    evidence: dict[str, Span] = Field(default_factory=dict)
    #: ``treatment``, ``category`` and ``drug_class``: what answered each and how sure it is.
    confidence: dict[str, Confidence] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Item:
        if self.medically_necessary != (self.decision is Decision.OVERTURNED):
            raise ValueError(
                f"medically_necessary={self.medically_necessary} contradicts decision {self.decision.value}"
            )
        if self.drug_class is not None and self.category not in (None, Category.PHARMACEUTICAL):
            raise ValueError("drug_class is only for pharmaceutical items")
        return self


class ExtractionWarning(_Model):
    """A disagreement or doubt found by a cross-check; never a silent overwrite."""

    code: str
    field: str
    message: str


class Provenance(_Model):
    """Where a record came from and what it cost."""

    source: str | None = None
    extractor_version: str = ""
    text_sha256: str | None = None
    model: str | None = None
    base_url: str | None = None
    prompt: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_calls: int = 0
    reasks: int = 0
    cache_hit: bool = False
    seconds: float = 0.0


class IMRRecord(_Model):
    """One IMR final determination letter, as the schema contract names its fields."""

    case_number: str | None = Field(default=None, pattern=r"^CM\d{2}-\d{7}$")
    date_assigned: dt.date | None = None
    date_of_injury: dt.date | None = None
    decision_date: dt.date | None = None
    ur_denial_date: dt.date | None = None
    application_received: dt.date | None = None
    priority: Priority | None = None
    reviewer: Reviewer = Field(default_factory=Reviewer)
    patient: Patient = Field(default_factory=Patient)
    diagnoses: list[str] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    evidence: dict[str, Span] = Field(default_factory=dict)
    #: ``diagnoses.N``: what answered each diagnosis and how sure it is (item values carry theirs).
    confidence: dict[str, Confidence] = Field(default_factory=dict)
    #: The values whose confidence is below the review threshold, as paths
    #: (``items.0.category``, ``diagnoses.2``): the ones a person should check.
    needs_review: list[str] = Field(default_factory=list)
    warnings: list[ExtractionWarning] = Field(default_factory=list)
    provenance: Provenance = Field(default_factory=Provenance)

    @model_validator(mode="before")
    @classmethod
    def _drop_line_source(cls, data: object) -> object:
        # Output lines carry the input path as a top-level "source" (see to_line); it is
        # the same as provenance.source, so a line parses back as a record.
        if isinstance(data, dict) and isinstance(data.get("source"), str):
            data = dict(data)
            source = data.pop("source")
            prov = data.setdefault("provenance", {})
            if isinstance(prov, dict) and not prov.get("source"):
                data["provenance"] = {**prov, "source": source}
        return data

    def to_json(self) -> str:
        """Serialise to one line of JSON (dates as ISO strings, enums as their values)."""
        return self.model_dump_json()

    def to_line(self, source: str | None = None) -> str:
        """One JSON Lines row: ``source`` (the input as given) first, then the record."""
        src = source if source is not None else self.provenance.source
        return json.dumps({"source": src, **self.model_dump(mode="json")}, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str | bytes) -> IMRRecord:
        """Parse a record written by :meth:`to_json`."""
        return cls.model_validate_json(data)
