"""The service type a MAXIMUS guideline line names, for requests whose own words do not.

A MAXIMUS guideline line cites the guideline topics the reviewer applied, e.g. "Decision
based on MTUS Chronic Pain Medical Treatment 2009, Section(s): Muscle relaxants (for pain)."
Those topic titles come from a fixed, public table of contents (the MTUS chapters and the
ODG topics), so a topic such as "Muscle relaxants", "Topical analgesics" or "Physical
medicine treatment" says what kind of service the item is even when its request names a
product no word list knows ("Fexmid-X 7.5mg", "Kera-Tek gel", "H-wave garment").

Only topics that name one service type are listed; chapter-wide titles ("Summary",
"Initial Care", "Physical Methods", "General Approach") and body regions say nothing. A
line whose topics point at different types answers nothing: the request's words, read
first by :mod:`lexicon`, or the model decide then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..errors import ConfigError
from ..record import Category, DrugClass, Span
from .lexicon import Classification, classify
from .vocabularies import load_vocabulary

__all__ = ["TopicHint", "guideline_topic", "Placement", "place"]


@dataclass(frozen=True)
class TopicHint:
    """What a guideline line's topics say, and the span (in the line) of the topic that said it."""

    category: Category
    drug_class: DrugClass | None
    span: Span


def _t(alternation: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + alternation + r")(?![\w-])", re.I)


_P = Category.PHARMACEUTICAL
_WORDS = load_vocabulary("guideline_topics")
# What each group of vocab/guideline_topics.toml names. Order matters only inside one line:
# every matching topic is collected, then compared; a topic read first is not read again as a
# shorter one ("NSAIDs, GI symptoms & cardiovascular risk", under which gastro-protective drugs
# are reviewed, before "NSAIDs").
_KINDS: dict[str, tuple[Category, DrugClass | None]] = {
    "gastrointestinal": (_P, DrugClass.GASTROINTESTINAL),
    "muscle_relaxant": (_P, DrugClass.MUSCLE_RELAXANT),
    "topical": (_P, DrugClass.TOPICAL),
    "nsaid": (_P, DrugClass.NSAID),
    "opioid": (_P, DrugClass.OPIOID),
    "anticonvulsant": (_P, DrugClass.ANTICONVULSANT),
    "antidepressant": (_P, DrugClass.ANTIDEPRESSANT),
    "benzodiazepine": (_P, DrugClass.BENZODIAZEPINE),
    "sleep_aid": (_P, DrugClass.SLEEP_AID),
    "other_medication": (_P, DrugClass.OTHER),
    **{c.value: (c, None) for c in Category if c is not _P},
}
if set(_WORDS.groups) - set(_KINDS):  # a group the code cannot place would be read as nothing
    raise ConfigError(f"unknown groups {sorted(set(_WORDS.groups) - set(_KINDS))}; known: {sorted(_KINDS)}",
                      source=_WORDS.path)
_TOPICS: list[tuple[Category, DrugClass | None, re.Pattern[str]]] = [
    (*_KINDS[name], _t(group.regex())) for name, group in _WORDS.groups.items()
]
# Sentences that say where the reviewer looked, not what the item is, and page numbers.
_NOISE = re.compile(r"The\s+Expert\s+Reviewer[^.]*\.|Page\(s\):\s*[\d\s,;.-]*", re.I)


@lru_cache(maxsize=8192)  # a corpus repeats its requests and guideline lines
def guideline_topic(maximus: str | None) -> TopicHint | None:
    """The one service type the line's cited topics agree on, or ``None``.

    Every topic title in the line is read (chapter titles and body regions name none); a
    line that cites no topic, or topics of different types, gives ``None``.
    """
    if not maximus:
        return None
    text = _NOISE.sub(lambda m: " " * len(m.group(0)), maximus)  # keep offsets
    hints: list[TopicHint] = []
    taken: list[tuple[int, int]] = []
    for category, drug_class, pattern in _TOPICS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue  # a topic already read ("NSAIDs, GI symptoms" is not also "NSAIDs")
            taken.append((m.start(), m.end()))
            hints.append(TopicHint(category, drug_class, Span.at(m.start(), m.end())))
    kinds = {(h.category, h.drug_class) for h in hints}
    if len(kinds) != 1:
        return None
    return min(hints, key=lambda h: h.span.start)


@dataclass(frozen=True)
class Placement:
    """An item's category and drug class from its request's words and its guideline line.

    ``source`` says where the deciding words stand ("request" or "guideline"); ``via`` says
    what read them: the word lists (``words``), the drug dictionary (``dictionary``) or the
    guideline topic (``topic``). ``alternative`` is the guideline topic's reading where it names
    another category than the words do; ``topic_agrees`` whether the topic names the same one.
    """

    category: Category
    drug_class: DrugClass | None
    source: str
    span: Span  # the deciding words' span, in the request or in the guideline line
    alternative: TopicHint | None = None
    via: str = "words"
    topic_agrees: bool = False


@lru_cache(maxsize=8192)  # a corpus repeats its requests and guideline lines
def place(request: str, maximus: str | None) -> Placement | None:
    """Where the rules put an item: the request's words first, the guideline topic where they are silent.

    The topic also decides where the words name a drug without its class, or only "other"
    by elimination; where the two name different categories, the words' answer stands and
    the topic's is returned as ``alternative``.
    """
    # The word lists first, the topic next, the drug dictionary (seconds to load) last.
    kind: Classification | None = classify(request, dictionary=False)
    topic = guideline_topic(maximus)
    if topic is not None and (kind is None or (
            kind.category is topic.category and (kind.drug_class is None or kind.residual)
            and topic.drug_class is not None)):
        return Placement(topic.category, topic.drug_class, "guideline", topic.span, via="topic",
                         topic_agrees=kind is not None)
    via = "words"
    if kind is None or kind.drug_class is None:
        words = kind
        kind = classify(request) or kind
        # The dictionary answered only where it says more than the word lists did.
        if kind is not None and (words is None
                                 or (kind.category, kind.drug_class) != (words.category, words.drug_class)):
            via = "dictionary"
        if topic is not None and kind is not None and kind.category is topic.category and kind.residual \
                and topic.drug_class is not None:
            return Placement(topic.category, topic.drug_class, "guideline", topic.span, via="topic",
                             topic_agrees=True)
    if kind is None:
        return None
    alternative = topic if topic is not None and topic.category is not kind.category else None
    agrees = topic is not None and topic.category is kind.category and (
        kind.drug_class is None or topic.drug_class in (None, kind.drug_class))
    return Placement(kind.category, kind.drug_class, "request", kind.span, alternative, via=via,
                     topic_agrees=agrees)
