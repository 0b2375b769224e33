"""The real embedded model, started by the library itself. Skipped unless --live or
LLM_EXTRACT_LIVE=1 (see conftest.py); needs the [local] extra. About a minute on 2 cores."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import LABELS, LETTERS
from llm_extract import IMRRecord, extract


def _label(stem: str) -> IMRRecord:
    return IMRRecord.from_json((LABELS / f"{stem}.json").read_text())


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("LLM_EXTRACT_BASE_URL", "OPENAI_BASE_URL", "LLM_EXTRACT_MODEL"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.live
def test_live_letter_the_rules_answer_makes_no_call(tmp_path: Path, embedded: None) -> None:
    stem = "000_f466aacbb234c4d7"
    record = extract(LETTERS / f"{stem}.txt", cache_dir=tmp_path / "answers")
    label = _label(stem)
    assert record.provenance.prompt == "imr-hybrid@4" and record.provenance.model_calls == 0
    assert [i.request for i in record.items] == [i.request for i in label.items]
    assert [i.category for i in record.items] == [i.category for i in label.items]


@pytest.mark.live
def test_live_open_item_from_the_embedded_model(tmp_path: Path, embedded: None) -> None:
    """A letter with an item no rule and no labelled neighbour places: the model is asked.

    The embedded server returns token log-probabilities, so the answer's confidence is the
    model's own (``model_sure``/``model_unsure``), and the value waits in ``needs_review``.
    """
    stem = "CM17-0008479"
    record = extract(LETTERS / f"{stem}.pdf", cache_dir=tmp_path / "answers")
    assert record.provenance.base_url == "local:qwen2.5-coder-1.5b"
    # The constraint self-test and the question.
    assert record.provenance.model_calls >= 2 and record.provenance.completion_tokens > 0
    item = record.items[7]
    assert item.category is not None and item.evidence["category"].source == "model"
    conf = item.confidence["category"]
    assert conf.source.value == "model" and {"model_sure", "model_unsure"} & set(conf.reasons)
    assert "items.7.category" in record.needs_review
    # The items the rules placed keep the rules' answers.
    rules = extract(LETTERS / f"{stem}.pdf", rules_only=True)
    assert [i.category for i in record.items[:7]] == [i.category for i in rules.items[:7]]
