"""Issue 11, the model side: a bad answer or a bad endpoint never becomes a wrong record.

* hole 10: a model value that contradicts one the rules already read is not checked against
  the letter (no failed letter, no re-ask): the rules' value stands, with a ``model_disagrees``
  warning naming both; a key the model was not asked for is ignored with a
  ``model_unasked_key`` warning, also when the answer comes from the cache;
* hole 12: a 200 response whose body is not JSON is a :class:`ModelError` saying so, and the
  retry messages name the letter and the error type;
* hole 11: ``llm-extract batch --timeout`` reaches the settings.

All model traffic goes through an httpx mock transport; no model is involved.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx2
import pytest
from click.testing import CliRunner

from conftest import LETTERS
from llm_extract import ModelError, extract, read_letter
from llm_extract.model.answers import FullAnswer, hybrid_answer_model, rules_known
from llm_extract.model.client import ModelClient, Usage
from llm_extract.model.settings import Settings
from llm_extract.rules.rules_pass import extract_rules

LETTER = LETTERS / "CM16-0233904.pdf"  # the rules read every scalar, the patient and one item


def _ok(content: str) -> httpx2.Response:
    return httpx2.Response(200, json={
        "id": "x", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    })


def _mock_pipeline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: str) -> list[Settings]:
    """Route the pipeline's model calls to a mock answering ``content``; returns the settings seen."""
    import llm_extract.pipeline as pipeline

    seen: list[Settings] = []
    clients: dict[Settings, ModelClient] = {}

    def handler(request: httpx2.Request) -> httpx2.Response:
        return _ok(content)

    def client_for(settings: Settings) -> ModelClient:
        seen.append(settings)
        if settings not in clients:
            http_client = httpx2.Client(transport=httpx2.MockTransport(handler))
            clients[settings] = ModelClient(settings, http_client=http_client)
        return clients[settings]

    monkeypatch.setattr(pipeline, "model_client", client_for)
    monkeypatch.setenv("LLM_EXTRACT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LLM_EXTRACT_BASE_URL", "http://mock.invalid/v1")
    return seen


def _warnings(record: Any, code: str) -> dict[str, str]:
    return {w.field: w.message for w in record.warnings if w.code == code}


# --- hole 10: contradictions of the rules' values -----------------------------------------------


def test_full_answer_contradicting_the_rules_keeps_the_rules_values_without_a_reask(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rules = extract(LETTER, rules_only=True)
    item = rules.items[0]
    other = "Overturned" if item.decision.value == "Upheld" else "Upheld"
    # Every value below contradicts the letter and what the rules read there; none is written
    # in the letter, so before issue 11 each one cost a re-ask and then failed the letter.
    answer = {
        "case_number": "CM99-0000001", "date_assigned": "2001-02-03", "decision_date": "2001-02-04",
        "date_of_injury": "2001-02-05", "patient": {"age": 99, "sex": "male"},
        "items": [{"request": item.request, "decision": other, "treatment": "Baclofen",
                   "category": "pharmaceutical", "drug_class": "muscle_relaxant"}],
    }
    _mock_pipeline(monkeypatch, tmp_path, json.dumps(answer))
    record = extract(LETTER, prompt="imr-full@1")
    assert record.provenance.model_calls == 1 and record.provenance.reasks == 0
    assert (record.case_number, record.date_assigned, record.decision_date, record.date_of_injury) == \
        (rules.case_number, rules.date_assigned, rules.decision_date, rules.date_of_injury)
    assert record.patient == rules.patient and record.items[0].decision is item.decision
    disagree = _warnings(record, "model_disagrees")
    for field, ours, theirs in (
        ("case_number", rules.case_number, "CM99-0000001"),
        ("date_assigned", rules.date_assigned.isoformat(), "2001-02-03"),  # type: ignore[union-attr]  # the rules read this date (asserted above)
        ("decision_date", rules.decision_date.isoformat(), "2001-02-04"),  # type: ignore[union-attr]  # the rules read this date (asserted above)
        ("date_of_injury", rules.date_of_injury.isoformat(), "2001-02-05"),  # type: ignore[union-attr]  # the rules read this date (asserted above)
        ("patient.age", str(rules.patient.age), "99"),
        ("patient.sex", str(rules.patient.sex), "male"),
        ("items.0.decision", item.decision.value, other),
    ):
        assert ours in disagree[field] and theirs in disagree[field], (field, disagree.get(field))


def test_checks_of_values_the_rules_lack_still_reject() -> None:
    text = "Case Number: CM16-0213037\nDate Assigned: 11/09/2016\nMRI of the knee: Upheld\n"
    ok = {"case_number": "CM16-0213037", "date_assigned": "2016-11-09",
          "items": [{"request": "MRI of the knee", "decision": "Upheld"}]}
    bad = {"case_number": "CM16-0213038", "date_assigned": "2016-11-10",
           "items": [{"request": "MRI of the knee", "decision": "Overturned"}]}
    known_all = {"case_number", "date_assigned", "items"}
    FullAnswer.model_validate({**ok, **bad}, context={"text": text, "known": known_all})
    for field, msg in (("case_number", "does not appear"), ("date_assigned", "not a date written"),
                       ("items", "decision line says Upheld")):
        # The rules did not read this value (e.g. no decision line found): the check guards it.
        with pytest.raises(ValueError, match=msg):
            FullAnswer.model_validate({**ok, field: bad[field]}, context={"text": text, "known": known_all - {field}})


def test_rules_known_names_what_the_rules_filled() -> None:
    rules = extract_rules(read_letter(LETTER))
    assert rules_known(rules) >= {"case_number", "date_assigned", "patient.age", "patient.sex", "items"}
    empty = rules.model_copy(update={"items": [], "case_number": None})
    assert "items" not in rules_known(empty) and "case_number" not in rules_known(empty)


# --- hole 10: keys the model was not asked for ----------------------------------------------------


def test_unasked_hybrid_keys_are_ignored_with_a_warning_also_from_the_cache(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rules = extract(LETTER, rules_only=True)
    assert rules.patient.age is not None  # so imr-hybrid@2 asks no patient field
    answer = {"items": [{"index": 1, "treatment": "Baclofen", "category": "pharmaceutical",
                         "drug_class": "muscle_relaxant", "dose": "100mg"}],
              "age": 250, "sex": "male", "date_of_injury": "not a date", "notes": "looks fine"}
    _mock_pipeline(monkeypatch, tmp_path, json.dumps(answer))
    first = extract(LETTER, prompt="imr-hybrid@2")
    # age 250 and "not a date" would fail validation: unasked, they are not validated at all.
    assert first.provenance.model_calls == 1 and first.provenance.reasks == 0
    assert first.patient == rules.patient and first.date_of_injury == rules.date_of_injury
    unasked = _warnings(first, "model_unasked_key")
    assert set(unasked) == {"age", "sex", "date_of_injury", "notes", "items.0.dose"}
    assert "250" in unasked["age"] and "ignored" in unasked["age"]
    assert not _warnings(first, "model_disagrees").keys() & {"patient.age", "patient.sex"}
    again = extract(LETTER, prompt="imr-hybrid@2")
    assert again.provenance.cache_hit
    assert again.warnings == first.warnings


def test_unasked_full_keys_are_ignored_with_a_warning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rules = extract(LETTER, rules_only=True)
    answer = {"case_number": rules.case_number, "reasoning": "step by step",
              "patient": {"age": rules.patient.age, "name": "J. Doe"},
              "items": [{"request": rules.items[0].request, "decision": rules.items[0].decision.value,
                         "medically_necessary": True}]}
    _mock_pipeline(monkeypatch, tmp_path, json.dumps(answer))
    record = extract(LETTER, prompt="imr-full@1")
    assert record.provenance.reasks == 0
    assert set(_warnings(record, "model_unasked_key")) == {"reasoning", "patient.name", "items.0.medically_necessary"}


def test_the_answer_schemas_do_not_invite_extra_keys() -> None:
    # The schemas sent to the model are unchanged by keeping extra keys aside (the cassettes
    # replay them byte for byte): no additionalProperties anywhere.
    for model in (FullAnswer, hybrid_answer_model(frozenset()), hybrid_answer_model(frozenset({"age", "sex",
                                                                                               "date_of_injury"}))):
        assert "additionalProperties" not in json.dumps(model.model_json_schema())
    assert "age" not in hybrid_answer_model(frozenset()).model_json_schema()["properties"]


# --- hole 12: a 200 whose body is not JSON; retry messages ----------------------------------------


def _client(handler: Any, **kw: Any) -> ModelClient:
    settings = Settings.resolve(base_url="http://mock.invalid/v1", api_key="sk-test", env={}, **kw)
    return ModelClient(settings, http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))


MSGS = [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]
ANSWER = json.dumps({"items": [{"index": 1, "treatment": "MRI", "category": "diagnostic"}]})


@pytest.mark.parametrize("content_type", ["text/html", "application/json"])
def test_a_200_body_that_is_not_json_is_a_model_error(content_type: str) -> None:
    calls = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(1)
        return httpx2.Response(200, content=b"<html><body>proxy login</body></html>",
                               headers={"content-type": content_type})

    with pytest.raises(ModelError, match="the endpoint's answer was not JSON") as info:
        _client(handler).ask(MSGS, hybrid_answer_model(frozenset()), context={"indices": [1]},
                             source="letter.pdf", usage=Usage())
    assert info.value.source == "letter.pdf" and str(info.value).startswith("letter.pdf: ")
    assert "Instructor" not in str(info.value)
    assert len(calls) == 1  # not a transport failure: not retried, not re-asked


def test_retry_messages_name_the_letter_and_the_error_type(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(1)
        if len(seen) == 1:
            return httpx2.Response(503, headers={"Retry-After": "0"}, json={"error": {"message": "busy"}})
        return _ok(ANSWER)

    logger = logging.getLogger("llm_extract.model.client")
    logger.addHandler(caplog.handler)  # the batch CLI may have stopped propagation to the root
    try:
        with caplog.at_level(logging.WARNING, logger="llm_extract.model.client"):
            _client(handler).ask(MSGS, hybrid_answer_model(frozenset()), context={"indices": [1]},
                                 source="in/CM16-0000001.pdf", usage=Usage())
    finally:
        logger.removeHandler(caplog.handler)
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert retries and all(m.startswith("in/CM16-0000001.pdf: ModelError: ") for m in retries), retries
    assert "InternalServerError" in retries[0] and "retry 1 of" in retries[0]


# --- hole 11: batch --timeout -----------------------------------------------------------------------


def test_batch_timeout_reaches_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from llm_extract.cli.main import main

    answer = json.dumps({"items": [{"index": 1, "treatment": "Baclofen", "category": "pharmaceutical",
                                    "drug_class": "muscle_relaxant"}]})
    seen = _mock_pipeline(monkeypatch, tmp_path, answer)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["batch", str(LETTER), "-o", str(out), "--timeout", "7.5",
                                       "--prompt", "imr-hybrid@2", "--format", "jsonl", "-q"])
    assert result.exit_code == 0, result.output
    assert seen and {s.timeout for s in seen} == {7.5}
    assert len((out / "records.jsonl").read_text().splitlines()) == 1
    assert "--timeout" in CliRunner().invoke(main, ["batch", "--help"]).output
    assert CliRunner().invoke(main, ["batch", str(LETTER), "-o", str(out), "--timeout", "0"]).exit_code == 2
