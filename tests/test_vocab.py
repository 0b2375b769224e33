"""One implementation of each shared idea: dates and sex words read the same everywhere."""

from __future__ import annotations

import datetime as dt

import pytest

from llm_extract.model.answers import HybridAnswer
from llm_extract.model.merge import merge_hybrid
from llm_extract.record import Decision, IMRRecord, Item
from llm_extract.rules.dates import dates_in_text, parse_date
from llm_extract.rules.vocab import SEX_WORDS


@pytest.mark.parametrize(("written", "pivot", "year"), [
    ("1-25-29", 2016, 1929),   # a year after the decision is the previous century
    ("1-25-77", 2016, 1977),
    ("1-25-16", 2016, 2016),   # the decision year itself is this century
    ("1-25-29", 2030, 2029),
])
def test_two_digit_years_read_the_same_in_rules_and_model_checks(written: str, pivot: int, year: int) -> None:
    assert parse_date(written, pivot_year=pivot) == dt.date(year, 1, 25)
    assert list(dates_in_text(f"injured on {written}.", pivot)) == [dt.date(year, 1, 25)]


def test_the_model_check_accepts_the_date_the_rules_read() -> None:
    text = "The patient was injured on 1-25-29 while at work.\n"
    ok = HybridAnswer.model_validate({"items": [], "date_of_injury": "1929-01-25"},
                                     context={"text": text, "pivot_year": 2016})
    assert ok.date_of_injury == parse_date("1-25-29", pivot_year=2016)
    with pytest.raises(ValueError):
        HybridAnswer.model_validate({"items": [], "date_of_injury": "2029-01-25"},
                                    context={"text": text, "pivot_year": 2016})


def test_sex_words_are_nouns_never_pronouns() -> None:
    assert SEX_WORDS == {"male": "male", "man": "male", "gentleman": "male",
                         "female": "female", "woman": "female", "lady": "female"}
    assert not {"he", "she", "his", "her", "him"} & set(SEX_WORDS)


def test_model_sex_evidence_lands_on_a_sex_word_not_a_pronoun() -> None:
    text = ("He or she may appeal this decision; his or her rights are set forth below.\n"
            "The injured worker is a 52-year-old male who was hurt at work.\n")
    record = IMRRecord(items=[Item(request="MRI", decision=Decision.UPHELD, medically_necessary=False)])
    answer = HybridAnswer.model_validate({"items": [], "sex": "male"}, context={"text": text})
    merged = merge_hybrid(record, answer, text, asked=frozenset({"sex"}))
    assert merged.patient.sex == "male"
    span = merged.evidence["patient.sex"]
    assert text[span.start:span.end] == "male"


def test_model_sex_is_rejected_when_the_letter_only_has_pronouns() -> None:
    text = "He or she may appeal; his or her rights are set forth below.\n"
    with pytest.raises(ValueError):
        HybridAnswer.model_validate({"items": [], "sex": "male"}, context={"text": text})
