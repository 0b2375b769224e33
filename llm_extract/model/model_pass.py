"""The model pass: turn a rules record into a full record with one or more model questions.

For ``imr-hybrid`` one question normally covers the whole letter: the letter first, then
the numbered items the rules found and the fields still missing. A letter too long for the
model's context is split by item: each call carries the letter's opening (everything
before the first decision line, the same for every call, so the server reuses it) and one
item's section. If even one item's call cannot fit, the pass fails with an
:class:`InputError` instead of cutting the letter.

Answers come from the cache when the same question was asked before; the record's
provenance then says ``cache_hit=True`` and no model call is counted.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import ExtractionError, InputError
from ..reading.letter import Letter
from ..record import ExtractionWarning, IMRRecord
from ..rules import RulesResult
from ..rules.confidence import settle_model_values
from .answers import FullAnswer, hybrid_answer_model, rules_known
from .cache import AnswerCache, question_key
from .client import ModelClient, Usage
from .logprobs import value_probabilities
from .merge import merge_full, merge_hybrid
from .open_pass import merge_open, open_answer_model, open_questions, render_examples, render_questions
from .prompts import Prompt, load_prompt

__all__ = ["run_model_pass", "plan_questions", "Question"]

log = logging.getLogger(__name__)

# Characters per token, on the low side for this kind of English so that a prompt estimated
# to fit really does (Qwen's tokenizer averages about 3.8 on these letters).
_CHARS_PER_TOKEN = 3.2
_EXTRA_TEXT = {
    "age": '"age": the patient\'s age in years as stated (null if not stated)',
    "sex": '"sex": male or female, as stated (man/gentleman = male, woman/lady = female; null if not stated)',
    "date_of_injury": '"date_of_injury": the date of the industrial injury as YYYY-MM-DD (null if not stated)',
}


@dataclass
class Question:
    """One model call: its messages, answer model, validation context and cache part name."""

    part: str
    messages: list[dict[str, str]]
    answer_model: type[BaseModel]
    context: dict[str, Any]
    asked: frozenset[str] = frozenset()

    def tokens(self) -> int:
        """Estimated prompt tokens, with the JSON schema instructor appends."""
        chars = sum(len(m["content"]) for m in self.messages) + _schema_chars(self.answer_model)
        return int(chars / _CHARS_PER_TOKEN) + 64


@lru_cache(maxsize=32)
def _schema_chars(model: type[BaseModel]) -> int:
    # Building a JSON schema takes milliseconds: too slow to repeat for every cached letter.
    return len(json.dumps(model.model_json_schema(), indent=2))


def _missing_extras(record: IMRRecord) -> frozenset[str]:
    missing = set()
    if record.patient.age is None:
        missing.add("age")
    if record.patient.sex is None:
        missing.add("sex")
    if record.date_of_injury is None:
        missing.add("date_of_injury")
    return frozenset(missing)


def _ask_text(asked: frozenset[str]) -> str:
    if not asked:
        return ""
    return "Also give " + "; ".join(_EXTRA_TEXT[k] for k in ("age", "sex", "date_of_injury") if k in asked) + ".\n"


def excerpt_of(text: str, rules: RulesResult) -> str:
    """The clinical case summary, which is all an excerpt prompt shows of the letter.

    The item requests and guideline lines travel in the item list; the rationales, the
    boilerplate and the header add prompt tokens without telling the model anything the
    hybrid answer needs. Without a recognisable summary the whole text is the excerpt.
    """
    if not rules.summary_found:
        return text
    return rules.summary.of(text).strip()


def _item_lines(record: IMRRecord, indices: list[int], detail: bool) -> str:
    lines = []
    for i in indices:
        item = record.items[i - 1]
        lines.append(f"{i}. {item.request}")
        if detail and item.maximus_guideline:
            lines.append(f"   MAXIMUS guideline: {item.maximus_guideline}")
    return "\n".join(lines)


def _hybrid_question(prompt: Prompt, letter_text: str, full_text: str, rules: RulesResult,
                     indices: list[int], asked: frozenset[str], part: str) -> Question:
    record = rules.record
    values = {"letter": letter_text, "ask": _ask_text(asked)}
    if "excerpt" in prompt.variables:
        values["excerpt"] = excerpt_of(full_text, rules)
    if "items" in prompt.variables:
        values["items"] = _item_lines(record, indices, detail=False)
    if "items_detail" in prompt.variables:
        values["items_detail"] = _item_lines(record, indices, detail=True)
    messages = prompt.render(**{k: v for k, v in values.items() if k in prompt.variables})
    # Validators check values against the whole letter, not only the part shown.
    # Two-digit years are read against the decision year, as the rules pass reads them.
    pivot = record.decision_date.year if record.decision_date else None
    context = {"text": full_text, "indices": indices, "pivot_year": pivot}
    return Question(part, messages, hybrid_answer_model(asked), context, asked)


def _item_starts(text: str, record: IMRRecord) -> list[int]:
    starts = []
    for item in record.items:
        span = item.evidence.get("request")
        at = span.start if span else text.find(item.request)
        if at < 0:
            return []
        # Start the section at its line so a call shows the whole decision line.
        starts.append(text.rfind("\n", 0, at) + 1)
    return starts


def plan_questions(prompt: Prompt, letter: Letter, rules: RulesResult, *, n_ctx: int,
                   max_tokens: int) -> list[Question]:
    """The model calls needed for ``letter`` under ``prompt``, split by item if too long."""
    record = rules.record
    budget = n_ctx - max_tokens
    text = letter.text
    if prompt.answer == "full":
        pivot = record.decision_date.year if record.decision_date else None
        q = Question("all", prompt.render(letter=text), FullAnswer,
                     {"text": text, "pivot_year": pivot, "known": rules_known(record)})
        if q.tokens() > budget:
            raise InputError(
                f"the letter needs about {q.tokens():,} prompt tokens, over the model's context of "
                f"{n_ctx:,} minus {max_tokens:,} for the answer; {prompt.ref} cannot split a letter "
                "(imr-hybrid can, by item)",
                source=letter.source,
            )
        return [q]

    asked = _missing_extras(record)
    indices = list(range(1, len(record.items) + 1))
    whole = _hybrid_question(prompt, text, text, rules, indices, asked, "all")
    if whole.tokens() <= budget:
        return [whole]

    starts = _item_starts(text, record)
    if not starts:
        raise InputError(
            f"the letter needs about {whole.tokens():,} prompt tokens, over the model's context of "
            f"{n_ctx:,}, and its items cannot be located to split it",
            source=letter.source,
        )
    opening = text[: starts[0]]
    bounds = starts[1:] + [len(text)]
    questions = []
    for n, (start, end) in enumerate(zip(starts, bounds, strict=True), start=1):
        chunk = opening.rstrip("\n") + "\n[...]\n" + text[start:end]
        q = _hybrid_question(prompt, chunk, text, rules, [n], asked if n == 1 else frozenset(), f"item{n}")
        if q.tokens() > budget:
            raise InputError(
                f"item {n} with the letter's opening needs about {q.tokens():,} prompt tokens, over the "
                f"model's context of {n_ctx:,} minus {max_tokens:,} for the answer; raise n_ctx or use "
                "a model with a longer context",
                source=letter.source,
            )
        questions.append(q)
    log.info("letter split into %d per-item model calls", len(questions))
    return questions


def _combine(answers: list[Any]) -> Any:
    # HybridAnswer answers; Any because create_model builds that class (see merge.py).
    first = answers[0]
    items = [it for a in answers for it in a.items]
    return first.model_copy(update={"items": items})


def run_model_pass(
    letter: Letter,
    rules: RulesResult,
    *,
    prompt: Prompt,
    client: ModelClient,
    cache: AnswerCache | None,
) -> IMRRecord:
    """Ask the model what ``prompt`` asks, merge its answers into the rules record and return it.

    ``rules.record`` (the rules-only record) is not modified. Raises :class:`ModelError`,
    :class:`InputError`, or :class:`ExtractionError` carrying the rules-only record.
    """
    record = rules.record
    if prompt.answer == "open":
        if record.items:
            return settle_model_values(record, _run_open(letter, rules, prompt=prompt, client=client, cache=cache))
        prompt = load_prompt("imr-full")  # nothing numbered to ask about: the full fallback below
    prompt, warnings = _fallback_without_items(prompt, record)
    settings = client.settings
    questions = plan_questions(prompt, letter, rules, n_ctx=settings.n_ctx, max_tokens=settings.max_tokens)
    usage = Usage()
    answers: list[Any] = []
    hits = 0
    for q in questions:
        key = question_key(settings, endpoint=client.endpoint, prompt=prompt.ref,
                           text_sha256=letter.sha256, part=q.part)
        answer = _cached_answer(cache, key, q.answer_model, q.context)
        if answer is not None:
            hits += 1
        else:
            answer = _ask(client, q.messages, q.answer_model, q.context, letter, record, usage, cache, key)
        answers.append(answer)

    if prompt.answer == "hybrid":
        merged = merge_hybrid(record, _combine(answers), letter.text, asked=questions[0].asked)
    else:
        merged = merge_full(record, answers[0], letter.text)
    merged.warnings[:0] = warnings
    _stamp(merged, client, prompt, usage, cache_hit=hits == len(questions))
    return settle_model_values(record, merged)


def _fallback_without_items(prompt: Prompt, record: IMRRecord) -> tuple[Prompt, list[ExtractionWarning]]:
    """``imr-full`` in place of a hybrid prompt when the rules found no items to number."""
    if prompt.answer != "hybrid" or record.items:
        return prompt, []
    # No decision line found: the rules cannot number the items, so the whole record
    # has to come from the model.
    warning = ExtractionWarning(
        code="prompt_fallback", field="items",
        message=f"the rules found no items, so {prompt.ref} fell back to imr-full",
    )
    return load_prompt("imr-full"), [warning]


def _cached_answer(cache: AnswerCache | None, key: str, model: type[BaseModel],
                   context: dict[str, Any]) -> BaseModel | None:
    """The stored answer for ``key``, if there is one and it still validates."""
    entry = cache.get(key) if cache is not None else None
    if entry is None:
        return None
    try:
        answer = model.model_validate(entry["answer"], context=context)
    except ValidationError:
        return None  # stored before a check was added that this answer fails: ask again
    probs = (entry.get("extra") or {}).get("value_probs")
    if probs:
        context["value_probs"] = probs
    return answer


def _ask(client: ModelClient, messages: list[dict[str, str]], model: type[BaseModel], context: dict[str, Any],
         letter: Letter, record: IMRRecord, usage: Usage, cache: AnswerCache | None, key: str) -> BaseModel:
    """Ask one question, add what it cost to ``usage`` and store the answer in ``cache``.

    An answer that never validates raises :class:`ExtractionError` with the rules-only record.
    """
    spent = Usage()
    try:
        answer = client.ask(messages, model, context=context, source=letter.source, usage=spent)
    except ExtractionError as exc:
        usage.add(spent)
        raise ExtractionError(
            exc.message, source=letter.source, last_answer=exc.last_answer,
            cost=usage.to_cost(), rules_record=record,
        ) from exc
    usage.add(spent)
    # The model's certainty about each value, where the endpoint sent token log-probabilities.
    probs = value_probabilities(spent.last_logprobs) if spent.last_logprobs else {}
    if probs:
        context["value_probs"] = probs
    if cache is not None:
        cache.put(key, answer.model_dump(mode="json"), spent.as_dict(), {"value_probs": probs} if probs else None)
    return answer


def _stamp(merged: IMRRecord, client: ModelClient, prompt: Prompt, usage: Usage, *, cache_hit: bool) -> None:
    """Record in ``merged``'s provenance which model and prompt answered, and what it cost."""
    prov = merged.provenance
    prov.model = client.settings.model
    prov.base_url = client.endpoint
    prov.prompt = prompt.ref
    prov.prompt_tokens = usage.prompt_tokens
    prov.completion_tokens = usage.completion_tokens
    prov.model_calls = usage.calls
    prov.reasks = usage.reasks
    prov.cache_hit = cache_hit


def _open_fields(q: Any) -> str:
    parts = ([f"category/drug_class of item(s) {', '.join(map(str, q.items))}"] if q.items else [])
    return "; ".join(parts + (["diagnoses"] if q.diagnoses else []))


def _run_open(letter: Letter, rules: RulesResult, *, prompt: Prompt, client: ModelClient,
              cache: AnswerCache | None) -> IMRRecord:
    """``imr-hybrid@3``: one short call for what the rules left open, or none at all."""
    record = rules.record
    text = letter.text
    q = open_questions(record, rules.summary, rules.contested)
    usage = Usage()
    hit = False
    answer: BaseModel | None = None
    context: dict[str, Any] = {"text": text, "summary": q.summary, "indices": list(q.items)}
    if not q.empty:
        model = open_answer_model(q.items, q.diagnoses)
        # The answer schema names the open items, and a grammar is built from it: part of the key.
        schema = hashlib.sha256(json.dumps(model.model_json_schema(), sort_keys=True).encode()).hexdigest()
        examples = (render_examples(record, q, exclude_letter=(letter.sha256, record.case_number or ""))
                    if "examples" in prompt.variables else "")
        # The examples come from the labelled data, which can grow: they are part of the key too.
        shown = f":{hashlib.sha256(examples.encode()).hexdigest()[:12]}" if examples else ""
        key = question_key(client.settings, endpoint=client.endpoint, prompt=prompt.ref,
                           text_sha256=letter.sha256, part=f"open:{schema[:16]}{shown}")
        answer = _cached_answer(cache, key, model, context)
        hit = answer is not None
        if answer is None:
            values = {"questions": render_questions(text, record, q), "examples": examples}
            messages = prompt.render(**{k: v for k, v in values.items() if k in prompt.variables})
            question = Question("open", messages, model, context)
            budget = client.settings.n_ctx - client.settings.max_tokens
            if question.tokens() > budget:
                # Never cut the letter: the rules' record stands and the questions stay open.
                merged = record.model_copy(deep=True)
                merged.warnings.append(ExtractionWarning(
                    code="model_unanswered", field="model",
                    message=f"the open questions need about {question.tokens():,} prompt tokens, over the "
                            f"model's context of {client.settings.n_ctx:,} minus {client.settings.max_tokens:,} "
                            f"for the answer; left open: {_open_fields(q)}"))
                _stamp(merged, client, prompt, usage, cache_hit=False)
                return merged
            try:
                answer = _ask(client, messages, model, context, letter, record, usage, cache, key)
            except ExtractionError as exc:
                # Only open questions were asked: the rules' record stands, the questions
                # stay open (null), and the warning says so. The letter is not lost.
                merged = record.model_copy(deep=True)
                merged.warnings.append(ExtractionWarning(
                    code="model_unanswered", field="model",
                    message=f"the model's answer never validated ({exc.message}); "
                            f"left open: {_open_fields(q)}"))
                _stamp(merged, client, prompt, usage, cache_hit=False)
                return merged
    merged = merge_open(record, answer, text, q, context.get("dropped", []), context.get("value_probs", {}))
    for index in context.get("ignored", []):
        merged.warnings.append(ExtractionWarning(
            code="model_unasked_key", field=f"items.{index - 1}" if index >= 1 else "items",
            message=f"the model answered for item {index}, which was not asked about (or twice); ignored"))
    _stamp(merged, client, prompt, usage, cache_hit=hit)
    return merged
