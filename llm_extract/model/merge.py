"""Merge a model answer into the deterministic record, cross-checking as it goes.

Rules that never bend:

* where the rules and the model both give a case number, a date, a priority or a decision,
  the rules' value stands; a disagreement becomes an :class:`ExtractionWarning` naming both;
* a value only the model gives is kept with an evidence span located in the letter, exactly
  or fuzzily; a value that cannot be located is still kept but gets a warning;
* the model never adds or removes items that the rules found; an item that the model
  mentions but the rules do not is a warning;
* a key the model was not asked for (an extra key, or a patient field the rules already
  read and the question left out) is ignored with a ``model_unasked_key`` warning.

The answer validators do not check a value the rules already read against the letter (see
:func:`~llm_extract.model.answers.rules_known`): a contradiction there is this module's
warning, never a failed letter or a re-ask.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any, TypeAlias

from rapidfuzz import fuzz

from ..record import Category, Decision, ExtractionWarning, IMRRecord, Item, Span
from ..rules.dates import dates_in_text
from ..rules.vocab import SEX_WORD_RE, STRENGTH_PATTERN
from .answers import unasked_keys

__all__ = ["locate", "merge_hybrid", "merge_full"]

# The answers: instances of answers.HybridAnswer, FullAnswer and FullItem. pydantic's
# create_model builds those classes from the record's fields at import, so mypy sees
# variables and none of the generated fields; it reads the answers as Any.
_HybridAnswer: TypeAlias = Any
_FullAnswer: TypeAlias = Any
_FullItem: TypeAlias = Any

_FUZZY_CUTOFF = 85.0


def locate(text: str, value: str, *, within: Span | None = None, whole: bool = True) -> Span | None:
    """Where ``value`` is written in ``text``: exactly (case and line breaks ignored), else fuzzily.

    ``within`` is searched first (e.g. the item's request line), then the whole text unless
    ``whole=False`` (a diagnosis must be in the case summary, not in the rationale).
    """
    words = value.split()
    if not words:
        return None
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.I)
    windows = [(within.start, within.end)] if within else []
    if whole or not windows:
        windows.append((0, len(text)))
    for start, end in windows:
        m = pattern.search(text, start, end)
        if m:
            return Span(start=m.start(), end=m.end(), source="model")
    needle = " ".join(words).lower()
    for start, end in windows:
        hay = text[start:end].lower()
        if len(needle) < 4 or not hay:
            continue
        found = fuzz.partial_ratio_alignment(needle, hay, score_cutoff=_FUZZY_CUTOFF)
        if found is not None:
            return Span(start=start + found.dest_start, end=start + found.dest_end, source="model")
    return None


def _locate_date(text: str, value: dt.date, pivot_year: int | None = None) -> Span | None:
    at = dates_in_text(text, pivot_year).get(value)
    return Span(start=at[0], end=at[1], source="model") if at else None


def _locate_age(text: str, age: int) -> Span | None:
    m = re.search(rf"\b{age}(?=[- ]?(?:year|yo\b|y/o))", text) or re.search(rf"\b{age}\b", text)
    return Span(start=m.start(), end=m.end(), source="model") if m else None


def _locate_sex(text: str, sex: str) -> Span | None:
    # A sex word, never a he/she/his/her: those stand in every letter's boilerplate.
    m = SEX_WORD_RE[sex].search(text)
    return Span(start=m.start(), end=m.end(), source="model") if m else None


def _warn(record: IMRRecord, code: str, field: str, message: str) -> None:
    record.warnings.append(ExtractionWarning(code=code, field=field, message=message))


def _unlocated(record: IMRRecord, field: str, value: Any) -> None:
    _warn(record, "model_value_not_in_text", field,
          f"the model's value {value!r} could not be located in the letter")


def _relabel(item: Item, **changes: Any) -> Item:
    # Re-validate so that the Item's own consistency checks run on the model's values.
    data = item.model_dump()
    data.update(changes)
    return Item.model_validate(data)


def _set_diagnoses(record: IMRRecord, text: str, diagnoses: Iterable[str]) -> None:
    if record.diagnoses:
        return  # the rules read the summary's diagnosis statements; their list stands
    seen: set[str] = set()
    for dx in diagnoses:
        if dx.lower() in seen:
            continue
        seen.add(dx.lower())
        i = len(record.diagnoses)
        record.diagnoses.append(dx)
        span = locate(text, dx)
        if span is None:
            _unlocated(record, f"diagnoses.{i}", dx)
        else:
            record.evidence[f"diagnoses.{i}"] = span


def _fill_patient(record: IMRRecord, text: str, age: int | None, sex: str | None,
                  date_of_injury: dt.date | None) -> None:
    pivot = record.decision_date.year if record.decision_date else None
    for field, value, locator in (
        ("patient.age", age, _locate_age),
        ("patient.sex", sex, _locate_sex),
        ("date_of_injury", date_of_injury, _locate_date),
    ):
        if value is None:
            continue
        current = record.date_of_injury if field == "date_of_injury" else getattr(record.patient, field.split(".")[1])
        if current is not None:
            if current != value:
                _warn(record, "model_disagrees", field,
                      f"rules found {_show(current)}, the model said {_show(value)}; the rules' value is kept")
            continue
        if field == "date_of_injury":
            record.date_of_injury = value  # type: ignore[assignment]  # a date: the answer model validated it
        else:
            setattr(record.patient, field.split(".")[1], value)
        if field == "date_of_injury":
            span = _locate_date(text, value, pivot)  # type: ignore[arg-type]  # a date: the answer model validated it
        else:
            span = locator(text, value)  # type: ignore[arg-type]  # the age or sex, as the answer model validated it
        if span is None:
            _unlocated(record, field, _show(value))
        else:
            record.evidence[field] = span


def _warn_unasked(record: IMRRecord, answer: Any) -> None:
    for path, value in unasked_keys(answer):
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        _warn(record, "model_unasked_key", path,
              f"the model gave {path} = {shown}, which it was not asked for; ignored")


def _show(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(getattr(value, "value", value))


_DOSE = re.compile(rf"\s*(?:{STRENGTH_PATTERN}|#\s*\d+|\bQTY:?\s*\d+)", re.I)


def _clean_treatment(treatment: str) -> str:
    """The treatment without a strength or count the model left in ("Baclofen 10mg #90")."""
    cleaned = " ".join(_DOSE.sub(" ", treatment).split()).strip(" ,;:-")
    return cleaned or treatment


def _label_item(record: IMRRecord, n: int, text: str, treatment: str | None,
                category: Category | None, drug_class: Any) -> None:
    item = record.items[n]
    changes: dict[str, Any] = {}
    if treatment:
        treatment = _clean_treatment(treatment)
        changes["treatment"] = treatment
    if category is not None:
        model_class = drug_class if category is Category.PHARMACEUTICAL else None
        if item.category is None:
            changes["category"] = category
            changes["drug_class"] = model_class
        else:
            # The request's own words named the category (see lexicon.py): they stand, and a
            # different model answer is recorded, not applied.
            if category is not item.category:
                _warn(record, "model_disagrees", f"items.{n}.category",
                      f"the request's words say {item.category.value}, the model said {category.value}; "
                      "the request's reading is kept")
            if item.category is Category.PHARMACEUTICAL:
                if item.drug_class is None:
                    changes["drug_class"] = model_class
                elif model_class is not None and model_class != item.drug_class:
                    _warn(record, "model_disagrees", f"items.{n}.drug_class",
                          f"the drug named is {item.drug_class.value}, the model said {_show(model_class)}; "
                          "the drug's class is kept")
    if not changes:
        return
    new = _relabel(item, **changes)
    if treatment:
        span = locate(text, treatment, within=item.evidence.get("request"))
        if span is None:
            _unlocated(record, f"items.{n}.treatment", treatment)
        else:
            new.evidence["treatment"] = span
    record.items[n] = new


def merge_hybrid(record: IMRRecord, answer: _HybridAnswer, text: str, *, asked: frozenset[str]) -> IMRRecord:
    """Fill the rules record with an ``imr-hybrid`` answer (its items numbered from 1)."""
    out = record.model_copy(deep=True)
    for label in answer.items:
        if not 1 <= label.index <= len(out.items):
            _warn(out, "model_extra_item", "items",
                  f"the model labelled item {label.index}, which the rules did not find")
            continue
        _label_item(out, label.index - 1, text, label.treatment, label.category, label.drug_class)
    _set_diagnoses(out, text, answer.diagnoses)
    _fill_patient(
        out, text,
        answer.age if "age" in asked else None,
        answer.sex if "sex" in asked else None,
        answer.date_of_injury if "date_of_injury" in asked else None,
    )
    _warn_unasked(out, answer)
    for name in ("age", "sex", "date_of_injury"):
        # A field the question left out but the answer model still holds (an answer
        # validated against the wide model): ignored, never silently.
        value = getattr(answer, name)
        if name not in asked and value is not None and name not in (answer.__pydantic_extra__ or {}):
            _warn(out, "model_unasked_key", name,
                  f"the model gave {name} = {_show(value)}, which it was not asked for; ignored")
    return out


_SCALARS = ("case_number", "date_assigned", "decision_date", "ur_denial_date", "application_received", "priority")


def _match_items(rules: list[Item], model: list[_FullItem]) -> dict[int, int]:
    """Pair rules items with model items by the similarity of their requests."""
    pairs: dict[int, int] = {}
    used: set[int] = set()
    for i, item in enumerate(rules):
        best, best_score = None, 0.0
        for j, cand in enumerate(model):
            if j in used:
                continue
            score = fuzz.token_set_ratio(item.request.lower(), cand.request.lower())
            if j == i:
                score += 5  # same position breaks near ties
            if score > best_score:
                best, best_score = j, score
        if best is not None and best_score >= 60:
            pairs[i] = best
            used.add(best)
    return pairs


def merge_full(record: IMRRecord, answer: _FullAnswer, text: str) -> IMRRecord:
    """Fill the rules record with an ``imr-full`` answer, cross-checking every shared field."""
    out = record.model_copy(deep=True)
    _merge_scalars(out, answer, text)
    _merge_reviewer(out, answer, text)
    _fill_patient(out, text, answer.patient.age, answer.patient.sex, answer.date_of_injury)
    _set_diagnoses(out, text, answer.diagnoses)
    if out.items:
        _merge_items(out, answer.items, text)
    else:
        _items_from_model(out, answer.items, text)
    _warn_unasked(out, answer)
    return out


def _merge_scalars(out: IMRRecord, answer: _FullAnswer, text: str) -> None:
    """The header fields: the model fills what the rules left empty; a disagreement warns."""
    for field in _SCALARS:
        ours, theirs = getattr(out, field), getattr(answer, field)
        if theirs is None:
            continue
        if ours is not None:
            if ours != theirs:
                _warn(out, "model_disagrees", field,
                      f"rules found {_show(ours)}, the model said {_show(theirs)}; the rules' value is kept")
            continue
        setattr(out, field, theirs)
        if isinstance(theirs, dt.date):
            span = _locate_date(text, theirs, out.decision_date.year if out.decision_date else None)
        else:
            span = locate(text, _show(theirs))
        if span is None:
            _unlocated(out, field, _show(theirs))
        else:
            out.evidence[field] = span


def _merge_reviewer(out: IMRRecord, answer: _FullAnswer, text: str) -> None:
    """The reviewer's licensure states and specialties, where the rules found none."""
    for name in ("licensure_states", "specialties"):
        if not getattr(out.reviewer, name) and getattr(answer.reviewer, name):
            values = list(getattr(answer.reviewer, name))
            setattr(out.reviewer, name, values)
            for i, v in enumerate(values):
                span = locate(text, v)
                if span is None:
                    _unlocated(out, f"reviewer.{name}.{i}", v)
                else:
                    out.evidence[f"reviewer.{name}.{i}"] = span


def _merge_items(out: IMRRecord, items: list[_FullItem], text: str) -> None:
    """Label the rules' items from the model's matching ones; warn on a missed or extra item."""
    pairs = _match_items(out.items, items)
    for i, j in pairs.items():
        got = items[j]
        if got.decision is not out.items[i].decision:
            _warn(out, "model_disagrees", f"items.{i}.decision",
                  f"rules read {out.items[i].decision.value} on the decision line, the model said "
                  f"{got.decision.value}; the rules' value is kept")
        _label_item(out, i, text, got.treatment, got.category, got.drug_class)
        fill = {k: getattr(got, k) for k in ("strength", "quantity", "claims_administrator_guideline",
                                              "maximus_guideline")
                if getattr(out.items[i], k) is None and getattr(got, k) is not None}
        if not out.items[i].rationale and got.rationale:
            fill["rationale"] = got.rationale
        if fill:
            out.items[i] = _relabel(out.items[i], **fill)
    for i in range(len(out.items)):
        if i not in pairs:
            _warn(out, "model_missed_item", f"items.{i}", "the model's answer has no item matching this request")
    for j, got in enumerate(items):
        if j not in pairs.values():
            _warn(out, "model_extra_item", "items",
                  f"the model gave an item the rules did not find: {got.request[:80]!r}")


def _items_from_model(out: IMRRecord, items: list[_FullItem], text: str) -> None:
    """The rules found no decision line (a layout they do not know): the model's items are
    all there is, each with its request located in the text."""
    for n, got in enumerate(items):
        item = Item(
            request=got.request, decision=got.decision,
            medically_necessary=got.decision is Decision.OVERTURNED,
            treatment=got.treatment, strength=got.strength, quantity=got.quantity,
            category=got.category,
            drug_class=got.drug_class if got.category is Category.PHARMACEUTICAL else None,
            claims_administrator_guideline=got.claims_administrator_guideline,
            maximus_guideline=got.maximus_guideline, guideline_sources=list(got.guideline_sources),
            rationale=got.rationale,
        )
        span = locate(text, got.request)
        if span is None:
            _unlocated(out, f"items.{n}.request", got.request)
        else:
            item.evidence["request"] = span
        out.items.append(item)

