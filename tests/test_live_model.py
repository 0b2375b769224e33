"""The real embedded model, started by the library itself. Skipped unless --live or
LLM_EXTRACT_LIVE=1 (see conftest.py); needs the [local] extra. About a minute on 2 cores."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import LABELS, LETTERS
from llm_extract import IMRRecord, extract



@pytest.mark.live
def test_live_embedded_model_on_a_seed_letter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real embedded model, started by the library itself (no base URL anywhere)."""
    for var in ("LLM_EXTRACT_BASE_URL", "OPENAI_BASE_URL", "LLM_EXTRACT_MODEL"):
        monkeypatch.delenv(var, raising=False)
    stem = "000_f466aacbb234c4d7"
    record = extract(LETTERS / f"{stem}.txt", cache_dir=tmp_path / "answers")
    label = IMRRecord.from_json((LABELS / f"{stem}.json").read_text())
    assert record.provenance.base_url == "local:qwen2.5-coder-1.5b"
    assert record.provenance.model_calls >= 1 and record.provenance.completion_tokens > 0
    assert [i.request for i in record.items] == [i.request for i in label.items]
    assert all(i.category is not None for i in record.items)
