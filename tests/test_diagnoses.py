"""The rules' diagnosis reading (``read_diagnoses``): statement forms, splitting, stops, confidence.

The sentences are written for these tests in the summaries' style; none is copied from a letter.
"""

from __future__ import annotations

import pytest

from llm_extract.rules.diagnoses import Diagnosis, read_diagnoses


def _read(text: str) -> list[Diagnosis]:
    return read_diagnoses(text, 0, len(text))


def _texts(text: str) -> list[str]:
    return [d.text for d in _read(text)]


FORMS = [
    ("The worker has been diagnosed with lumbar strain. Treatment has included rest.",
     "diagnosed_with", ["lumbar strain"]),
    ("His psychologist has diagnosed\nadjustment disorder and panic disorder. He takes sertraline.",
     "diagnosed_with", ["adjustment disorder", "panic disorder"]),
    ("She was later diagnosed by her orthopedic surgeon with a medial meniscus tear. MRI was ordered.",
     "diagnosed_with", ["medial meniscus tear"]),
    ("Diagnoses: (1) cervical radiculopathy; (2) cervical disc bulge at C5-C6; (3) depression. He works.",
     "diagnoses_include", ["cervical radiculopathy", "cervical disc bulge at C5-C6", "depression"]),
    ("He has been diagnosed with the following: rotator cuff tear; insomnia. He is off work.",
     "diagnosed_with", ["rotator cuff tear", "insomnia"]),
    ("The records show she has had diagnoses of plantar fasciitis and heel spur. She uses orthotics.",
     "diagnosis_of", ["plantar fasciitis", "heel spur"]),
    ("The claim was accepted for cervical disc herniation and psychiatric injury. He saw a psychiatrist.",
     "claim_for", ["cervical disc herniation", "psychiatric injury"]),
    ("He has a history of atrial fibrillation. He walks daily.", "history_of", ["atrial fibrillation"]),
    ("Her past medical history is significant for hypothyroidism. She is 50.", "history_of", ["hypothyroidism"]),
    ("The diagnostic impressions were lateral epicondylitis and cubital tunnel syndrome. A brace was given.",
     "impression", ["lateral epicondylitis", "cubital tunnel syndrome"]),
    ("The treating physician's impression was right hip bursitis. Injection was requested.",
     "impression", ["right hip bursitis"]),
    ("Pain is 6/10. Assessment: 1. Left wrist sprain. 2. Obesity. Physical therapy was requested.",
     "impression", ["Left wrist sprain", "Obesity"]),
]


@pytest.mark.parametrize("text, form, want", FORMS)
def test_each_statement_form_is_read_and_named(text: str, form: str, want: list[str]) -> None:
    found = _read(text)
    assert [d.text for d in found] == want
    assert {d.form for d in found} == {form}


NOT_DIAGNOSES = [
    "He filed a claim for injuries to his left elbow and neck. He had therapy.",
    "She denies any history of diabetes. She is a nurse.",
    "This case involves a 44-year-old man with a history of an occupational claim from 5/2/2015.",
    "An MRI dated 3/3/2015 was read with an impression of mild facet arthropathy. He works.",
    "The physician's impression was rule out carpal tunnel syndrome, and he requested an EMG.",
]


@pytest.mark.parametrize("text", NOT_DIAGNOSES)
def test_no_condition_is_read_where_none_is_stated(text: str) -> None:
    assert _read(text) == []


SPLITS = [
    # A condition that stands alone beside "and" is its own diagnosis ...
    ("He was diagnosed with hypertension and type 2 diabetes. He takes metformin.",
     ["hypertension", "type 2 diabetes"]),
    ("He is being treated for lumbago and left and right sided sciatica. He uses a cane.",
     ["lumbago", "left and right sided sciatica"]),
    # ... one that needs a site shares its neighbour's.
    ("She was diagnosed with sprain and strain of the left wrist. She wears a splint.",
     ["sprain and strain of the left wrist"]),
    ("Diagnoses include bilateral knee strain and sprain with effusion. He limps.",
     ["bilateral knee strain and sprain with effusion"]),
    ("He has been diagnosed with L3-4 and L4-5 stenosis and sciatica. He is retired.",
     ["L3-4 and L4-5 stenosis", "sciatica"]),
    ("He was diagnosed with status post posterior lumbar laminectomy and fusion and chronic pain.",
     ["status post posterior lumbar laminectomy and fusion", "chronic pain"]),
    # ICD-style sites and qualifiers stay with the condition before them.
    ("Diagnoses include trigger finger, right middle finger; plantar fasciitis. She is a cook.",
     ["trigger finger, right middle finger", "plantar fasciitis"]),
    ("Diagnoses included sprain of wrist and hand NOS and lumbago. He is a clerk.",
     ["sprain of wrist and hand NOS", "lumbago"]),
    ("The diagnoses were listed as sciatica, unspecified; and cervicalgia. He drives.",
     ["sciatica, unspecified", "cervicalgia"]),
    ("The worker had diagnoses of neck pain and cervical strain, subsequent. She rests.",
     ["neck pain", "cervical strain, subsequent"]),
    # A sided site followed by "and" shares the next noun instead.
    ("He was diagnosed with tarsal tunnel syndrome, left ankle and left foot sprain. He limps.",
     ["tarsal tunnel syndrome", "left ankle and left foot sprain"]),
]


@pytest.mark.parametrize("text, want", SPLITS)
def test_lists_split_into_one_diagnosis_each(text: str, want: list[str]) -> None:
    assert _texts(text) == want


STOPS = [
    # Where the list ends: a setting, a new clause, the time course, the plan.
    ("She was diagnosed with a cervical strain at the urgent care clinic and was later diagnosed with "
     "thoracic outlet syndrome. She is better.", ["cervical strain", "thoracic outlet syndrome"]),
    ("He filed a claim for bilateral wrist tendinitis after years of repetitive typing, with a "
     "cumulative trauma period of 2010 to 2012.", ["bilateral wrist tendinitis"]),
    ("She was diagnosed with knee effusion and has a history of gout. She walks.",
     ["knee effusion", "gout"]),
]


@pytest.mark.parametrize("text, want", STOPS)
def test_the_list_stops_where_the_statement_does(text: str, want: list[str]) -> None:
    assert _texts(text) == want


def test_spans_point_at_the_text_as_written() -> None:
    text = "Intro. The diagnoses include cervical strain; right shoulder impingement. Plan: PT."
    for d in _read(text):
        assert text[d.span.start:d.span.end] == d.text


def test_every_confidence_is_a_probability_and_lower_for_a_symptom_or_a_long_phrase() -> None:
    text = ("Diagnoses include lumbar radiculopathy, low back pain and strain of the muscle of the lower back "
            "with radiation to the posterior thigh. He works.")
    found = {d.text: d for d in _read(text)}
    assert all(0.0 <= d.confidence <= 1.0 for d in found.values())
    plain = found["lumbar radiculopathy"].confidence
    assert found["low back pain"].confidence < plain
    long = next(d for t, d in found.items() if len(t.split()) > 9)
    assert long.confidence < plain


def test_a_form_less_often_right_gets_less_confidence() -> None:
    # Impressions were right less often than "diagnosed with" on the evidence (few, and smoothed).
    said = _read("He was diagnosed with gastritis. He eats.")[0]
    impression = _read("The clinical impression was gastritis. He eats.")[0]
    assert said.form == "diagnosed_with" and impression.form == "impression"
    assert impression.confidence < said.confidence


def test_the_rules_pass_still_takes_text_and_span_only() -> None:
    # The record takes a diagnosis's text and span; form and confidence are added fields.
    d = _read("She is being treated for De Quervain's tenosynovitis. She types.")[0]
    assert (d.text, d.form) == ("De Quervain's tenosynovitis", "treated_for")
    assert isinstance(d.confidence, float) and d.span.start < d.span.end
