"""Category and drug class from a request's words: general vocabulary, precedence, silence."""

from __future__ import annotations

import pytest

from llm_extract.record import Category as C  # noqa: N817 - short names keep each table row on one line
from llm_extract.record import DrugClass as D
from llm_extract.rules.lexicon import classify


@pytest.mark.parametrize(
    ("request_text", "category", "drug_class", "word"),
    [
        ("Norco 10/325mg #60", C.PHARMACEUTICAL, D.OPIOID, "Norco"),
        ("Tramadol extended release 100mg #30", C.PHARMACEUTICAL, D.OPIOID, "Tramadol"),
        ("Soma 350mg #90", C.PHARMACEUTICAL, D.MUSCLE_RELAXANT, "Soma"),
        ("Naproxen sodium 550mg #60", C.PHARMACEUTICAL, D.NSAID, "Naproxen"),
        ("Voltaren gel 1% 100 grams", C.PHARMACEUTICAL, D.TOPICAL, "Voltaren"),
        ("Flurbiprofen 20%/Baclofen 5% cream 180gm", C.PHARMACEUTICAL, D.TOPICAL, "Baclofen"),
        ("Lidoderm 5% patch #30", C.PHARMACEUTICAL, D.TOPICAL, "Lidoderm"),
        ("Butrans patch 10mcg/hr #4", C.PHARMACEUTICAL, D.OPIOID, "Butrans"),
        ("Lyrica 75mg #60", C.PHARMACEUTICAL, D.ANTICONVULSANT, "Lyrica"),
        ("Cymbalta 60mg #30", C.PHARMACEUTICAL, D.ANTIDEPRESSANT, "Cymbalta"),
        ("Xanax 0.5mg #30", C.PHARMACEUTICAL, D.BENZODIAZEPINE, "Xanax"),
        ("Ambien 10mg #30", C.PHARMACEUTICAL, D.SLEEP_AID, "Ambien"),
        ("Omeprazole 20mg #60", C.PHARMACEUTICAL, D.GASTROINTESTINAL, "Omeprazole"),
        ("Unlisted-brand 25mg/ml oral suspension 420ml", C.PHARMACEUTICAL, None, "25mg"),
        ("MRI of the lumbar spine without contrast", C.DIAGNOSTIC, None, "MRI"),
        ("Urine drug screen", C.DIAGNOSTIC, None, "Urine drug screen"),
        ("EMG/NCV of the bilateral lower extremities", C.DIAGNOSTIC, None, "EMG"),
        ("Physical therapy 2 times a week for 6 weeks", C.REHABILITATION, None, "Physical therapy"),
        ("Chiropractic care for the low back; six sessions", C.REHABILITATION, None, "Chiropractic"),
        ("Lumbar epidural steroid injection at L4-5", C.INJECTION, None, "epidural"),
        ("Lidocaine injection to the right knee", C.INJECTION, None, "injection"),
        ("Right shoulder arthroscopy with rotator cuff repair", C.SURGERY, None, "arthroscopy"),
        ("Placement of a baclofen pump", C.SURGERY, None, "Placement of a baclofen pump"),
        ("Associated surgical service: Cold therapy unit", C.DURABLE_MEDICAL_EQUIPMENT, None, "Cold therapy"),
        ("Associated surgical service: Pre-op labs", C.DIAGNOSTIC, None, "labs"),
        ("Associated surgical service: Medical clearance", C.EVALUATION_MANAGEMENT, None, "clearance"),
        ("Referral to an orthopedic surgeon", C.EVALUATION_MANAGEMENT, None, "Referral"),
        ("Functional capacity evaluation", C.EVALUATION_MANAGEMENT, None, "Functional capacity"),
        ("Functional restoration program, 10 days", C.PROGRAM, None, "Functional restoration"),
        ("Cognitive behavioral therapy, 6 sessions", C.BEHAVIORAL_MENTAL_HEALTH, None, "Cognitive behavioral"),
        ("Home health aide 4 hours a day", C.HOME_HEALTH, None, "Home health"),
        ("TENS unit purchase", C.DURABLE_MEDICAL_EQUIPMENT, None, "TENS"),
    ],
)
def test_words_that_state_the_category(request_text, category, drug_class, word) -> None:
    found = classify(request_text)
    assert found is not None
    assert (found.category, found.drug_class) == (category, drug_class)
    assert request_text[found.span.start:found.span.end].lower().startswith(word.lower().split()[0])


@pytest.mark.parametrize("request_text", ["Gym membership", "Jamar grip test", "Sit-stand workstation desk x"])
def test_silence_where_the_words_do_not_say(request_text: str) -> None:
    found = classify(request_text)
    assert found is None or found.category is not C.PHARMACEUTICAL


def test_words_inside_other_words_do_not_count() -> None:
    # "soma" inside "somatic", "PT" inside "PTSD" or "OPTIMAL" must not fire.
    assert classify("Somatic evaluation") is not None  # E&M by "evaluation", not a muscle relaxant
    assert classify("Somatic evaluation").category is C.EVALUATION_MANAGEMENT
    assert classify("OPTIMAL outcome") is None
