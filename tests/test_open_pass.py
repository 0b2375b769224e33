"""imr-hybrid@4, the default: the model is asked only what the rules left open.

Cassettes under tests/cassettes/test_open_pass/ were recorded against the embedded
Qwen2.5-Coder-1.5B server (llama-cpp-python 0.3.36, PDFium text); see conftest.py for
re-recording. Expected values come from the hand-made labels and from the recorded request
bodies, never from the code under test.

Since the statement rules read "has had diagnoses of", no dev letter leaves its diagnoses open:
the diagnosis tests use CM16-0242419 with that phrase reworded ("has been followed for"), a
phrasing no rule reads, so the model is asked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import LABELS, LETTERS, RECORD_URL
from llm_extract import IMRRecord, Letter, extract, letter_from_text, read_letter
from llm_extract.evaluation.scoring import match_diagnoses
from llm_extract.model.settings import Settings
from llm_extract.rules.layout import find_sections

CASSETTES = Path(__file__).resolve().parent / "cassettes" / "test_open_pass"

pytestmark = [pytest.mark.vcr, pytest.mark.block_network]


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings.resolve(base_url=RECORD_URL, model="qwen2.5-coder-1.5b",
                            cache_dir=tmp_path / "answers", env={}, **kw)


def _unread_diagnoses() -> Letter:
    """CM16-0242419 with its diagnosis statement in a phrasing the rules do not read."""
    letter = read_letter(LETTERS / "CM16-0242419.pdf")
    text = letter.text.replace("has had diagnoses of", "has been followed for")
    assert text != letter.text
    reworded = letter_from_text(text, source="CM16-0242419-reworded")
    assert extract(reworded, rules_only=True).diagnoses == []
    return reworded


def _label(stem: str) -> IMRRecord:
    return IMRRecord.from_json((LABELS / f"{stem}.json").read_text())


def _requests(name: str) -> list[dict[str, Any]]:
    data = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())
    return [json.loads(i["request"]["body"]) for i in data["interactions"]]


def test_no_call_when_the_rules_answer_everything(tmp_path: Path) -> None:
    # No cassette and no network: any request would fail the test.
    record = extract(LETTERS / "CM16-0213037.pdf", settings=_settings(tmp_path))
    label = _label("CM16-0213037")
    assert record.provenance.prompt == "imr-hybrid@4"
    assert record.provenance.model_calls == 0 and not record.provenance.cache_hit
    assert [i.category for i in record.items] == [i.category for i in label.items]
    assert [i.treatment for i in record.items] == [i.treatment for i in label.items]
    assert match_diagnoses(record.diagnoses, label.diagnoses) == len(label.diagnoses) == len(record.diagnoses)
    assert all(span.source == "rules" for span in record.evidence.values())


def test_open_diagnoses_are_asked_with_the_summary_alone(tmp_path: Path) -> None:
    stem = "CM16-0242419"
    letter = _unread_diagnoses()
    record = extract(letter, settings=_settings(tmp_path))
    sent = _requests("test_open_diagnoses_are_asked_with_the_summary_alone")
    assert len(sent) == 1 == record.provenance.model_calls
    user = sent[0]["messages"][-1]["content"]
    assert "CLINICAL CASE SUMMARY" in user and "Decision rationale" not in user and "Items:" not in user
    sections = find_sections(letter.text)
    for i in range(len(record.diagnoses)):
        span = record.evidence[f"diagnoses.{i}"]
        assert span.source == "model" and sections.summary <= span.start < span.end <= sections.issues
        assert record.confidence[f"diagnoses.{i}"].source.value == "model"
    label = _label(stem)
    # The 1.5B's grounded answer names at least one labelled diagnosis (in whole or in part).
    assert record.diagnoses and any(got.lower() in want.lower() or want.lower() in got.lower()
                                    for got in record.diagnoses for want in label.diagnoses)
    # The rules' values stand: every item field the rules read is still the label's.
    assert [i.category for i in record.items] == [i.category for i in label.items]


def test_an_open_item_is_asked_with_its_request_and_guideline_line(tmp_path: Path) -> None:
    # CM17-0008479's 8th item ("Localized intense neurostimulation therapy") names no
    # category the lexicon knows; its diagnoses the rules did read.
    # Recorded with token log-probabilities: they set the confidence of the model's answer.
    stem = "CM17-0008479"
    record = extract(LETTERS / f"{stem}.pdf", settings=_settings(tmp_path, logprobs=True))
    sent = _requests("test_an_open_item_is_asked_with_its_request_and_guideline_line")
    assert len(sent) == 1 and sent[0]["logprobs"] is True
    user = sent[0]["messages"][-1]["content"]
    assert "8. Localized intense neurostimulation therapy" in user and "MAXIMUS guideline:" in user
    assert "CLINICAL CASE SUMMARY" not in user and "\n1. " not in user
    # imr-hybrid@4: the nearest labelled requests come as examples, never the letter's own labels.
    assert "Labelled examples" in user
    own = {i.request for i in _label(stem).items}
    assert not [line for line in user.splitlines() if line.startswith("- ") and line[2:].split(" -> ")[0] in own]
    item = record.items[7]
    assert item.evidence["category"].source == "model"
    assert item.category == _label(stem).items[7].category
    conf = item.confidence["category"]
    assert conf.source.value == "model" and conf.score == pytest.approx(0.9 * _first_token_p(
        "test_an_open_item_is_asked_with_its_request_and_guideline_line", item.category.value), abs=1e-3)
    assert "items.7.category" in record.needs_review
    # The items the rules placed keep the rules' answers, right or wrong.
    rules = extract(LETTERS / f"{stem}.pdf", rules_only=True)
    assert [i.category for i in record.items[:7]] == [i.category for i in rules.items[:7]]


def _first_token_p(name: str, value: str) -> float:
    """The recorded probability of the first token of ``value`` after '"category": "' in the answer."""
    import math

    data = yaml.safe_load((CASSETTES / f"{name}.yaml").read_text())
    body = json.loads(data["interactions"][-1]["response"]["body"]["string"])
    tokens = [(t["token"], t["logprob"]) for t in body["choices"][0]["logprobs"]["content"]]
    text = ""
    for token, logprob in tokens:
        before = len(text)
        text += token
        at = text.find('"category": "' + value[:1])
        if at >= 0 and at + len('"category": "') >= before:
            return math.exp(logprob)
    raise AssertionError("no category value in the recorded answer")


def test_schema_constraint_is_self_tested_then_sent(tmp_path: Path) -> None:
    from llm_extract.pipeline import model_client

    settings = _settings(tmp_path, constrain=True)
    record = extract(_unread_diagnoses(), settings=settings)
    sent = _requests("test_schema_constraint_is_self_tested_then_sent")
    probe, ask = sent[0], sent[-1]
    assert probe["response_format"]["schema"]["properties"]["answer"]["enum"] == ["constrained-ok"]
    assert model_client(settings).constraint_applied is True
    # The real question carries its answer model's schema as the grammar.
    assert set(ask["response_format"]["schema"]["properties"]) == {"diagnoses"}
    assert record.provenance.model_calls == 2  # the probe is counted, once per client


def test_a_contested_item_is_asked_and_answered_with_one_of_the_rules_readings(tmp_path: Path) -> None:
    # CM16-0231745: "Physical exam 2 times 8" and "Ultrasound 1 times 8" say an examination and
    # a test by their words, while the MAXIMUS line cites "Physical medicine treatment" and
    # "Ultrasound, therapeutic" (both rehabilitation, as labelled).
    stem = "CM16-0231745"
    record = extract(LETTERS / f"{stem}.pdf", settings=_settings(tmp_path))
    rules = extract(LETTERS / f"{stem}.pdf", rules_only=True)
    contested = [w.field for w in rules.warnings if w.code == "category_contested"]
    assert contested == ["items.0.category", "items.3.category"]
    sent = _requests("test_a_contested_item_is_asked_and_answered_with_one_of_the_rules_readings")
    user = sent[0]["messages"][-1]["content"]
    assert "1. Physical exam 2 times 8" in user and "4. Ultrasound 1 times 8" in user
    assert "\n2. " not in user and "\n5. " not in user  # the items the rules settled are not asked
    answer = json.loads(yaml.safe_load((CASSETTES / "test_a_contested_item_is_asked_and_answered_with_one_of_the_"
                                        "rules_readings.yaml").read_text())["interactions"][-1]["response"]["body"]["string"])
    said = {it["index"]: it["category"] for it in json.loads(answer["choices"][0]["message"]["content"])["items"]}
    label = _label(stem)
    for n in (1, 4):
        item, words = record.items[n - 1], rules.items[n - 1]
        readings = {words.category.value, "rehabilitation"}
        assert item.category is not None and item.category.value in readings
        # The model's recorded choice decides where it is one of the two readings.
        if said[n] in readings:
            assert item.category.value == said[n]
        if item.category.value == "rehabilitation":
            assert item.category == label.items[n - 1].category and item.evidence["category"].source == "model"
    assert "category_contested" in {w.code for w in record.warnings}
