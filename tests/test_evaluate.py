"""Evaluation runs: metrics on hand-made records, fixture checks, runs, costs and baselines.

Expected figures are counted by hand from the records built here (or, for the cassette
test, read from the cassette's yaml), never taken from the code under test.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import llm_extract
from conftest import FIVE, ROOT, FakeModel, copy_fixtures
from llm_extract import IMRRecord, Item
from llm_extract.cli.main import main
from llm_extract.errors import ConfigError
from llm_extract.evaluation.fixtures import load_fixtures
from llm_extract.evaluation.runner import RULES_ONLY, evaluate
from llm_extract.evaluation.scoring import (
    failed_letter,
    majority_baseline,
    score_letter,
    score_records,
    wilson_interval,
)
from llm_extract.model.settings import Settings


def _item(request: str, decision: str = "Upheld", **kw: Any) -> Item:
    return Item(request=request, decision=decision, medically_necessary=decision == "Overturned",
                rationale=kw.pop("rationale", "r"), **kw)


def _record(*items: Item, **kw: Any) -> IMRRecord:
    return IMRRecord(items=list(items), **kw)


# ----------------------------------------------------------------------- Wilson intervals

@pytest.mark.parametrize(("correct", "total", "low", "high"), [
    # By hand, z = 1.959964, z^2 = 3.841459:
    # 0/10: high = z^2 / (n + z^2) = 3.841459 / 13.841459
    (0, 10, 0.0, 0.277532),
    # 5/10: 0.5 -+ z * sqrt(n p q + z^2/4) / (n + z^2) = 1.959964 * 1.860210 / 13.841459
    (5, 10, 0.236593, 0.763407),
    # 10/10: low = n / (n + z^2) = 10 / 13.841459
    (10, 10, 0.722468, 1.0),
    # 1/1: low = 1 / 4.841459
    (1, 1, 0.206549, 1.0),
])
def test_wilson_interval_matches_hand_computed_values(correct: int, total: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(correct, total)
    assert lo == pytest.approx(low, abs=1e-5)
    assert hi == pytest.approx(high, abs=1e-5)


def test_wilson_interval_of_nothing_is_none() -> None:
    assert wilson_interval(0, 0) is None


# -------------------------------------------------------------------------- metrics

def test_upheld_and_overturned_recall_are_separate() -> None:
    want = _record(_item("Baclofen 10mg #90"), _item("Acupuncture x6", "Overturned"),
                   _item("MRI of the lumbar spine", "Overturned"))
    # Says Upheld for everything: Upheld recall 1/1, Overturned recall 0/2.
    got = _record(_item("Baclofen 10mg #90"), _item("Acupuncture x6"), _item("MRI of the lumbar spine"))
    s = score_records([("x", got, want)])
    assert (s.upheld_recall.correct, s.upheld_recall.total) == (1, 1)
    assert (s.overturned_recall.correct, s.overturned_recall.total) == (0, 2)
    assert (s.field("item.decision").correct, s.field("item.decision").total) == (1, 3)


def test_confusion_matrix_follows_alignment_not_position() -> None:
    a = _item("Norco 10/325mg #60", category="pharmaceutical", drug_class="opioid")
    b = _item("MRI of the right shoulder", category="diagnostic")
    c = _item("Physical therapy x12", category="rehabilitation")
    # Reordered, and b's category wrong: only the (diagnostic -> surgery) cell is off the diagonal.
    got = _record(c, b.model_copy(update={"category": "surgery"}), a)
    s = score_records([("x", got, _record(a, b, c))])
    assert s.category_confusion() == {"pharmaceutical": {"pharmaceutical": 1}, "diagnostic": {"surgery": 1},
                                      "rehabilitation": {"rehabilitation": 1}}
    assert (s.field("item.category").correct, s.field("item.category").total) == (2, 3)


def test_confusion_matrix_with_extra_and_missing_items() -> None:
    want = _record(_item("TENS unit rental", category="durable_medical_equipment"),
                   _item("Lumbar epidural steroid injection", category="injection"))
    # The injection is missed and an unrelated extra item appears: one matched pair only.
    got = _record(_item("TENS unit rental", category=None),
                  _item("Completely unrelated request text", category="surgery"))
    s = score_records([("x", got, want)])
    assert s.category_confusion() == {"durable_medical_equipment": {"none": 1}}
    assert (s.item_precision.correct, s.item_precision.total) == (1, 2)
    assert (s.item_recall.correct, s.item_recall.total) == (1, 2)


def test_empty_prediction_against_items() -> None:
    want = _record(_item("Baclofen 10mg #90"), _item("Acupuncture x6", "Overturned"))
    s = score_records([("x", _record(), want)])
    assert (s.item_precision.correct, s.item_precision.total) == (0, 0)
    assert s.item_precision.interval is None
    assert (s.item_recall.correct, s.item_recall.total) == (0, 2)
    assert s.field("item.request").total == 0  # item fields are per matched item
    assert s.category_confusion() == {}


def test_field_score_interval_and_dict() -> None:
    s = score_records([("a", _record(priority="Standard"), _record(priority="Standard")),
                       ("b", _record(priority=None), _record(priority="Expedited"))])
    d = s.field("priority").as_dict()
    assert (d["correct"], d["total"], d["accuracy"]) == (1, 2, 0.5)
    # 1/2 by hand: 0.5 -+ z sqrt(2*0.25 + z^2/4) / (2 + z^2) = 0.5 -+ 1.959964 * 1.208456 / 5.841459
    assert d["low"] == pytest.approx(0.5 - 0.405468, abs=1e-5)
    assert d["high"] == pytest.approx(0.5 + 0.405468, abs=1e-5)


def test_failed_letter_counts_every_field_wrong_and_every_item_missed() -> None:
    label = _record(_item("Baclofen 10mg #90"), _item("Acupuncture x6", "Overturned"), case_number="CM16-0000001")
    ok = score_letter("good", label, label)
    bad = failed_letter("bad", label, "the answer never validated")
    s = score_records([])
    s.letters = [ok, bad]
    assert (s.field("case_number").correct, s.field("case_number").total) == (1, 2)
    assert (s.item_recall.correct, s.item_recall.total) == (2, 4)
    assert (s.overturned_recall.correct, s.overturned_recall.total) == (1, 2)
    assert (s.letters_all_right.correct, s.letters_all_right.total) == (1, 2)
    assert [ls.name for ls in s.failed] == ["bad"]
    assert not bad.all_right


def test_majority_baseline_on_hand_made_labels() -> None:
    labels = [
        _record(_item("a1", category="pharmaceutical", drug_class="opioid", guideline_sources=["MTUS"]),
                _item("a2", "Overturned", category="diagnostic", guideline_sources=["MTUS", "ODG"]),
                priority="Standard", patient={"sex": "female"}),
        _record(_item("b1", category="pharmaceutical", drug_class="nsaid", guideline_sources=["MTUS"]),
                priority="Standard", patient={"sex": "male"}),
        _record(_item("c1", category="rehabilitation", guideline_sources=[]),
                priority="Expedited", patient={"sex": "female"}),
    ]
    m = majority_baseline(labels)
    # Items: decisions U, O, U, U -> Upheld 3/4; categories pharma x2 of 4; drug_class None x2 of 4.
    assert m.answers["item.decision"] == "Upheld"
    assert (m.fields["item.decision"].correct, m.fields["item.decision"].total) == (3, 4)
    assert m.answers["item.category"] == "pharmaceutical"
    assert (m.fields["item.category"].correct, m.fields["item.category"].total) == (2, 4)
    assert m.answers["item.drug_class"] is None and m.fields["item.drug_class"].correct == 2
    assert m.answers["item.guideline_sources"] == ["MTUS"]
    assert (m.fields["item.guideline_sources"].correct, m.fields["item.guideline_sources"].total) == (2, 4)
    assert m.answers["priority"] == "Standard" and m.fields["priority"].correct == 2
    assert m.answers["patient.sex"] == "female" and m.fields["patient.sex"].total == 3
    assert (m.upheld_recall.correct, m.upheld_recall.total) == (3, 3)
    assert (m.overturned_recall.correct, m.overturned_recall.total) == (0, 1)


# ------------------------------------------------------------------------ fixture checks

def test_fixture_label_that_does_not_validate_is_an_error(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "fx", FIVE[:2])
    path = root / "labels" / f"{FIVE[0]}.json"
    data = json.loads(path.read_text())
    data["items"][0]["decision"] = "Maybe"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError, match="does not validate") as exc:
        load_fixtures(root)
    assert exc.value.source == str(path)


def test_fixture_letter_labelled_twice_by_file_name_case(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "fx", FIVE[:2])
    shutil.copy(root / "labels" / f"{FIVE[0]}.json", root / "labels" / f"{FIVE[0].lower()}.JSON")
    with pytest.raises(ConfigError, match="labelled twice"):
        load_fixtures(root)


def test_fixture_letter_labelled_twice_by_case_number(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "fx", FIVE[:2])
    # The same letter under a second name, with a copy of its label.
    shutil.copy(root / "letters" / f"{FIVE[0]}.pdf", root / "letters" / "copy.pdf")
    shutil.copy(root / "labels" / f"{FIVE[0]}.json", root / "labels" / "copy.json")
    with pytest.raises(ConfigError, match="CM16-0213037 is labelled twice"):
        load_fixtures(root)


def test_fixture_label_without_letter_is_an_error(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "fx", FIVE[:2])
    (root / "letters" / f"{FIVE[1]}.pdf").unlink()
    with pytest.raises(ConfigError, match="no letter"):
        load_fixtures(root)


def test_fixture_letter_without_label_and_stray_label_file_are_errors(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "fx", FIVE[:2])
    (root / "labels" / f"{FIVE[1]}.json").unlink()
    with pytest.raises(ConfigError, match="without a label"):
        load_fixtures(root)
    root2 = copy_fixtures(tmp_path / "fx2", FIVE[:1])
    (root2 / "labels" / "notes.yaml").write_text("x: 1")
    with pytest.raises(ConfigError, match="not a label"):
        load_fixtures(root2)


def test_evaluate_refuses_a_bad_fixture_set(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "fx", FIVE[:1])
    (root / "labels" / "ghost.json").write_text("{}")
    with pytest.raises(ConfigError):
        evaluate(root, rules_only=True)


# ------------------------------------------------------------------ runs with a fake model

def test_model_run_scores_costs_and_failures(fake: tuple[FakeModel, Path, Settings]) -> None:
    model, root, settings = fake
    ev = llm_extract.evaluate(root, prompts=["imr-hybrid@1"], settings=settings)
    assert isinstance(ev, llm_extract.Evaluation)
    assert [r.name for r in ev.runs] == [RULES_ONLY, "imr-hybrid@1 × fake-1b"]
    run = ev.run("imr-hybrid@1 × fake-1b")
    # Category: 2+2+6+1+6 = 17 labelled items, 1 lost with the failed letter -> 16 matched, 1 wrong.
    cat = run.metric("item.category")
    assert (cat.correct, cat.total) == (15, 16)
    assert run.score.category_confusion()["diagnostic"]["surgery"] == 1
    # The failed letter counts: case_number 4/5, item recall 16/17.
    assert (run.metric("case_number").correct, run.metric("case_number").total) == (4, 5)
    assert (run.metric("item recall").correct, run.metric("item recall").total) == (16, 17)
    assert [c.name for c in run.failed] == ["CM16-0233904"]
    assert [c.name for c in run.reasked] == ["CM16-0230548", "CM16-0233904"]
    s = run.summary()
    # Tokens: 100, 200, 100, 100 for the four that answered, 300 for the failure -> 800 / 5.
    assert s["prompt_tokens_per_letter"] == pytest.approx(160.0)
    assert s["model_calls_per_letter"] == pytest.approx((1 + 2 + 1 + 3 + 1) / 5)
    assert s["failed"] == 1 and s["reasked"] == 2 and s["cost_unknown"] == 0


def test_rerun_reads_costs_from_the_ledger_and_does_not_retry_failures(
        fake: tuple[FakeModel, Path, Settings]) -> None:
    model, root, settings = fake
    first = evaluate(root, prompts=["imr-hybrid@1"], settings=settings).runs[1].summary()
    model.calls.clear()
    second_ev = evaluate(root, prompts=["imr-hybrid@1"], settings=settings)
    second = second_ev.runs[1]
    assert "CM16-0233904" not in model.calls  # recorded failure: no model time spent again
    assert all(c.cache_hit for c in second.costs if c.failed is None)
    assert second.summary()["prompt_tokens_per_letter"] == first["prompt_tokens_per_letter"]
    assert second.summary()["seconds_per_letter"] == first["seconds_per_letter"]
    assert [c.name for c in second.failed] == ["CM16-0233904"]
    model.calls.clear()
    evaluate(root, prompts=["imr-hybrid@1"], settings=settings, retry_failed=True)
    assert "CM16-0233904" in model.calls


def test_cache_filled_elsewhere_means_cost_unknown(fake: tuple[FakeModel, Path, Settings]) -> None:
    model, root, settings = fake
    model.seen.update(FIVE)  # every answer is a cache hit the evaluation never paid for
    run = evaluate(root, prompts=["imr-hybrid@1"], settings=settings).runs[1]
    assert run.summary()["cost_unknown"] == 4  # the failed letter's cost is known from its error
    assert run.per_letter("prompt_tokens") == 300


def test_runs_are_every_prompt_times_every_model(fake: tuple[FakeModel, Path, Settings]) -> None:
    _, root, settings = fake
    ev = evaluate(root, prompts=["imr-hybrid@1", "imr-full@1"], models=["m-a", "m-b"], settings=settings)
    assert [r.name for r in ev.runs] == [RULES_ONLY, "imr-hybrid@1 × m-a", "imr-hybrid@1 × m-b",
                                         "imr-full@1 × m-a", "imr-full@1 × m-b"]
    assert ev.runs[2].settings["model"] == "m-b"


def test_unknown_prompt_and_conflicting_flags_are_config_errors(fake: tuple[FakeModel, Path, Settings]) -> None:
    _, root, settings = fake
    with pytest.raises(ConfigError, match="unknown prompt"):
        evaluate(root, prompts=["no-such-prompt"], settings=settings)
    with pytest.raises(ConfigError, match="rules_only"):
        evaluate(root, rules_only=True, models=["x"])


# ----------------------------------------------------------------------------- baselines

def _break_labels(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / "labels" / f"{name}.json"
        data = json.loads(path.read_text())
        data["decision_date"] = "2000-01-01"
        path.write_text(json.dumps(data))


def test_baseline_regression_exits_non_zero(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "fx")
    base = tmp_path / "base"
    first = CliRunner().invoke(main, ["eval", "--rules-only", "--fixtures", str(root), "--out", str(base)])
    assert first.exit_code == 0, first.output
    # 2 of 5 decision dates now disagree: 3/5 = 60% is inside 5/5's interval [56.6%, 100%].
    _break_labels(root, FIVE[:2])
    within = CliRunner().invoke(main, ["eval", "--rules-only", "--fixtures", str(root), "--baseline", str(base)])
    assert within.exit_code == 0, within.output
    assert "worse: rules-only: decision_date 60.0%" in within.stderr
    # 3 of 5: 40% is below 56.6%, a regression.
    _break_labels(root, FIVE[:3])
    out = tmp_path / "now"
    dropped = CliRunner().invoke(main, ["eval", "--rules-only", "--fixtures", str(root),
                                        "--baseline", str(base / "results.json"), "--out", str(out)])
    assert dropped.exit_code == 3, dropped.output
    assert "REGRESSION: rules-only: decision_date 40.0%" in dropped.stderr
    results = json.loads((out / "results.json").read_text())
    flagged = [(c["field"], c["regression"]) for c in results["changes"] if c["worse"]]
    assert ("decision_date", True) in flagged
    assert "REGRESSION" in (out / "report.md").read_text()


def test_baseline_by_run_name_and_unknown_baseline(fake: tuple[FakeModel, Path, Settings]) -> None:
    _, root, settings = fake
    ev = evaluate(root, prompts=["imr-hybrid@1"], settings=settings, baseline=RULES_ONLY)
    by_field = {c.field: c for c in ev.changes}
    # The failed letter costs the model run 1 of 5 case numbers: 80% is inside 5/5's interval.
    assert by_field["case_number"].worse and not by_field["case_number"].regression
    assert "item.treatment" in by_field  # the rules name treatments too, so the model run is compared
    with pytest.raises(ConfigError, match="neither"):
        evaluate(root, rules_only=True, baseline="no such run")


# --------------------------------------------------------------------- recorded traffic

CASSETTE = ROOT / "tests" / "cassettes" / "test_model_pass" / "test_full_extraction_hybrid.yaml"


@pytest.mark.skipif(not CASSETTE.exists(), reason="the model pass's cassette is not recorded yet")
@pytest.mark.block_network
@pytest.mark.vcr(str(CASSETTE))
def test_end_to_end_eval_over_recorded_cassette(tmp_path: Path) -> None:
    from tests.conftest import RECORD_URL

    root = copy_fixtures(tmp_path / "fx", ["CM16-0213037"])
    settings = Settings.resolve(base_url=RECORD_URL, model="qwen2.5-coder-1.5b", cache_dir=tmp_path / "answers",
                                env={})
    usage = [json.loads(i["response"]["body"]["string"])["usage"]
             for i in yaml.safe_load(CASSETTE.read_text())["interactions"] if i["response"]["status"]["code"] == 200]
    ev = evaluate(root, prompts=["imr-hybrid@1"], settings=settings)
    run = ev.run("imr-hybrid@1 × qwen2.5-coder-1.5b")
    assert run.failed == [] and run.costs[0].model_calls == 1
    assert run.costs[0].prompt_tokens == usage[0]["prompt_tokens"]
    label = IMRRecord.from_json((root / "labels" / "CM16-0213037.json").read_text())
    cat = run.metric("item.category")
    assert (cat.correct, cat.total) == (len(label.items), len(label.items))
    # Again, from the cache: no request (the cassette holds one answer) and the same cost.
    again = evaluate(root, prompts=["imr-hybrid@1"], settings=settings).run(run.name)
    assert again.costs[0].cache_hit and again.costs[0].prompt_tokens == usage[0]["prompt_tokens"]
