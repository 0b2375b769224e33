"""Confidence on every value, the review list, and what the evaluation makes of them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from batch_helpers import write_letters
from conftest import LETTERS
from llm_extract import extract
from llm_extract.batch import extract_batch
from llm_extract.evaluation.calibration import ValueScore, at_threshold, by_source, left_open, risk_coverage
from llm_extract.record import Category, Confidence, DrugClass, IMRRecord, Item, ValueSource
from llm_extract.rules.confidence import REVIEW_THRESHOLD, category_confidence, needs_review, settle_model_values
from llm_extract.rules.guideline_topics import place
from llm_extract.rules.neighbours import Vote
from llm_extract.rules.placing import placed


def _vote(category: Category, drug_class: DrugClass | None = None, agreement: float = 1.0,
          similarity: float = 0.95) -> Vote:
    return Vote(category=category, drug_class=drug_class, agreement=agreement, similarity=similarity, support=())


# --- scores ---------------------------------------------------------------------------------

def test_agreeing_sources_raise_the_score_and_disagreeing_ones_lower_it() -> None:
    alone = category_confidence(ValueSource.WORDS)
    agreed = category_confidence(ValueSource.WORDS, topic_agrees=True)
    neighbours_agree = category_confidence(ValueSource.WORDS, neighbours=True)
    disagreed = category_confidence(ValueSource.WORDS, neighbours=False)
    contested = category_confidence(ValueSource.WORDS, contested=True)
    assert disagreed.score < alone.score < agreed.score
    assert alone.score < neighbours_agree.score
    assert contested.score < REVIEW_THRESHOLD <= alone.score
    assert "neighbours_disagree" in disagreed.reasons and "contested" in contested.reasons
    for conf in (alone, agreed, disagreed, contested):
        assert 0.0 <= conf.score <= 1.0


def test_a_request_no_source_places_is_unanswered_with_zero_confidence() -> None:
    p = placed(None, None, None)
    assert p.category is None and p.category_source is ValueSource.NONE
    assert p.category_conf.score == 0.0 and p.class_conf.score == 0.0


def test_neighbours_answer_an_unplaced_request_and_their_score_follows_agreement() -> None:
    sure = placed(None, None, _vote(Category.DURABLE_MEDICAL_EQUIPMENT, agreement=1.0, similarity=0.95))
    unsure = placed(None, None, _vote(Category.DURABLE_MEDICAL_EQUIPMENT, agreement=0.6, similarity=0.7))
    assert sure.category is Category.DURABLE_MEDICAL_EQUIPMENT and sure.category_source is ValueSource.NEIGHBOURS
    assert sure.drug_class is None
    assert unsure.category_conf.score < sure.category_conf.score


def test_neighbours_settle_a_contest_for_the_side_they_agree_with() -> None:
    kind = place("Physical therapy evaluation", "Decision based on MTUS, Section(s): Office visits.")
    assert kind is not None
    topic_side = type("Alt", (), {"category": Category.EVALUATION_MANAGEMENT, "drug_class": None})()
    words = placed(kind, topic_side, _vote(kind.category))
    topic = placed(kind, topic_side, _vote(Category.EVALUATION_MANAGEMENT))
    open_ = placed(kind, topic_side, None)
    assert words.settled == "words" and words.category is kind.category
    assert topic.settled == "topic" and topic.category is Category.EVALUATION_MANAGEMENT
    assert topic.category_source is ValueSource.TOPIC
    assert open_.settled is None and open_.category_conf.score < REVIEW_THRESHOLD


def test_a_drug_class_is_never_surer_than_its_category() -> None:
    kind = place("Norco 10/325mg #60", None)
    assert kind is not None
    p = placed(kind, None, _vote(Category.REHABILITATION))
    assert p.class_conf.score <= p.category_conf.score
    assert "neighbours_disagree" in p.category_conf.reasons


# --- records --------------------------------------------------------------------------------

def test_every_item_value_and_diagnosis_of_a_real_letter_has_a_confidence() -> None:
    record = extract(LETTERS / "CM16-0213037.pdf", rules_only=True)
    assert record.items and record.diagnoses
    for item in record.items:
        assert set(item.confidence) == {"treatment", "category", "drug_class"}
    assert set(record.confidence) == {f"diagnoses.{i}" for i in range(len(record.diagnoses))}
    assert record.needs_review == needs_review(record)
    # A record with its confidences round-trips through JSON.
    assert IMRRecord.from_json(record.to_json()) == record


def _record(scores: dict[str, float], diagnosis: float | None = None) -> IMRRecord:
    item = Item(request="Acupuncture x6", decision="Upheld", medically_necessary=False, treatment="Acupuncture",
                category=Category.REHABILITATION,
                confidence={k: Confidence(source=ValueSource.WORDS, score=v) for k, v in scores.items()})
    rec = IMRRecord(items=[item], diagnoses=["low back pain"] if diagnosis is not None else [])
    if diagnosis is not None:
        rec.confidence["diagnoses.0"] = Confidence(source=ValueSource.RULES, score=diagnosis)
    return rec


def test_needs_review_lists_exactly_the_values_below_the_threshold() -> None:
    rec = _record({"treatment": 0.95, "category": 0.4, "drug_class": 0.79}, diagnosis=0.2)
    assert needs_review(rec, 0.8, 0.8) == ["items.0.category", "items.0.drug_class", "diagnoses.0"]
    assert needs_review(rec, 0.3, 0.3) == ["diagnoses.0"]
    assert needs_review(rec, 0.8, 0.1) == ["items.0.category", "items.0.drug_class"]
    assert needs_review(rec, 0.0, 0.0) == []


def test_a_value_the_model_fills_is_marked_as_the_models() -> None:
    rules = _record({"treatment": 0.95, "category": 0.0, "drug_class": 0.0})
    rules.items[0].category = None
    merged = rules.model_copy(deep=True)
    merged.items[0].category = Category.REHABILITATION
    merged.diagnoses.append("lumbar strain")
    settle_model_values(rules, merged)
    assert merged.items[0].confidence["category"].source is ValueSource.MODEL
    assert merged.items[0].confidence["treatment"].source is ValueSource.WORDS  # untouched by the model
    assert merged.confidence["diagnoses.0"].source is ValueSource.MODEL
    assert merged.needs_review == needs_review(merged)


# --- calibration ----------------------------------------------------------------------------

def _values() -> list[ValueScore]:
    # Four right values at high scores, two wrong at low ones, one wrong at a high one.
    return [ValueScore("category", "words", 0.99, True), ValueScore("category", "words", 0.95, True),
            ValueScore("treatment", "rules", 0.9, True), ValueScore("treatment", "rules", 0.97, False),
            ValueScore("category", "model", 0.55, False), ValueScore("drug_class", "model", 0.6, False),
            ValueScore("category", "neighbours", 0.85, True)]


def test_at_threshold_counts_flags_and_catches_by_hand() -> None:
    fl = at_threshold(_values(), 0.8)
    assert (fl.values, fl.flagged, fl.wrong, fl.wrong_flagged) == (7, 2, 3, 2)
    assert fl.kept_accuracy == pytest.approx(4 / 5)
    assert fl.caught_share == pytest.approx(2 / 3)


def test_risk_coverage_runs_from_nothing_flagged_to_everything() -> None:
    curve = risk_coverage(_values())
    assert curve[0].flagged == 0 and curve[-1].flagged == 7
    assert [p.flagged for p in curve] == sorted(p.flagged for p in curve)
    assert curve[0].kept_accuracy == pytest.approx(4 / 7)


def test_by_source_counts_right_and_total_per_field_and_source() -> None:
    table = by_source(_values())
    assert table["category"] == {"words": (2, 2), "model": (0, 1), "neighbours": (1, 1)}
    assert table["treatment"] == {"rules": (1, 2)}


# --- the review queue -----------------------------------------------------------------------

def _flagging_extract(letter):
    from batch_helpers import fake_extract

    rec = fake_extract(letter)
    for item in rec.items:
        item.confidence = {"treatment": Confidence(source=ValueSource.RULES, score=0.99),
                           "category": Confidence(source=ValueSource.MODEL, score=0.5, reasons=["model_answered"]),
                           "drug_class": Confidence(source=ValueSource.MODEL, score=0.99)}
    rec.needs_review = needs_review(rec)
    return rec


def test_batch_writes_the_review_queue_and_the_items_confidence(tmp_path: Path) -> None:
    paths = write_letters(tmp_path / "in", 3)
    out = tmp_path / "out"
    list(extract_batch([tmp_path / "in"], out_dir=out, extract_fn=_flagging_extract))
    items = list(csv.DictReader((out / "items.csv").open(encoding="utf-8")))
    review = list(csv.DictReader((out / "review.csv").open(encoding="utf-8")))
    assert len(review) == len(items) > 0  # one flagged category per item
    assert {r["path"].split(".")[-1] for r in review} == {"category"}
    assert all(r["answered_by"] == "model" and float(r["confidence"]) == 0.5 for r in review)
    assert all(it["category_source"] == "model" and it["needs_review"] == "category" for it in items)
    assert {r["source"] for r in review} == {str(p) for p in paths}


def test_format_review_alone_writes_only_the_queue(tmp_path: Path) -> None:
    write_letters(tmp_path / "in", 2)
    out = tmp_path / "out"
    list(extract_batch([tmp_path / "in"], out_dir=out, extract_fn=_flagging_extract, formats=["review"]))
    assert (out / "review.csv").exists()
    assert not (out / "items.csv").exists() and not (out / "letters.csv").exists()
    rows = [json.loads(line) for line in (out / "records.jsonl").open(encoding="utf-8")]
    assert len(rows) == 2  # the log of finished letters is kept whatever the tables


def test_left_open_counts_what_the_rules_could_not_settle() -> None:
    values = _values() + [ValueScore("category", "words", 0.5, True, ("contested",)),
                          ValueScore("category", "none", 0.0, False, ("unanswered",))]
    table = left_open(values)
    assert table["all"] == (2, 4)  # model (wrong), neighbours (right), a kept contest (right), unanswered
    assert table["model"] == (0, 1) and table["neighbours"] == (1, 1) and table["none"] == (0, 1)
    assert table["contest kept by rules"] == (1, 1)


def test_a_non_drug_category_from_the_model_carries_its_confidence_to_the_null_class() -> None:
    rules = _record({"treatment": 0.99, "category": 0.0, "drug_class": 0.0})
    rules.items[0].category = None
    merged = rules.model_copy(deep=True)
    merged.items[0].category = Category.REHABILITATION
    merged.items[0].confidence["category"] = Confidence(source=ValueSource.MODEL, score=0.8)
    settle_model_values(rules, merged)
    assert merged.items[0].confidence["drug_class"] == merged.items[0].confidence["category"]
