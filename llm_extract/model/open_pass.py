"""The open-question model pass (``imr-hybrid@3``): ask only what the rules left open.

The rules name every treatment, read the summary's diagnosis statements and place most
requests by their words or a drug dictionary. What is left open is small and specific:

* **diagnoses**, when the summary states none in a form the rules read: the question carries
  the case summary;
* **category / drug class** of an item the rules could not place, or whose request words
  and guideline topic name different categories: the question carries the item's request
  and its MAXIMUS guideline line.

A letter with nothing open makes no call at all. Otherwise one call asks everything open,
and the answer is grounded before it is merged: a diagnosis must be found in the case
summary (exactly or fuzzily, with its span), else the answer goes back to the model once
and a diagnosis still not found is dropped with a warning; never invented. The rules'
values are never replaced by the model's own: the model fills fields the rules left empty,
and on a contested item it can only choose between the two answers the rules found (the
``category_contested`` warning stays on the record either way).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field, ValidationInfo, create_model, field_validator, model_validator

from ..record import Category, DrugClass, ExtractionWarning, IMRRecord, Span
from ..rules import Alternative
from ..rules.confidence import model_score
from ..rules.neighbours import Exclude, nearest
from .answers import AnswerBase, ItemWords
from .merge import locate

__all__ = ["OpenQuestions", "open_questions", "render_questions", "render_examples", "open_answer_model",
           "merge_open", "EXAMPLES_PER_ITEM"]


@dataclass(frozen=True)
class OpenQuestions:
    """What the rules left open in one letter, and the text the question needs."""

    items: tuple[int, ...]  # 1-based indices of items whose category or drug class is open
    diagnoses: bool
    summary: Span  # the case summary's span in the letter text
    contested: Mapping[int, Alternative] = field(default_factory=dict)  # 1-based, see RulesResult

    @property
    def empty(self) -> bool:
        return not self.items and not self.diagnoses


def open_questions(record: IMRRecord, summary: Span,
                   contested: Mapping[int, Alternative] | None = None) -> OpenQuestions:
    """The open questions of ``record`` (a rules-only record; ``summary`` its case summary's span).

    ``contested`` (from :class:`~llm_extract.rules.RulesResult`) adds the items whose two
    rule readings disagree.
    """
    contested = dict(contested or {})
    items = tuple(
        n for n, it in enumerate(record.items, start=1)
        if it.category is None or (it.category is Category.PHARMACEUTICAL and it.drug_class is None)
        or n in contested
    )
    return OpenQuestions(items=items, diagnoses=not record.diagnoses, summary=summary, contested=contested)


#: Labelled examples shown per open item (``imr-hybrid@4``): enough to show the answers of
#: close wordings, few enough to keep the call short.
EXAMPLES_PER_ITEM = 4


def render_examples(record: IMRRecord, q: OpenQuestions, *, exclude_letter: Exclude = None) -> str:
    """The nearest labelled requests of each open item, with their answers (``imr-hybrid@4``).

    Rows labelled from the letter itself (``exclude_letter``: its text's sha256 and case
    number) are never shown: an evaluated dev letter must not see its own label.
    """
    if not q.items:
        return ""
    seen: set[str] = set()
    lines = []
    for n in q.items:
        for nb in nearest(record.items[n - 1].request, k=EXAMPLES_PER_ITEM, exclude_letter=exclude_letter):
            if nb.request.lower() in seen:
                continue
            seen.add(nb.request.lower())
            drug = f', "drug_class": "{nb.drug_class.value}"' if nb.drug_class is not None else ""
            lines.append(f'- {nb.request} -> "category": "{nb.category.value}"{drug}')
    if not lines:
        return ""
    return "Labelled examples (requests like the items below, with their answers):\n" + "\n".join(lines) + "\n\n"


def render_questions(text: str, record: IMRRecord, q: OpenQuestions) -> str:
    """The user message: only the summary (if diagnoses are open) and the open items."""
    parts = []
    if q.diagnoses:
        parts.append("<case_summary>\n" + q.summary.of(text).strip() + "\n</case_summary>\n")
        parts.append('Give "diagnoses".')
    if q.items:
        lines = []
        for n in q.items:
            item = record.items[n - 1]
            lines.append(f"{n}. {item.request}")
            if item.maximus_guideline:
                lines.append(f"   MAXIMUS guideline: {item.maximus_guideline}")
        parts.append("Items:\n" + "\n".join(lines) + '\nGive "items": category and drug_class of each numbered item.')
    return "\n".join(parts)


class OpenItem(ItemWords):
    """The category (and drug class) of one item the rules left open."""

    index: int
    category: Category
    drug_class: DrugClass | None = None

    @model_validator(mode="after")
    def _class_fits(self) -> OpenItem:
        if self.category is not Category.PHARMACEUTICAL:
            self.drug_class = None  # meaningless on a non-drug item; not worth a re-ask
        return self


class _OpenChecks(AnswerBase):
    @field_validator("items", check_fields=False)
    @classmethod
    def _covers(cls, v: list[OpenItem], info: ValidationInfo) -> list[OpenItem]:
        # An entry for an index not asked about, or a second entry for one, is set aside
        # (the first answer for an index counts); only a missing index is worth a re-ask.
        ctx = info.context or {}
        wanted = sorted(ctx.get("indices", []))
        kept: dict[int, OpenItem] = {}
        for it in v:
            if it.index in wanted and it.index not in kept:
                kept[it.index] = it
            else:
                ctx.setdefault("ignored", []).append(it.index)
        missing = [i for i in wanted if i not in kept]
        if missing:
            raise ValueError(f"items must have one entry for each index {wanted}; missing {missing}")
        return [kept[i] for i in wanted]

    @field_validator("diagnoses", check_fields=False)
    @classmethod
    def _grounded(cls, v: list[str], info: ValidationInfo) -> list[str]:
        ctx = info.context or {}
        text, summary = ctx.get("text", ""), ctx.get("summary") or Span.at(0, 0)
        values = [" ".join(d.split()) for d in v if d and d.strip()]
        missing = [d for d in values if locate(text, d, within=summary, whole=False) is None]
        if missing:
            tries = ctx.setdefault("grounding_failures", [])
            if not tries:
                tries.append(missing)
                raise ValueError(
                    "these diagnoses are not written in the case summary; copy each diagnosis exactly "
                    "as the summary writes it, or leave it out: " + "; ".join(missing)
                )
            # Asked once already: drop what is still not in the letter, never invent.
            ctx.setdefault("dropped", []).extend(missing)
            values = [d for d in values if d not in missing]
        return values


@lru_cache(maxsize=64)
def open_answer_model(indices: tuple[int, ...], diagnoses: bool) -> type[BaseModel]:
    """The answer model for the questions asked: the open items ``indices`` and/or ``diagnoses``.

    The JSON schema names the exact item numbers and count, so a server that decodes under
    the schema (llama.cpp's grammar) cannot answer for an item not asked about; validation
    itself stays forgiving (see ``_covers``) for servers that do not.
    """
    fields: dict[str, Any] = {}
    if indices:
        item = create_model(
            "OpenItem", __base__=OpenItem,
            index=(int, Field(description="the item's number", json_schema_extra={"enum": list(indices)})),
        )
        fields["items"] = (list[item], Field(  # type: ignore[valid-type]  # item: a class create_model built just above
            description="one entry per numbered item",
            json_schema_extra={"minItems": len(indices), "maxItems": len(indices)}))
    if diagnoses:
        fields["diagnoses"] = (list[str], Field(description="diagnoses as the summary writes them"))
    return create_model("OpenAnswer", __base__=_OpenChecks, **fields)


def merge_open(record: IMRRecord, answer: BaseModel | None, text: str, q: OpenQuestions,
               dropped: list[str], probs: Mapping[str, float] | None = None) -> IMRRecord:
    """``record`` with the model's answers to the open questions; rules' values untouched.

    ``probs`` (``{"<index>.category": p}``, see :mod:`logprobs`) sets the confidence of each
    value the model gave; without it the model's values get the fixed model score.
    """
    out = record.model_copy(deep=True)
    _merge_open(out, answer, text, q, dropped)
    _model_confidence(record, out, probs or {}, q.contested)
    return out


def _model_confidence(rules: IMRRecord, out: IMRRecord, probs: Mapping[str, float],
                      contested: Mapping[int, Alternative]) -> None:
    """Confidences for the values the model gave or chose, from its token probabilities if known."""
    for n, (old, new) in enumerate(zip(rules.items, out.items, strict=True), start=1):
        for name in ("category", "drug_class"):
            value = getattr(new, name)
            if value is None or getattr(old, name) == value:
                continue
            new.confidence[name] = model_score(probs.get(f"{n}.{name}"), contested=n in contested)


def _merge_open(out: IMRRecord, answer: BaseModel | None, text: str, q: OpenQuestions,
                dropped: list[str]) -> None:
    """Merge ``answer`` into ``out`` (a copy of the rules' record) in place."""
    for dx in dropped:
        out.warnings.append(ExtractionWarning(
            code="model_value_not_in_text", field="diagnoses",
            message=f"the model's diagnosis {dx!r} is not in the case summary; dropped"))
    if answer is None:
        return
    summary = q.summary
    for dx in getattr(answer, "diagnoses", None) or []:
        if dx.lower() in {d.lower() for d in out.diagnoses}:
            continue
        span = locate(text, dx, within=summary, whole=False)
        if span is None:
            continue
        out.evidence[f"diagnoses.{len(out.diagnoses)}"] = span
        out.diagnoses.append(dx)
    for label in getattr(answer, "items", None) or []:
        item = out.items[label.index - 1]
        alternative = q.contested.get(label.index)
        if alternative is not None and item.category is not None:
            if label.category is alternative.category:
                # The model chose the guideline topic's reading over the request words'.
                item.category = alternative.category
                item.drug_class = alternative.drug_class or (
                    label.drug_class if alternative.category is Category.PHARMACEUTICAL else None)
                if alternative.span:
                    item.evidence["category"] = Span.at(alternative.span.start, alternative.span.end, "model")
                item.evidence.pop("drug_class", None)
            elif label.category is not item.category:
                out.warnings.append(ExtractionWarning(
                    code="model_disagrees", field=f"items.{label.index - 1}.category",
                    message=f"rules: {item.category.value} or {alternative.category.value}; "
                            f"model: {label.category.value} (rules' first kept)"))
            continue
        if item.category is None:
            item.category = label.category
            if "request" in item.evidence:
                req = item.evidence["request"]
                item.evidence["category"] = Span(start=req.start, end=req.end, source="model")
        elif item.category is not label.category:
            out.warnings.append(ExtractionWarning(
                code="model_disagrees", field=f"items.{label.index - 1}.category",
                message=f"rules: {item.category.value}; model: {label.category.value} (rules kept)"))
            continue
        if item.category is Category.PHARMACEUTICAL and item.drug_class is None and label.drug_class is not None:
            item.drug_class = label.drug_class
            if "request" in item.evidence:
                req = item.evidence["request"]
                item.evidence["drug_class"] = Span(start=req.start, end=req.end, source="model")
