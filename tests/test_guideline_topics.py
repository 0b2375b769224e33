"""The service type a MAXIMUS guideline line's topics name.

The lines are written here in the letters' citation format, with topic titles from the
MTUS Chronic Pain Medical Treatment Guidelines and ODG tables of contents; the expected
types follow the schema's category and drug_class definitions.
"""

from __future__ import annotations

import pytest

from llm_extract import extract
from llm_extract.model.open_pass import OpenItem, merge_open, open_answer_model, open_questions
from llm_extract.reading.letter import Letter
from llm_extract.record import Category, DrugClass
from llm_extract.rules import read_rules
from llm_extract.rules.guideline_topics import guideline_topic

CP = "Decision based on MTUS Chronic Pain Medical Treatment 2009, Section(s): "
ODG = ("The Expert Reviewer based their decision on recommendation(s) outside of the MTUS Guidelines. "
       "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) ")


@pytest.mark.parametrize(("line", "category", "drug_class"), [
    (CP + "Muscle relaxants (for pain).", Category.PHARMACEUTICAL, DrugClass.MUSCLE_RELAXANT),
    (CP + "NSAIDs, GI symptoms & cardiovascular risk.", Category.PHARMACEUTICAL, DrugClass.GASTROINTESTINAL),
    (CP + "NSAIDs (non-steroidal anti-inflammatory drugs).", Category.PHARMACEUTICAL, DrugClass.NSAID),
    (CP + "Topical Analgesics.", Category.PHARMACEUTICAL, DrugClass.TOPICAL),
    (CP + "Anti-epilepsy drugs (AEDs).", Category.PHARMACEUTICAL, DrugClass.ANTICONVULSANT),
    (CP + "Antidepressants for chronic pain.", Category.PHARMACEUTICAL, DrugClass.ANTIDEPRESSANT),
    (CP + "Benzodiazepines.", Category.PHARMACEUTICAL, DrugClass.BENZODIAZEPINE),
    (CP + "Opioids, criteria for use, Opioids, specific drug list.", Category.PHARMACEUTICAL, DrugClass.OPIOID),
    (ODG + "Pain (Chronic), Insomnia treatment.", Category.PHARMACEUTICAL, DrugClass.SLEEP_AID),
    (ODG + "Pain Chapter, Medical food.", Category.PHARMACEUTICAL, DrugClass.OTHER),
    ("Decision based on MTUS Acupuncture Treatment 2007.", Category.REHABILITATION, None),
    (CP + "Physical medicine treatment.", Category.REHABILITATION, None),
    (CP + "Functional restoration programs (FRPs).", Category.PROGRAM, None),
    (CP + "Psychological treatment.", Category.BEHAVIORAL_MENTAL_HEALTH, None),
    (CP + "Epidural steroid injections (ESIs).", Category.INJECTION, None),
    (ODG + "Knee and Leg (Durable medical equipment (DME)).", Category.DURABLE_MEDICAL_EQUIPMENT, None),
    ("Decision based on MTUS Low Back Complaints 2004, Section(s): Special Studies.", Category.DIAGNOSTIC, None),
    ("Decision based on MTUS Shoulder Complaints 2004, Section(s): Surgical Considerations.", Category.SURGERY, None),
    (ODG + "Low Back, Office visits.", Category.EVALUATION_MANAGEMENT, None),
    (ODG + "Knee, Home health services.", Category.HOME_HEALTH, None),
])
def test_a_topic_names_its_service_type(line: str, category: Category, drug_class: DrugClass | None) -> None:
    hint = guideline_topic(line)
    assert hint is not None
    assert (hint.category, hint.drug_class) == (category, drug_class)
    assert line[hint.span.start:hint.span.end].strip()  # the span is the topic's own words


@pytest.mark.parametrize("line", [
    None,
    "",
    "The Expert Reviewer did not cite any medical evidence for its decision.",
    "Decision based on MTUS Low Back Complaints 2004, Section(s): Summary.",
    "Decision based on MTUS Knee Complaints 2004, Section(s): Initial Care, Physical Methods.",
    # Two topics of different types: the line cannot say which the item is.
    "Decision based on MTUS Opioid Treatment 2016, Section(s): 3.3.6 Opioids for Chronic Pain and "
    "Chronic Opioid Treatment: Use of Urine Drug Testing.",
    CP + "Muscle relaxants (for pain), Physical medicine treatment.",
])
def test_no_topic_or_mixed_topics_answer_nothing(line: str | None) -> None:
    assert guideline_topic(line) is None


def _letter(request: str, maximus: str) -> Letter:
    text = (
        "CLINICAL CASE SUMMARY\nThe patient is a 50 year old male who was diagnosed with lumbar strain.\n"
        "IMR ISSUES, DECISIONS AND RATIONALES\n"
        "The Final Determination was based on decisions for the disputed items/services set forth below:\n"
        f"{request}: Upheld\n"
        "Claims Administrator guideline: Decision based on MTUS.\n"
        f"MAXIMUS guideline: {maximus}\n"
        "Decision rationale: Not medically necessary.\n"
    )
    return Letter.from_text(text, source="synthetic.txt")


def test_a_request_the_words_do_not_place_takes_the_topic_with_its_span() -> None:
    # "Xyzlon" is no drug any list or dictionary knows; the dose says it is a medication.
    letter = _letter("Xyzlon 7.5mg #60", CP + "Muscle relaxants (for pain).")
    record = extract(letter, rules_only=True)
    item = record.items[0]
    assert (item.category, item.drug_class) == (Category.PHARMACEUTICAL, DrugClass.MUSCLE_RELAXANT)
    span = record.items[0].evidence["category"]
    assert letter.text[span.start:span.end] == "Muscle relaxants"
    assert not any(w.code == "category_contested" for w in record.warnings)


#: Words that say evaluation_management ("exam", "visit"), a topic that says rehabilitation,
#: and no labelled request near enough for the neighbours to take a side.
UNSETTLED = "Re-examination visit 2 times 8"


def test_words_and_topic_that_disagree_keep_the_words_warn_and_open_the_item() -> None:
    letter = _letter(UNSETTLED, CP + "Physical medicine treatment.")
    rules = read_rules(letter)
    item = rules.record.items[0]
    assert item.category is Category.EVALUATION_MANAGEMENT  # "exam": the words' answer stands
    assert [w.code for w in rules.record.warnings if w.field == "items.0.category"] == ["category_contested"]
    assert rules.contested[1].category is Category.REHABILITATION
    q = open_questions(rules.record, rules.summary, rules.contested)
    assert q.items == (1,)
    assert "items.0.category" in rules.record.needs_review  # a coin toss is a value to check


def test_labelled_neighbours_settle_a_contest_for_the_side_they_share() -> None:
    # The dev fixtures label "Physical exam 2 times 8" (a physical-medicine visit) rehabilitation,
    # as the topic has it: the neighbours side with the topic, so no question stays open.
    letter = _letter("Physical exam 2 times 8", CP + "Physical medicine treatment.")
    rules = read_rules(letter)
    item = rules.record.items[0]
    assert item.category is Category.REHABILITATION
    assert item.confidence["category"].source.value == "topic"
    warning = [w for w in rules.record.warnings if w.field == "items.0.category"]
    assert [w.code for w in warning] == ["category_contested"] and "side with the topic" in warning[0].message
    assert rules.contested == {}
    assert open_questions(rules.record, rules.summary, rules.contested).items == ()


def _answer(q, category: Category):
    model = open_answer_model(q.items, q.diagnoses)
    return model.model_construct(items=[OpenItem.model_construct(index=1, category=category, drug_class=None)])


def test_the_model_may_choose_the_topic_reading_of_a_contested_item() -> None:
    letter = _letter(UNSETTLED, CP + "Physical medicine treatment.")
    rules = read_rules(letter)
    q = open_questions(rules.record, rules.summary, rules.contested)
    merged = merge_open(rules.record, _answer(q, Category.REHABILITATION), letter.text, q, [])
    item = merged.items[0]
    assert item.category is Category.REHABILITATION
    span = item.evidence["category"]
    assert span.source == "model" and letter.text[span.start:span.end] == "Physical medicine treatment"
    assert any(w.code == "category_contested" for w in merged.warnings)  # the record still says so


def test_a_third_answer_on_a_contested_item_keeps_the_words_reading_with_a_warning() -> None:
    letter = _letter(UNSETTLED, CP + "Physical medicine treatment.")
    rules = read_rules(letter)
    q = open_questions(rules.record, rules.summary, rules.contested)
    merged = merge_open(rules.record, _answer(q, Category.SURGERY), letter.text, q, [])
    assert merged.items[0].category is Category.EVALUATION_MANAGEMENT
    assert any(w.code == "model_disagrees" for w in merged.warnings)


def test_place_reads_the_words_first_and_the_topic_where_they_are_silent() -> None:
    from llm_extract.rules.guideline_topics import place

    words = place("Baclofen 10mg #90", CP + "Physical medicine treatment.")
    assert words is not None and words.source == "request" and words.drug_class is DrugClass.MUSCLE_RELAXANT
    assert words.alternative is not None and words.alternative.category is Category.REHABILITATION
    silent = place("Xyzlon 7.5mg #60", CP + "Topical Analgesics.")
    assert silent is not None and (silent.source, silent.drug_class) == ("guideline", DrugClass.TOPICAL)
    assert place("Xyzlon device", "The Expert Reviewer did not cite any medical evidence for its decision.") is None
