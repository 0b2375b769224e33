"""An item's category and drug class from every rule source, each answer with its confidence.

:func:`~llm_extract.rules.guideline_topics.place` reads the request's words, the drug
dictionary and the guideline topic. This module adds the labelled neighbours
(:mod:`neighbours`): they answer a request the rules could not place, settle a contest
between the words and the topic where they side with one of the two, and otherwise only move
the confidence (agreeing neighbours raise it, disagreeing ones lower it). The order of these
decisions is the one place they are written down.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..record import Category, Confidence, DrugClass, ValueSource
from .confidence import DISAGREED, category_confidence, drug_class_confidence, score
from .guideline_topics import Placement
from .neighbours import Exclude, Vote, treatment_words
from .treatment_doubt import treatment_doubt

__all__ = ["Placed", "placed", "treatment_confidence", "diagnosis_confidence"]

_VIA = {"words": ValueSource.WORDS, "dictionary": ValueSource.DICTIONARY, "topic": ValueSource.TOPIC}


@dataclass(frozen=True)
class Placed:
    """The category and drug class the rules give an item, what answered each and how sure."""

    category: Category | None
    drug_class: DrugClass | None
    category_source: ValueSource
    class_source: ValueSource
    category_conf: Confidence
    class_conf: Confidence
    #: Who settled a words-versus-topic contest: "words", "topic", or None (still open).
    settled: str | None = None


class Reading(Protocol):
    """A contested reading of an item: ``rules_pass.Alternative`` (which imports this module)."""

    @property
    def category(self) -> Category: ...

    @property
    def drug_class(self) -> DrugClass | None: ...


def placed(kind: Placement | None, alternative: Reading | None, vote: Vote | None) -> Placed:
    """Combine the rules' placement ``kind``, its contested ``alternative`` and the neighbours' ``vote``.

    ``alternative`` is the guideline topic's reading where it names another category than the
    words (a :class:`Reading`).
    """
    if kind is None:
        if vote is None:
            none = score(ValueSource.NONE, 0.0, "unanswered")
            return Placed(None, None, ValueSource.NONE, ValueSource.NONE, none, none)
        conf = category_confidence(ValueSource.NEIGHBOURS, neighbour_score=_vote_score(vote))
        drug = vote.drug_class if vote.category is Category.PHARMACEUTICAL else None
        return Placed(vote.category, drug, ValueSource.NEIGHBOURS, ValueSource.NEIGHBOURS, conf,
                      drug_class_confidence(vote.category, conf, ValueSource.NEIGHBOURS if drug else ValueSource.NONE)
                      if vote.category is Category.PHARMACEUTICAL else conf.model_copy(deep=True))

    source = _VIA.get(kind.via, ValueSource.WORDS)
    category, drug_class, settled = kind.category, kind.drug_class, None
    if alternative is not None:
        alt_category = alternative.category
        sides = None if vote is None else ("topic" if vote.category is alt_category else
                                           "words" if vote.category is kind.category else None)
        if sides == "topic":
            category, source, settled = alt_category, ValueSource.TOPIC, "topic"
            drug_class = alternative.drug_class or (
                vote.drug_class if vote is not None and category is Category.PHARMACEUTICAL else None)
        elif sides == "words":
            settled = "words"
        cat_conf = category_confidence(source, contested=True,
                                       neighbours=None if vote is None else sides is not None)
    else:
        agrees = None if vote is None else vote.category is kind.category
        cat_conf = category_confidence(source, topic_agrees=kind.topic_agrees, neighbours=agrees)

    class_source = source
    if category is not Category.PHARMACEUTICAL:
        drug_class = None
        class_conf = drug_class_confidence(category, cat_conf, source)
    elif drug_class is None and vote is not None and vote.category is Category.PHARMACEUTICAL \
            and vote.drug_class is not None:
        drug_class, class_source = vote.drug_class, ValueSource.NEIGHBOURS
        class_conf = score(ValueSource.NEIGHBOURS, min(_vote_score(vote), cat_conf.score))
    elif drug_class is None:
        class_source = ValueSource.NONE
        class_conf = drug_class_confidence(category, cat_conf, ValueSource.NONE)
    else:
        class_conf = drug_class_confidence(category, cat_conf, source)
        if vote is not None and vote.category is Category.PHARMACEUTICAL and vote.drug_class is not None \
                and vote.drug_class is not drug_class:
            class_conf = score(source, min(class_conf.score, DISAGREED), *class_conf.reasons, "neighbours_disagree")
    return Placed(category, drug_class, source, class_source, cat_conf, class_conf, settled)


def _vote_score(vote: Vote) -> float:
    # The neighbours' answer is as sure as their agreement and closeness make it.
    return 0.5 + 0.45 * vote.agreement * vote.similarity


def treatment_confidence(request: str, treatment: str | None, category: Category | None, *,
                         exclude_letter: Exclude = None) -> Confidence:
    """The confidence of the treatment name the rules read from ``request``.

    ``exclude_letter`` keeps the names labelled from that letter out of the vocabulary.
    """
    if not treatment:
        return score(ValueSource.NONE, 0.0, "unanswered")
    doubt = treatment_doubt(request, treatment, category, known_words=treatment_words(exclude_letter=exclude_letter))
    return score(ValueSource.RULES, doubt.confidence, *doubt.reasons)


def diagnosis_confidence(dx: object) -> Confidence:
    """The confidence of one diagnosis read by the statement rules (see :mod:`diagnoses`)."""
    value = getattr(dx, "confidence", None)
    form = getattr(dx, "form", None)
    return score(ValueSource.RULES, 0.9 if value is None else float(value), *([form] if form else []))
