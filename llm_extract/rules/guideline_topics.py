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
from functools import lru_cache
from dataclasses import dataclass

from ..record import Category, DrugClass
from .lexicon import Classification, classify

__all__ = ["TopicHint", "guideline_topic", "Placement", "place"]


@dataclass(frozen=True)
class TopicHint:
    """What a guideline line's topics say, and the span (in the line) of the topic that said it."""

    category: Category
    drug_class: DrugClass | None
    start: int
    end: int


def _t(*terms: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(terms) + r")(?![\w-])", re.I)


_P = Category.PHARMACEUTICAL
# Order matters only inside one line: every matching topic is collected, then compared.
_TOPICS: list[tuple[Category, DrugClass | None, re.Pattern[str]]] = [
    # MTUS / ODG medication topics. "NSAIDs, GI symptoms & cardiovascular risk" is the
    # topic under which gastro-protective drugs are reviewed, so it is read before "NSAIDs".
    (_P, DrugClass.GASTROINTESTINAL, _t(r"NSAIDs?,\s+GI\s+symptoms", r"proton\s+pump\s+inhibitors?",
                                         "PPIs?", r"antiemetics?", r"opioid-induced\s+constipation",
                                         r"H2\s+(?:receptor\s+)?(?:antagonists|blockers)")),
    (_P, DrugClass.MUSCLE_RELAXANT, _t(r"muscle\s+relaxants?", r"antispasticity",
                                        r"antispasmodics?", r"cyclobenzaprine", r"carisoprodol",
                                        r"tizanidine", r"baclofen", r"methocarbamol", r"metaxalone")),
    (_P, DrugClass.TOPICAL, _t(r"topical\s+analgesics?", r"lidoderm", r"lidocaine",
                                r"capsaicin", r"salicylate\s+topicals?", r"compound(?:ed)?\s+drugs?",
                                r"topical\s+NSAIDs?")),
    (_P, DrugClass.NSAID, _t(r"NSAIDs?(?:\s+\(non-steroidal\s+anti-inflammatory\s+drugs\))?(?!,\s+GI)",
                              r"non-?steroidal\s+anti-?inflammatory\s+(?:drugs|agents|medications)",
                              r"anti-inflammatory\s+medications")),
    (_P, DrugClass.OPIOID, _t(r"opioids?(?![- ]induced)",
                               r"tramadol", r"buprenorphine", r"hydrocodone",
                               r"oxycodone", r"tapentadol")),
    (_P, DrugClass.ANTICONVULSANT, _t(r"anti-?epilepsy\s+drugs", "AEDs", r"anticonvulsants?",
                                       r"gabapentin", r"pregabalin", r"topiramate")),
    (_P, DrugClass.ANTIDEPRESSANT, _t(r"antidepressants?", "SNRIs", "SSRIs", r"tricyclic",
                                       r"duloxetine")),
    (_P, DrugClass.BENZODIAZEPINE, _t(r"benzodiazepines?")),
    (_P, DrugClass.SLEEP_AID, _t(r"insomnia\s+treatment", r"insomnia", r"hypnotics?", r"zolpidem",
                                  r"sedative\s+hypnotics")),
    (_P, DrugClass.OTHER, _t(r"medical\s+foods?", r"acetaminophen", r"testosterone",
                              r"vitamins?", r"glucosamine", r"triptans")),
    # Services.
    (Category.DIAGNOSTIC, None, _t(r"special\s+studies", r"electrodiagnostic", r"urine\s+drug\s+test\w*",
                                   r"drug\s+testing", r"MRIs?(?:\s+\([^)]*\))?", r"magnetic\s+resonance",
                                   r"x-?rays?", r"radiography", r"CT\s+\(computed\s+tomography\)",
                                   r"computed\s+tomography", r"EMGs?(?:\s+\([^)]*\))?",
                                   r"nerve\s+conduction\s+stud\w+", r"polysomnography",
                                   r"bone\s+scan", r"discography", r"ultrasound,\s+diagnostic",
                                   r"diagnostic\s+criteria", r"laboratory\s+tests?", r"genetic\s+testing",
                                   r"cytokine\s+DNA\s+testing", r"quantitative\s+sensory\s+testing")),
    (Category.DURABLE_MEDICAL_EQUIPMENT, None, _t(r"durable\s+medical\s+equipment(?:\s+\(DME\))?", "DME",
                                                  r"continuous-flow\s+cryotherapy", r"cold/heat\s+packs",
                                                  r"H-wave\s+stimulation", r"interferential\s+current\s+stimulation",
                                                  r"walking\s+aids", r"knee\s+brace", r"back\s+brace",
                                                  r"lumbar\s+supports", r"wheelchair", r"orthotic\s+devices",
                                                  r"home\s+exercise\s+kits?", r"compression\s+garments",
                                                  r"bone\s+growth\s+stimulators", r"mattress\s+selection")),
    (Category.REHABILITATION, None, _t(r"physical\s+medicine(?:\s+treatment)?", r"physical\s+therapy",
                                       r"acupuncture(?:\s+treatment(?:\s+\d{4})?)?", r"manual\s+therapy\s+&\s+manipulation",
                                       r"manual\s+therapy", r"manipulation", r"chiropractic",
                                       r"aquatic\s+therapy", r"massage\s+therapy", r"work\s+conditioning",
                                       r"work\s+hardening", r"low-level\s+laser\s+therapy",
                                       r"ultrasound,\s+therapeutic", r"occupational\s+therapy",
                                       r"extracorporeal\s+shock\s+wave", r"shock\s*wave\s+therapy", r"exercise")),
    (Category.INJECTION, None, _t(r"epidural\s+steroid\s+injections", r"facet\s+joint",
                                  r"trigger\s+point\s+injections", r"radiofrequency",
                                  r"botulinum\s+toxin", r"sacroiliac\s+joint\s+(?:blocks|injections)",
                                  r"platelet-rich\s+plasma", r"hyaluronic\s+acid\s+injections",
                                  r"(?:occipital|stellate|sympathetic|medial\s+branch)\s+[\w\s]*blocks?",
                                  r"injections?\b")),
    (Category.SURGERY, None, _t(r"surgical\s+considerations", r"indications\s+for\s+surgery",
                                r"surgery\s+for", r"fusion\s+\([^)]*\)", r"discectomy",
                                r"laminectomy", r"arthroscopy", r"carpal\s+tunnel\s+release",
                                r"spinal\s+cord\s+stimulators?", r"implantable\s+drug")),
    (Category.EVALUATION_MANAGEMENT, None, _t(r"office\s+visits", r"functional\s+capacity\s+evaluation",
                                              r"independent\s+medical\s+examinations\s+and\s+consultations",
                                              r"evaluation\s+&\s+management")),
    (Category.BEHAVIORAL_MENTAL_HEALTH, None, _t(r"psychological\s+(?:treatment|evaluations?|testing)",
                                                 r"behavio(?:u)?ral\s+interventions", "biofeedback",
                                                 r"cognitive\s+(?:behavio(?:u)?ral\s+)?therapy",
                                                 r"psychotherapy")),
    (Category.PROGRAM, None, _t(r"functional\s+restoration\s+programs?", r"chronic\s+pain\s+programs?",
                                r"multidisciplinary", r"detoxification", r"weight\s+loss")),
    (Category.HOME_HEALTH, None, _t(r"home\s+health\s+services", r"skilled\s+nursing\s+facility",
                                    r"transportation")),
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
            hints.append(TopicHint(category, drug_class, m.start(), m.end()))
    kinds = {(h.category, h.drug_class) for h in hints}
    if len(kinds) != 1:
        return None
    return min(hints, key=lambda h: h.start)


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
    start: int  # the deciding words' span, in the request or in the guideline line
    end: int
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
        return Placement(topic.category, topic.drug_class, "guideline", topic.start, topic.end, via="topic",
                         topic_agrees=kind is not None)
    via = "words"
    if kind is None or kind.drug_class is None:
        words = kind
        kind = classify(request) or kind
        if kind is not None and (words is None or (kind.category, kind.drug_class) != (words.category, words.drug_class)):
            via = "dictionary"
        if topic is not None and kind is not None and kind.category is topic.category and kind.residual \
                and topic.drug_class is not None:
            return Placement(topic.category, topic.drug_class, "guideline", topic.start, topic.end, via="topic",
                             topic_agrees=True)
    if kind is None:
        return None
    alternative = topic if topic is not None and topic.category is not kind.category else None
    agrees = topic is not None and topic.category is kind.category and (
        kind.drug_class is None or topic.drug_class in (None, kind.drug_class))
    return Placement(kind.category, kind.drug_class, "request", kind.start, kind.end, alternative, via=via,
                     topic_agrees=agrees)
