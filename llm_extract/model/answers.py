"""The shapes a model answer must take, and the checks of an answer against its letter.

The validators read the letter text and the deterministic pass's findings from the
validation context (``{"text": ..., "indices": [...], "known": [...]}``) that the
model client passes to instructor. A failed check raises a ``ValueError`` whose message goes
back to the model in the re-ask, so messages say what is wrong and what the letter says.

A check that only guards a value the rules already read (``known``, see :func:`rules_known`)
is skipped: the merge keeps the rules' value and records a ``model_disagrees`` warning, so
such a contradiction never fails the letter or costs a re-ask. Keys the model was not asked
for are kept aside (see :func:`unasked_keys`) and become ``model_unasked_key`` warnings.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from copy import copy
from enum import StrEnum
from functools import lru_cache
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from ..errors import ConfigError
from ..record import Category, Decision, DrugClass, IMRRecord, Item, Patient, Reviewer
from ..rules.dates import dates_in_text
from ..rules.vocab import DECISION_WORD, SEX_WORD_RE
from ..rules.vocabularies import load_vocabulary

__all__ = [
    "AnswerBase", "ItemWords",
    "ItemLabel",
    "HybridAnswer",
    "hybrid_answer_model",
    "FullItem",
    "FullReviewer",
    "FullPatient",
    "FullAnswer",
    "coerce_choice",
    "decision_after",
    "rules_known",
    "unasked_keys",
]

_DECISION = re.compile(rf"\b{DECISION_WORD}\b")


def decision_after(text: str, request: str) -> Decision | None:
    """The decision word that follows ``request`` in the letter, or None if not found."""
    needle = " ".join(request.split()).lower()
    flat = " ".join(text.split())
    at = flat.lower().find(needle)
    if at < 0 or not needle:
        return None
    m = _DECISION.search(flat, at + len(needle), at + len(needle) + 40)
    return Decision(m.group(1)) if m else None


def _key(value: str) -> str:
    """A model's answer as a lookup key: lower case, spaces, hyphens, "/" and "&" made "_"."""
    return re.sub(r"[\s/&-]+", "_", value.strip().lower()).strip("_")


def _synonyms(name: str, choices: type[StrEnum]) -> dict[str, str]:
    """The synonym table of ``vocab/<name>.toml``: each group is one of ``choices``, its terms its synonyms."""
    vocabulary = load_vocabulary(name)
    values = {c.value for c in choices}
    unknown = sorted(set(vocabulary.groups) - values)
    if unknown:
        raise ConfigError(f"groups {unknown} are not {choices.__name__} values", source=vocabulary.path)
    return {_key(term): value for value, group in vocabulary.groups.items() for term in group.terms}


# Small models name a category in their own words ("Medication", "physical therapy", "PPI").
# Mapping the plain synonyms (vocab/*_synonyms.toml) saves a re-ask; anything else still goes
# back to the model.
_CATEGORY_WORDS = _synonyms("category_synonyms", Category)
_DRUG_WORDS = _synonyms("drug_class_synonyms", DrugClass)


def coerce_choice(value: Any, choices: type[StrEnum], words: dict[str, str]) -> Any:
    """``value`` mapped onto ``choices`` when it is a plain variant of one; else unchanged.

    Case, spacing, hyphens, a plural ``s`` and the synonyms in ``words`` are forgiven, as is
    a near spelling; a value that matches nothing is returned as given so that validation
    fails and the model is asked again with the allowed values.
    """
    if not isinstance(value, str):
        return value
    key = _key(value)
    names = {c.value for c in choices}
    for cand in (key, key.removesuffix("s"), key.removesuffix("es")):
        if cand in names:
            return cand
        if cand in words:
            return words[cand]
    if not key or key in ("none", "null", "n_a", "na"):
        return None
    close = difflib.get_close_matches(key, list(names) + list(words), n=1, cutoff=0.85)
    if close:
        return close[0] if close[0] in names else words[close[0]]
    return value


def _ctx(info: ValidationInfo) -> dict[str, Any]:
    return info.context or {}


def _known(info: ValidationInfo, field: str) -> bool:
    """Whether the rules already read ``field`` (a record path): its check is then the merge's."""
    return field in _ctx(info).get("known", ())


def rules_known(record: IMRRecord) -> frozenset[str]:
    """The record paths the rules pass filled, for the validation context's ``known``.

    A model value for one of these never replaces the rules' value, so a check that it is
    written in the letter would only spend a re-ask (or fail the letter) over a value the
    merge ignores; the merge records the disagreement instead.
    """
    known = {name for name in ("case_number", "date_assigned", "date_of_injury", "decision_date",
                               "ur_denial_date", "application_received") if getattr(record, name) is not None}
    known |= {f"patient.{name}" for name in ("age", "sex") if getattr(record.patient, name) is not None}
    if record.items:
        known.add("items")  # the rules' decision lines stand; the model's items are only matched to them
    return frozenset(known)


def _check_date_in_text(value: dt.date | None, field: str, info: ValidationInfo) -> dt.date | None:
    text = _ctx(info).get("text")
    if _known(info, field):
        return value
    if value is not None and text is not None and value not in dates_in_text(text, _ctx(info).get("pivot_year")):
        raise ValueError(
            f"{field} {value.isoformat()} is not a date written in the letter; "
            "give a date exactly as the letter states it, or null"
        )
    return value


def _check_age_in_text(value: int | None, info: ValidationInfo) -> int | None:
    text = _ctx(info).get("text")
    if _known(info, "patient.age"):
        return value
    if value is not None and text is not None and not re.search(rf"\b{value}\b", text):
        raise ValueError(f"age {value} does not appear in the letter; give the stated age or null")
    return value


def _check_sex_in_text(value: str | None, info: ValidationInfo) -> str | None:
    # Letters that never state the sex still say "he or she" in their boilerplate, so only
    # a noun counts as the letter stating it; a small model otherwise guesses "male".
    text = _ctx(info).get("text")
    if _known(info, "patient.sex"):
        return value
    if value is not None and text is not None and not SEX_WORD_RE[value].search(text):
        raise ValueError(f"the letter never calls the patient {value}; give the sex only where "
                         "the letter states it, else null")
    return value


def _fields_of(model: type[BaseModel], *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """``model``'s fields as :func:`pydantic.create_model` takes them, in declaration order."""
    return {
        name: (info.annotation, copy(info))
        for name, info in model.model_fields.items()
        if name not in exclude
    }


def _no_additional_properties(schema: dict[str, Any]) -> None:
    # extra="allow" would tell the model that any key is welcome; it is not asked for any.
    schema.pop("additionalProperties", None)


class AnswerBase(BaseModel):
    """Extra keys from a chatty model are ignored rather than re-asked (they carry no value),
    but not silently: pydantic keeps them aside (``extra="allow"``, never shown in the JSON
    schema) for the merge to warn about, and ``model_dump`` writes them back so that an
    answer from the cache warns the same way."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_no_additional_properties)
    #: Fields the answer model has but the question did not ask (hidden from its schema):
    #: set aside like extra keys, unvalidated (see :func:`hybrid_answer_model`).
    _hidden: ClassVar[frozenset[str]] = frozenset()


def unasked_keys(answer: BaseModel, path: str = "") -> list[tuple[str, Any]]:
    """``(path, value)`` of every key in ``answer`` (nested answers too) that was not asked for."""
    extra = answer.__pydantic_extra__ or {}
    found = [(path + key, value) for key, value in extra.items() if value is not None]
    for name in type(answer).model_fields:
        value = getattr(answer, name, None)
        if isinstance(value, BaseModel):
            found += unasked_keys(value, f"{path}{name}.")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, BaseModel):
                    found += unasked_keys(v, f"{path}{name}.{i}.")
    return found


class _PatientChecks(AnswerBase):
    """The patient's age and sex must be ones the letter states (both answer shapes)."""

    @field_validator("age", check_fields=False)
    @classmethod
    def _age(cls, v: int | None, info: ValidationInfo) -> int | None:
        return _check_age_in_text(v, info)

    @field_validator("sex", check_fields=False)
    @classmethod
    def _sex(cls, v: str | None, info: ValidationInfo) -> str | None:
        return _check_sex_in_text(v, info)


# --- imr-hybrid ---------------------------------------------------------------------------


class ItemWords(AnswerBase):
    """Maps loose category and drug-class words onto the enumerations (see coerce_choice)."""

    @model_validator(mode="before")
    @classmethod
    def _drug_class_as_category(cls, data: Any) -> Any:
        # A small model sometimes answers the drug class where the category goes
        # ("category": "topical"): that names a pharmaceutical, and its class.
        if not isinstance(data, dict) or not isinstance(data.get("category"), str):
            return data
        category = coerce_choice(data["category"], Category, _CATEGORY_WORDS)
        if category in {c.value for c in Category}:
            if category != Category.PHARMACEUTICAL.value and data.get("drug_class") is not None:
                # A drug class on a non-drug item ("steroid" on an epidural injection) carries
                # no meaning: drop it before it can fail validation and cost a re-ask.
                data = {**data, "drug_class": None}
            return data
        drug = coerce_choice(data["category"], DrugClass, _DRUG_WORDS)
        if drug in {c.value for c in DrugClass}:
            data = {**data, "category": Category.PHARMACEUTICAL.value}
            if not data.get("drug_class"):
                data["drug_class"] = drug
        return data

    @field_validator("category", mode="before", check_fields=False)
    @classmethod
    def _category_words(cls, v: Any) -> Any:
        return coerce_choice(v, Category, _CATEGORY_WORDS)

    @field_validator("drug_class", mode="before", check_fields=False)
    @classmethod
    def _drug_words(cls, v: Any) -> Any:
        return coerce_choice(v, DrugClass, _DRUG_WORDS)


class ItemLabel(ItemWords):
    """What the model adds to one item found by the rules."""

    index: int = Field(description="the item's number in the list")
    treatment: str = Field(description="plain treatment name without strength, quantity or frequency")
    category: Category
    drug_class: DrugClass | None = Field(default=None, description="pharmaceuticals only, else null")

    @field_validator("treatment")
    @classmethod
    def _named(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("treatment must not be empty")
        return v

    @model_validator(mode="after")
    def _drug_class_fits(self) -> ItemLabel:
        if self.category is not Category.PHARMACEUTICAL:
            # A drug class on a non-drug item carries no meaning; drop it instead of
            # spending a re-ask on it.
            self.drug_class = None
        elif self.drug_class is None:
            raise ValueError(
                f"item {self.index} is pharmaceutical, so drug_class must be one of "
                + ", ".join(c.value for c in DrugClass)
            )
        return self


class _HybridChecks(_PatientChecks):
    """The item labels and diagnoses of a :class:`HybridAnswer`, and its checks."""

    items: list[ItemLabel]
    diagnoses: list[str] = Field(default_factory=list)

    @field_validator("diagnoses")
    @classmethod
    def _clean(cls, v: list[str]) -> list[str]:
        return [" ".join(d.split()) for d in v if d and d.strip()]

    @field_validator("date_of_injury", check_fields=False)
    @classmethod
    def _doi(cls, v: dt.date | None, info: ValidationInfo) -> dt.date | None:
        return _check_date_in_text(v, "date_of_injury", info)

    @model_validator(mode="after")
    def _covers_items(self, info: ValidationInfo) -> Any:
        wanted = _ctx(info).get("indices")
        if wanted is None:
            return self
        got = [it.index for it in self.items]
        missing = sorted(set(wanted) - set(got))
        extra = sorted(set(got) - set(wanted))
        dupes = sorted({i for i in got if got.count(i) > 1})
        if missing or extra or dupes:
            raise ValueError(
                f"items must have exactly one entry for each index {sorted(wanted)}; "
                f"missing {missing}, unexpected {extra}, repeated {dupes}"
            )
        return self


# The patient's age and sex and the date of injury are the record's own fields (generated,
# not retyped), after the items and diagnoses; the JSON schema's name stays HybridAnswer.
HybridAnswer: type[_HybridChecks] = create_model(
    "HybridAnswer", __base__=_HybridChecks, __module__=__name__,
    __doc__="The model's answer to ``imr-hybrid``: per-item labels and letter-level facts.",
    **_fields_of(Patient),
    date_of_injury=_fields_of(IMRRecord)["date_of_injury"],
)

_EXTRAS = ("age", "sex", "date_of_injury")


@lru_cache(maxsize=8)
def hybrid_answer_model(ask: frozenset[str]) -> type[_HybridChecks]:
    """A :class:`HybridAnswer` whose JSON schema shows only the extras named in ``ask``.

    The model is not shown the patient fields that the rules already filled, so it spends
    no tokens on them. Such a field given anyway is set aside unvalidated (it cannot fail the
    letter) and the merge warns that it was ignored (``model_unasked_key``).
    """
    if ask >= frozenset(_EXTRAS):
        return HybridAnswer
    hidden = [name for name in _EXTRAS if name not in ask]

    class NarrowHybridAnswer(HybridAnswer):  # type: ignore[valid-type,misc]  # HybridAnswer is built by create_model
        _hidden: ClassVar[frozenset[str]] = frozenset(hidden)

        @model_validator(mode="wrap")
        @classmethod
        def _set_aside_hidden(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
            # A hidden field given anyway is not validated (it cannot fail the letter or cost
            # a re-ask): it is kept with the extra keys, for the merge's warning.
            if not isinstance(data, dict) or not any(data.get(k) is not None for k in cls._hidden):
                return handler(data)
            obj = handler({k: v for k, v in data.items() if k not in cls._hidden})
            if obj.__pydantic_extra__ is not None:
                obj.__pydantic_extra__.update({k: data[k] for k in cls._hidden if data.get(k) is not None})
            return obj

        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            out = super().model_json_schema(*args, **kwargs)
            for name in hidden:
                out.get("properties", {}).pop(name, None)
            return out

    NarrowHybridAnswer.__name__ = NarrowHybridAnswer.__qualname__ = "HybridAnswer"
    return NarrowHybridAnswer


# --- imr-full -------------------------------------------------------------------------------
#
# The full answer is the record contract less what only the pipeline fills (evidence,
# warnings, provenance, and an item's medically_necessary, which follows from its decision).
# The models are generated from the record's own fields, so a change to the contract reaches
# the prompt's schema without retyping; their JSON schema names stay FullAnswer, FullItem,
# FullReviewer and FullPatient.


class _FullItemChecks(ItemWords):
    @model_validator(mode="after")
    def _drug_class_fits(self) -> Any:
        if getattr(self, "category", None) not in (None, Category.PHARMACEUTICAL):
            self.drug_class = None
        return self


class _FullAnswerChecks(AnswerBase):
    @field_validator("case_number", check_fields=False)
    @classmethod
    def _case_in_text(cls, v: str | None, info: ValidationInfo) -> str | None:
        text = _ctx(info).get("text")
        if _known(info, "case_number"):
            return v
        if v is not None and text is not None and v not in text:
            raise ValueError(f"case_number {v} does not appear in the letter; give it as written, or null")
        return v

    @field_validator("date_assigned", "date_of_injury", "decision_date", "ur_denial_date", "application_received",
                     check_fields=False)
    @classmethod
    def _date_in_text(cls, v: dt.date | None, info: ValidationInfo) -> dt.date | None:
        return _check_date_in_text(v, info.field_name or "date", info)

    @model_validator(mode="after")
    def _decisions_match(self, info: ValidationInfo) -> Any:
        ctx = _ctx(info)
        text = ctx.get("text")
        if text is None or _known(info, "items"):
            return self
        problems = []
        for n, item in enumerate(getattr(self, "items", []), start=1):
            stated = decision_after(text, item.request)
            if stated is not None and stated is not item.decision:
                problems.append(
                    f"item {n} ({item.request!r}) has decision {item.decision.value} but the letter's "
                    f"decision line says {stated.value}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self


FullItem: type[BaseModel] = create_model(
    "FullItem", __base__=_FullItemChecks, __module__=__name__,
    **_fields_of(Item, exclude=("medically_necessary", "evidence", "confidence")),
)
FullReviewer: type[BaseModel] = create_model("FullReviewer", __base__=AnswerBase, __module__=__name__,
                                             **_fields_of(Reviewer))
FullPatient: type[BaseModel] = create_model("FullPatient", __base__=_PatientChecks, __module__=__name__,
                                            **_fields_of(Patient))
FullAnswer: type[BaseModel] = create_model(
    "FullAnswer", __base__=_FullAnswerChecks, __module__=__name__,
    __doc__="The model's answer to ``imr-full``: every field of the record contract.",
    **{
        **_fields_of(IMRRecord, exclude=("evidence", "confidence", "needs_review", "warnings", "provenance")),
        "reviewer": (FullReviewer, Field(default_factory=FullReviewer)),
        "patient": (FullPatient, Field(default_factory=FullPatient)),
        "items": (list[FullItem], Field(default_factory=list)),  # type: ignore[valid-type]  # built by create_model
    },
)
