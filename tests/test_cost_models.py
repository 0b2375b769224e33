"""The one cost model and the typed results.json: conversions, older shapes, round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_extract.cost import SPENT_FIELDS, Cost
from llm_extract.errors import ConfigError, ExtractionError
from llm_extract.evaluation.results import LedgerEntry, LetterCost, LetterResult, Results
from llm_extract.evaluation.runner import evaluate, load_results
from llm_extract.model.client import Usage

REPORTS = Path(__file__).resolve().parents[1] / "evals" / "reports"


def test_usage_converts_to_cost_and_back() -> None:
    meter = Usage(prompt_tokens=120, completion_tokens=30, calls=3, reasks=2, answers=3, wait_seconds=1.5)
    cost = meter.to_cost(seconds=2.25)
    assert (cost.seconds, cost.prompt_tokens, cost.completion_tokens, cost.model_calls, cost.reasks) == (
        2.25, 120, 30, 3, 2)
    back = Usage.from_cost(cost)
    assert (back.prompt_tokens, back.completion_tokens, back.calls, back.reasks) == (120, 30, 3, 2)
    # The answer cache's stored shape is unchanged: "calls", no seconds.
    assert meter.as_dict() == {"prompt_tokens": 120, "completion_tokens": 30, "calls": 3, "reasks": 2}


def test_cost_reads_the_older_calls_key() -> None:
    assert Cost.model_validate({"prompt_tokens": 5, "calls": 4}).model_calls == 4
    assert Cost.model_validate({"model_calls": 6}).model_calls == 6


def test_extraction_error_carries_a_cost_and_still_reads_as_usage() -> None:
    err = ExtractionError("no", cost=Cost(prompt_tokens=9, completion_tokens=2, model_calls=2, reasks=1))
    assert err.usage == {"prompt_tokens": 9, "completion_tokens": 2, "calls": 2, "reasks": 1}
    legacy = ExtractionError("no", usage={"prompt_tokens": 7, "calls": 1})
    assert (legacy.cost.prompt_tokens, legacy.cost.model_calls, legacy.cost.reasks) == (7, 1, 0)
    assert ExtractionError("no").cost == Cost()


def test_ledger_entries_in_the_stored_format_load_and_are_written_the_same_way() -> None:
    # The shapes remember_cost has always written into the answer cache, spelled out by hand.
    old_cost = {"kind": "cost", "cost": {"seconds": 3.5, "prompt_tokens": 800, "completion_tokens": 60,
                                         "model_calls": 2, "reasks": 1}}
    old_failure = {"kind": "failure", "error": "no valid answer", "error_type": "ExtractionError",
                   "cost": {"seconds": 1.0, "prompt_tokens": 10, "completion_tokens": 5, "model_calls": 1,
                            "reasks": 0}}
    for stored in (old_cost, old_failure):
        entry = LedgerEntry.model_validate(stored)
        assert entry.stored() == stored
        assert list(entry.stored()) == list(stored)
    assert LedgerEntry.model_validate(old_failure).error_type == "ExtractionError"
    assert tuple(LedgerEntry.model_validate(old_cost).cost.spent()) == SPENT_FIELDS


def test_letter_cost_is_written_without_its_name_in_the_results_order() -> None:
    cost = LetterCost(name="CM00-0000001", seconds=0.5, model_calls=1, failed="boom", error_type="ModelError")
    assert list(cost.model_dump()) == ["seconds", "prompt_tokens", "completion_tokens", "model_calls", "reasks",
                                       "cache_hit", "cost_known", "failed", "error_type"]
    assert cost.model_dump()["failed"] == "boom"


def test_errors_withheld_is_written_only_for_a_withheld_letter() -> None:
    assert "errors_withheld" not in LetterResult(name="a").model_dump()
    assert LetterResult(name="b", errors_withheld=3).model_dump()["errors_withheld"] == 3


@pytest.mark.parametrize("path", sorted(REPORTS.glob("*/results.json")), ids=lambda p: p.parent.name)
def test_every_committed_results_json_loads(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    results = load_results(path)
    assert [r.name for r in results.runs] == [r["name"] for r in raw["runs"]]
    assert [len(r.letters) for r in results.runs] == [len(r["letters"]) for r in raw["runs"]]
    # Each letter's cost reads back as the one cost model, with the counts the file holds.
    for run, raw_run in zip(results.runs, raw["runs"], strict=True):
        for ls, raw_ls in zip(run.letters, raw_run["letters"], strict=True):
            assert ls.cost.model_dump() == raw_ls["cost"]


def test_results_json_round_trips_through_the_model(tmp_path: Path) -> None:
    ev = evaluate(rules_only=True, limit=2)
    written = ev.to_dict()
    (tmp_path / "results.json").write_text(json.dumps(written), encoding="utf-8")
    assert load_results(tmp_path).model_dump() == json.loads(json.dumps(written))
    assert isinstance(load_results(tmp_path), Results)


def test_a_malformed_results_json_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "results.json"
    bad.write_text(json.dumps({"project": "llm-extract", "runs": [{"name": "x", "letters": [{"cost": 1}]}]}))
    with pytest.raises(ConfigError, match="not a valid llm-extract results.json"):
        load_results(bad)
