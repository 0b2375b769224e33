"""Scoring on small hand-made record pairs."""

from __future__ import annotations

import datetime as dt

from llm_extract import IMRRecord, Item
from llm_extract.evaluation.scoring import align_items, score_letter, score_records


def _item(request: str, decision: str = "Upheld", **kw) -> Item:
    return Item(request=request, decision=decision, medically_necessary=decision == "Overturned",
                rationale=kw.pop("rationale", "r"), **kw)


def _record(*items: Item, **kw) -> IMRRecord:
    return IMRRecord(items=list(items), **kw)


def test_identical_records_score_perfectly() -> None:
    rec = _record(_item("Norco 10/325mg #60", category="pharmaceutical", drug_class="opioid"),
                  case_number="CM16-0000001", date_assigned=dt.date(2016, 1, 2))
    s = score_letter("a", rec, rec)
    assert all(s.fields.values()) and s.all_right
    assert (s.matched_items, s.predicted_items, s.labelled_items) == (1, 1, 1)


def test_whitespace_case_and_quote_glyphs_do_not_count() -> None:
    got = _record(_item("MRI  of the RIGHT shoulder", rationale='the "x" isn\u2019t'))
    want = _record(_item("MRI of the right shoulder", rationale='the "x\u2122 isn\'t'))
    assert score_letter("a", got, want).errors == []


def test_reordered_items_align_by_request() -> None:
    a, b = _item("Baclofen 10mg #90"), _item("MRI of the lumbar spine", "Overturned")
    assert align_items([b, a], [a, b]) == [(1, 0), (0, 1)]
    s = score_letter("x", _record(b, a), _record(a, b))
    assert s.errors == [] and s.overturned_found == 1


def test_missing_and_extra_items_cost_recall_and_precision() -> None:
    want = _record(_item("Baclofen 10mg #90"), _item("Acupuncture x6", "Overturned"))
    got = _record(_item("Baclofen 10mg #90"), _item("Completely different thing here"),
                  _item("Another unrelated request"))
    score = score_records([("x", got, want)])
    assert (score.item_precision.correct, score.item_precision.total) == (1, 3)
    assert (score.item_recall.correct, score.item_recall.total) == (1, 2)
    assert (score.overturned_recall.correct, score.overturned_recall.total) == (0, 1)
    assert score.letters_all_right.correct == 0


def test_empty_items_on_both_sides() -> None:
    s = score_records([("x", _record(), _record())])
    assert s.item_recall.total == 0 and s.item_recall.accuracy is None
    assert s.letters_all_right.correct == 1


def test_wrong_decision_is_caught_and_breaks_overturned_recall() -> None:
    want = _record(_item("TENS unit", "Overturned"))
    got = _record(_item("TENS unit", "Upheld"))
    score = score_records([("x", got, want)])
    assert score.field("item.decision").correct == 0
    assert score.overturned_recall.correct == 0 and score.overturned_recall.total == 1


def test_lists_must_match_in_order() -> None:
    want = IMRRecord(reviewer={"licensure_states": ["Texas", "California"]})
    got = IMRRecord(reviewer={"licensure_states": ["California", "Texas"]})
    s = score_letter("x", got, want, ["reviewer.licensure_states"])
    assert s.fields == {"reviewer.licensure_states": False}


def test_field_subset_limits_what_is_scored() -> None:
    want = _record(_item("Norco", category="pharmaceutical", drug_class="opioid"))
    got = _record(_item("Norco"))
    assert score_letter("x", got, want, ["item.request"]).errors == []
    assert score_letter("x", got, want).fields["item.category[0]"] is False
