"""Property: every evidence span slices the normalised text to the value it supports.

Letters are generated in the state's PDF-text layout with random values and random line
wrapping, run through the deterministic pass, and every value is checked against its span
(and against the value that was written into the letter).
"""

from __future__ import annotations

import datetime as dt
import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llm_extract import extract
from llm_extract.reading.letter import letter_from_text
from llm_extract.rules.dates import parse_date

STATES = ["California", "New York", "Texas", "North Carolina", "Florida", "Arizona", "New Jersey"]
SPECIALTIES = ["Family Practice", "Orthopedic Surgery", "Physical Medicine & Rehabilitation",
               "Pain Management", "Public Health & General Preventive Medicine", "Internal Medicine"]
WORDS = ["Baclofen", "MRI", "of", "the", "right", "shoulder", "lumbar", "spine", "therapy",
         "physical", "Norco", "injection", "epidural", "unit", "TENS", "with", "contrast", "cream"]
SENTENCE_WORDS = WORDS + ["is", "not", "medically", "necessary", "guidelines", "state", "that"]

dates = st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2030, 12, 31))
requests = st.lists(st.sampled_from(WORDS), min_size=1, max_size=14).map(" ".join)
sentences = st.lists(st.sampled_from(SENTENCE_WORDS), min_size=3, max_size=60).map(
    lambda ws: " ".join(ws) + ".")
items = st.lists(st.tuples(requests, st.sampled_from(["Upheld", "Overturned"]), sentences, sentences,
                           sentences), min_size=1, max_size=5)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False))


def _mdy(d: dt.date) -> str:
    return d.strftime("%m/%d/%Y")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.integers(min_value=0, max_value=9_999_999),
    header=st.lists(dates, min_size=5, max_size=5),
    states=st.lists(st.sampled_from(STATES), min_size=1, max_size=3, unique=True),
    specialties=st.lists(st.sampled_from(SPECIALTIES), min_size=1, max_size=3, unique=True),
    age=st.integers(min_value=18, max_value=99),
    sex=st.sampled_from(["male", "female"]),
    entries=items,
    width=st.integers(min_value=30, max_value=100),
)
def test_spans_slice_text_to_their_values(case, header, states, specialties, age, sex, entries, width):
    body = [
        f"Case Number: CM16-{case:07d}",
        f"Date Assigned: {_mdy(header[0])} Date of Injury: {_mdy(header[1])}",
        f"Decision Date: {_mdy(header[2])} UR Denial Date: {_mdy(header[3])}",
        f"Priority: Standard Application\nReceived:\n{_mdy(header[4])}",
        "",
        "HOW THE IMR FINAL DETERMINATION WAS MADE",
        "MAXIMUS Federal Services sent the complete case file to an expert reviewer.",
        "",
        "The Expert Reviewer has the following credentials:",
        "State(s) of Licensure: " + ",".join(states),
        _wrap("Certification(s)/Specialty: " + ", ".join(specialties), width),
        "",
        "CLINICAL CASE SUMMARY",
        _wrap(f"The injured worker is a {age} year old {sex} who sustained an industrial injury.", width),
        "",
        "IMR ISSUES, DECISIONS AND RATIONALES",
        "The Final Determination was based on decisions for the disputed items/services set forth below:",
    ]
    for request, decision, ca, mx, why in entries:
        body += ["", _wrap(f"{request}: {decision}", width), "",
                 _wrap(f"Claims Administrator guideline: {ca}", width), "",
                 _wrap(f"MAXIMUS guideline: {mx}", width), "",
                 _wrap(f"Decision rationale: {why}", width)]
    raw = "\n".join(body) + "\n"
    letter = letter_from_text(raw)
    record = extract(letter, rules_only=True)
    text = letter.text

    def sliced(span) -> str:
        return " ".join(text[span.start:span.end].split())

    # Values round-trip from what was written...
    assert record.case_number == f"CM16-{case:07d}"
    assert [record.date_assigned, record.date_of_injury, record.decision_date,
            record.ur_denial_date, record.application_received] == header
    assert record.reviewer.licensure_states == states
    assert record.reviewer.specialties == specialties
    assert (record.patient.age, record.patient.sex) == (age, sex)
    assert [(i.request, i.decision.value, i.claims_administrator_guideline, i.maximus_guideline,
             i.rationale) for i in record.items] == [tuple(e) for e in entries]
    # ...and every span slices the text to its value.
    ev = record.evidence
    assert sliced(ev["case_number"]) == record.case_number
    for name in ("date_assigned", "date_of_injury", "decision_date", "ur_denial_date",
                 "application_received"):
        assert parse_date(sliced(ev[name])) == getattr(record, name)
    for i, state in enumerate(record.reviewer.licensure_states):
        assert sliced(ev[f"reviewer.licensure_states.{i}"]) == state
    for i, spec in enumerate(record.reviewer.specialties):
        assert sliced(ev[f"reviewer.specialties.{i}"]) == spec
    assert int(sliced(ev["patient.age"])) == age
    assert sliced(ev["patient.sex"]) == sex
    for item in record.items:
        for name in ("request", "claims_administrator_guideline", "maximus_guideline", "rationale"):
            assert sliced(item.evidence[name]) == getattr(item, name)
        assert sliced(item.evidence["decision"]) == item.decision.value
