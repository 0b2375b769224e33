"""The real embedded model, started by the library itself. Skipped unless --live or
LLM_EXTRACT_LIVE=1 (see conftest.py); needs the [local] extra. About a minute on 2 cores."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import LABELS, LETTERS
from llm_extract import IMRRecord, extract, read_letter
from llm_extract.evaluation.scoring import match_diagnoses
from llm_extract.rules.layout import find_sections


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
    assert record.provenance.prompt == "imr-hybrid@3" and record.provenance.model_calls == 0
    assert [i.request for i in record.items] == [i.request for i in label.items]
    assert [i.category for i in record.items] == [i.category for i in label.items]


@pytest.mark.live
def test_live_open_diagnoses_from_the_embedded_model(tmp_path: Path, embedded: None) -> None:
    """A letter whose summary states its diagnoses in no phrasing the rules read."""
    stem = "CM16-0242419"
    letter = read_letter(LETTERS / f"{stem}.pdf")
    record = extract(letter, cache_dir=tmp_path / "answers")
    assert record.provenance.base_url == "local:qwen2.5-coder-1.5b"
    # The constraint self-test and the question.
    assert record.provenance.model_calls >= 2 and record.provenance.completion_tokens > 0
    sections = find_sections(letter.text)
    for i in range(len(record.diagnoses)):
        span = record.evidence[f"diagnoses.{i}"]
        assert span.source == "model" and sections.summary <= span.start < span.end <= sections.issues
    assert match_diagnoses(record.diagnoses, _label(stem).diagnoses) >= 1
