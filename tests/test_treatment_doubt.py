"""The doubt signals on a rules-written treatment name, and the confidence they give."""

from __future__ import annotations

import pytest

from llm_extract.record import Category
from llm_extract.rules.treatment_doubt import (
    DEFAULT_THRESHOLD,
    WEIGHTS,
    TreatmentDoubt,
    known_words_from,
    treatment_doubt,
    treatment_signals,
)

#: A small labelled vocabulary, written for these tests.
KNOWN = known_words_from([
    "Physical therapy", "MRI of the right shoulder", "Baclofen", "Rollator walker",
    "X-ray of the chest", "Acupuncture", "Urine drug screen", "Power wheelchair",
    "Right shoulder arthroscopy with subacromial decompression", "Electrocardiogram", "Labs",
])


def doubt(request: str, name: str | None, category: str | None) -> TreatmentDoubt:
    return treatment_doubt(request, name, category, known_words=KNOWN)  # type: ignore[arg-type]  # category as a plain string, as the study passes it


def test_vocabulary_is_lower_cased_words_and_pairs_without_numbers() -> None:
    words = known_words_from(["MRI of the L4-5 spine", "Norco 10"])
    assert {"mri", "spine", "norco", "l4", "mri of"} <= words
    assert "MRI" not in words and "10" not in words and "5" not in words


def test_an_unknown_word_lowers_the_confidence_of_the_same_name() -> None:
    known = doubt("Physical therapy 2x6", "Physical therapy", "rehabilitation")
    unknown = doubt("Physical thearpy 2x6", "Physical thearpy", "rehabilitation")
    assert unknown.confidence < known.confidence
    assert "unknown_word" in unknown.reasons and "unknown_word" not in known.reasons


def test_a_clean_short_name_is_confident() -> None:
    got = doubt("MRI of the right shoulder without contrast", "MRI of the right shoulder", "diagnostic")
    assert got.reasons == ()
    assert got.confidence >= DEFAULT_THRESHOLD


def test_a_new_drug_name_is_not_doubted_for_its_own_word() -> None:
    assert not treatment_signals("Zorvolex 35mg #60", "Zorvolex", "pharmaceutical", known_words=KNOWN)["unknown_word"]
    assert treatment_signals("Toradol IM", "Toradol IM", "pharmaceutical", known_words=KNOWN)["unknown_word"]


@pytest.mark.parametrize(("request_", "name", "category", "reason"), [
    ("Rollator walker with seat", "Rollator walker with seat", "durable_medical_equipment", "kept_with"),
    ("X-ray of the chest, PA and lateral", "X-ray of the chest, PA and lateral", "diagnostic", "kept_comma"),
    ("Shower chair (bariatric)", "Shower chair (bariatric)", "durable_medical_equipment", "kept_paren"),
    ("Physical therapy 2x4 lumbar", "Physical therapy lumbar", "rehabilitation", "kept_body_part"),
    ("Electrocardiogram (EKG) for clearance", "Electrocardiogram", "diagnostic", "dropped_abbrev"),
    ("Labs: CBC, CMP", "CBC, CMP", "diagnostic", "lead_colon_cut"),
    ("Transportation to and from medical appointments", "Transportation to and from medical appointments",
     "home_health", "kept_prep"),
    ("Nursing visits weekly", "Nursing", "home_health", "short_cut"),
    ("Cervical x-rays, flexion/extension views", "Cervical x-rays, flexion/extension views",
     "diagnostic", "kept_slash"),
])
def test_each_signal_fires_and_is_named(request_: str, name: str, category: str, reason: str) -> None:
    clean = doubt("Physical therapy 2x6", "Physical therapy", "rehabilitation")
    got = doubt(request_, name, category)
    assert reason in got.reasons
    assert got.confidence < clean.confidence


def test_operations_list_their_parts_without_doubt() -> None:
    signals = treatment_signals(
        "Right shoulder arthroscopy with subacromial decompression, distal clavicle excision",
        "Right shoulder arthroscopy with subacromial decompression, distal clavicle excision",
        "surgery", known_words=KNOWN)
    assert not signals["kept_with"] and not signals["kept_comma"]


def test_slash_between_abbreviations_is_a_name() -> None:
    assert not treatment_signals("EMG/NCV of the arms", "EMG/NCV", "diagnostic", known_words=KNOWN)["kept_slash"]


def test_every_reason_is_a_weighted_signal_and_more_doubt_means_less_confidence() -> None:
    one = doubt("Power wheelchair with seating", "Power wheelchair with seating", "durable_medical_equipment")
    more = doubt("Power wheelchair with custom seating, (bariatric)",
                 "Power wheelchair with custom seating, (bariatric)", "durable_medical_equipment")
    assert set(one.reasons) < set(more.reasons)
    assert more.confidence < one.confidence
    assert set(more.reasons) <= set(WEIGHTS)
    # strongest evidence first
    assert [WEIGHTS[r] for r in more.reasons] == sorted((WEIGHTS[r] for r in more.reasons), reverse=True)


def test_the_enum_and_its_value_give_the_same_answer() -> None:
    args = ("Physical therapy 2x4 lumbar", "Physical therapy lumbar")
    assert treatment_doubt(*args, Category.REHABILITATION, known_words=KNOWN) == doubt(*args, "rehabilitation")


@pytest.mark.parametrize(("request_", "name", "category"), [
    ("x", None, None),
    ("Something", "", "other"),
    ("Baclofen 10mg #60", "Baclofen", "pharmaceutical"),
    ("Labs: CBC, BMP, PT/INR (fasting) with extra tests to rule out (DVT)",
     "CBC, BMP, PT/INR (fasting) with extra tests for lumbar spine", "evaluation_management"),
    ("Qwxz plorf", "Qwxz plorf", None),
])
def test_confidence_is_a_probability(request_: str, name: str | None, category: str | None) -> None:
    got = doubt(request_, name, category)
    assert 0.0 <= got.confidence <= 1.0
    assert all(isinstance(r, str) and r for r in got.reasons)


def test_no_name_is_no_confidence() -> None:
    assert doubt("Something", None, None) == TreatmentDoubt(0.0, ("no_name",))


def test_a_body_part_that_names_a_specialist_or_a_device_is_kept_by_right() -> None:
    def fires(name: str, category: str) -> bool:
        return treatment_signals(name, name, category, known_words=KNOWN)["kept_body_part"]
    assert not fires("Referral to spine surgeon", "evaluation_management")
    assert not fires("Shoulder sling", "durable_medical_equipment")
    assert fires("Consultation for the lumbar spine", "evaluation_management")
