"""The deterministic pass against hand-labelled letters: each layout and each hard case.

Expected values come from the fixture labels, which were written by reading the letters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_extract import Decision, InputError, extract, letter_from_text
from llm_extract.evaluation.fixtures import load_fixtures
from llm_extract.evaluation.scoring import RULES_FIELDS, score_letter

FIXTURES = {f.name: f for f in load_fixtures()}


def _rules(name: str):
    fx = FIXTURES[name]
    return extract(fx.letter, rules_only=True), fx.label


@pytest.mark.parametrize(
    "name",
    [
        "CM16-0213037",  # PDF text with the Case Number header
        "000_f466aacbb234c4d7",  # PDF text, no header, decision on its own line
        "001_e427a7d9878cdb2d",  # PDF text, no header, double-spaced
        "003_920be4540613d1dd",  # PDF text, no header
        "002_9bc453546c16a93c",  # HTML/markdown copy with <b> header
        "004_5b182d2c9df6dc4d",  # HTML/markdown copy with ** emphasis
    ],
)
def test_each_layout_matches_its_label_on_every_rules_field(name: str) -> None:
    record, label = _rules(name)
    score = score_letter(name, record, label, RULES_FIELDS)
    assert score.errors == []
    assert score.matched_items == len(label.items) == len(record.items)


def test_header_dates_and_split_application_received_label() -> None:
    record, label = _rules("CM16-0213037")
    assert (record.case_number, record.date_assigned, record.decision_date, record.ur_denial_date,
            record.application_received, record.priority) == (
        label.case_number, label.date_assigned, label.decision_date, label.ur_denial_date,
        label.application_received, label.priority)
    assert record.application_received is not None


@pytest.mark.parametrize(("name", "when"), [("000_f466aacbb234c4d7", "2006-04-02"),
                                           ("001_e427a7d9878cdb2d", "1977-01-25"),
                                           ("003_920be4540613d1dd", "2000-04-17")])
def test_injury_date_from_the_summary_without_a_header(name: str, when: str) -> None:
    record, _ = _rules(name)
    assert record.case_number is None
    assert record.date_of_injury is not None and record.date_of_injury.isoformat() == when


def test_fifteen_item_letter_with_associated_surgical_services() -> None:
    record, label = _rules("CM17-0014449")
    assert [i.request for i in record.items] == [i.request for i in label.items]
    assert len(record.items) == 15
    assoc = sum(i.request.startswith("Associated surgical service:") for i in record.items)
    assert assoc == sum(i.request.startswith("Associated surgical service:") for i in label.items) > 0


@pytest.mark.parametrize("name", ["CM17-0010420", "CM16-0246487", "CM17-0012582"])
def test_mixed_upheld_and_overturned(name: str) -> None:
    record, label = _rules(name)
    assert [i.decision for i in record.items] == [i.decision for i in label.items]
    assert {Decision.UPHELD, Decision.OVERTURNED} <= {i.decision for i in record.items}
    assert all(i.medically_necessary == (i.decision is Decision.OVERTURNED) for i in record.items)


@pytest.mark.parametrize("name", ["CM16-0233904", "CM17-0002198", "CM16-0241231", "CM16-0249536"])
def test_original_request_and_remaining_portion_wording(name: str) -> None:
    record, label = _rules(name)
    assert [i.request for i in record.items] == [i.request for i in label.items]
    for item in record.items:
        assert "original request" not in item.request.lower()
        assert not item.request.endswith((" is", ","))


def test_did_not_cite_any_medical_evidence_gives_no_sources() -> None:
    record, label = _rules("CM16-0238035")
    no_cite = [i for i in record.items if "did not cite" in (i.maximus_guideline or "")]
    assert no_cite and all(i.guideline_sources == [] for i in no_cite)
    assert [i.guideline_sources for i in record.items] == [i.guideline_sources for i in label.items]


@pytest.mark.parametrize("name", ["CM17-0011730", "CM17-0013587", "CM17-0009995", "CM16-0232543"])
def test_non_mtus_citations(name: str) -> None:
    record, label = _rules(name)
    assert [i.guideline_sources for i in record.items] == [i.guideline_sources for i in label.items]


@pytest.mark.parametrize("name", ["CM17-0007300", "CM17-0012517", "CM17-0008519"])
def test_wrapped_specialties(name: str) -> None:
    record, label = _rules(name)
    assert record.reviewer.specialties == label.reviewer.specialties
    assert record.reviewer.licensure_states == label.reviewer.licensure_states


def test_rationale_stops_before_the_next_request() -> None:
    record, label = _rules("CM16-0213037")
    assert record.items[0].rationale == label.items[0].rationale
    assert "MRI of the cervical spine without contrast: Upheld" not in record.items[0].rationale


def test_strength_and_quantity_where_stated_plainly() -> None:
    record = extract(
        text="IMR ISSUES, DECISIONS AND RATIONALES\n"
        "The Final Determination was based on decisions for the disputed items/services set forth below:\n\n"
        "Norco 7.5-325mg #112: Upheld\n\nDecision rationale: Not supported.\n\n"
        "Physical therapy 2 times a week for 4 weeks: Overturned\n\nDecision rationale: Supported.\n\n"
        "Twelve sessions of acupuncture: Upheld\n\nDecision rationale: No.\n",
        rules_only=True,
    )
    got = [(i.strength, i.quantity) for i in record.items]
    assert got == [("7.5-325mg", 112), (None, None), (None, 12)]


def test_record_round_trips_through_json() -> None:
    record, _ = _rules("CM16-0246487")
    line = record.to_line("some/path.pdf")
    back = type(record).from_json(line)
    assert back == record.model_copy(update={"provenance": record.provenance})
    assert back.model_dump() == record.model_dump()


def test_marker_phrases_alone_are_not_a_letter() -> None:
    # issue 11, hole 5: "MAXIMUS" and no decision line, case summary or issues section.
    with pytest.raises(InputError, match=r"^<text>: not an IMR final determination letter"):
        extract(text="MAXIMUS Federal Services\nThe reviewer looked at the file.\nNothing else.\n",
                rules_only=True)


def test_text_letters_carry_evidence_for_every_value() -> None:
    record, _ = _rules("CM16-0213037")
    for key in ("case_number", "date_assigned", "application_received", "priority", "patient.age",
                "patient.sex", "reviewer.licensure_states.0", "reviewer.specialties.0"):
        assert key in record.evidence
    for item in record.items:
        assert {"request", "decision", "maximus_guideline", "rationale"} <= set(item.evidence)


def test_source_of_text_input() -> None:
    record = extract(letter_from_text((Path(__file__).parent.parent / "evals/fixtures/dev/letters/"
                                       "004_5b182d2c9df6dc4d.md").read_text(), source="x"), rules_only=True)
    assert record.provenance.source == "x"
    assert record.case_number == "CM17-0015790"
