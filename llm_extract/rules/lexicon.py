"""Service category and drug class from a request's own words, where they are unambiguous.

This is medical vocabulary, not letter wording: a named drug has a pharmacological class
(baclofen is a muscle relaxant) and many services name their type (an MRI is diagnostic, a
TENS unit is equipment). The deterministic pass uses it to give ``category`` and
``drug_class`` where a request is unambiguous; the model fills the rest, and a model answer
that contradicts a term found here becomes a warning, like any other disagreement.

Rules run in order and the first that matches decides; a request that matches none is
left to the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..record import Category, DrugClass, Span
from .clauses import without_trailing_clause
from .drugs import find_drug
from .vocab import doses
from .vocabularies import load_vocabulary

__all__ = ["Classification", "classify"]


@dataclass(frozen=True)
class Classification:
    """What a request's words say, and the span of the word that said it."""

    category: Category
    drug_class: DrugClass | None
    span: Span
    #: The class is ``other`` only because the drug is known and is in none of the classes:
    #: a weaker answer than a listed drug's, which a guideline topic may refine.
    residual: bool = False


def _words(alternation: str) -> re.Pattern[str]:
    # Not inside a hyphenated word, nor joined by a hyphen to a word of three letters or more.
    return re.compile(r"(?<![\w-])(?:" + alternation + r")(?!\w)(?!-\w{3})", re.I)


_DRUG_WORDS = load_vocabulary("drugs")
_CATEGORY_WORDS = load_vocabulary("categories")
#: Drug names by class, in the order they are tried (vocab/drugs.toml).
_DRUGS: dict[DrugClass, tuple[str, ...]] = {
    DrugClass(name): group.terms for name, group in _DRUG_WORDS.groups.items() if name in set(DrugClass)
}
_DRUG_PATTERNS = [(cls, _words(_DRUG_WORDS[cls.value].regex())) for cls in _DRUGS]
_TOPICAL_PRODUCTS = _words(_DRUG_WORDS["topical_product"].regex())
_APPLIED = _words(_DRUG_WORDS["applied_form"].regex())
_TOPICAL_FORM = _words(_DRUG_WORDS["applied_form"].regex() + "|" + _DRUG_WORDS["topical_form"].regex())
_PERCENT = re.compile(r"\d\s*%")
# A drug that is systemic even as a patch (the schema lists buprenorphine as an opioid).
_SYSTEMIC_PATCH = {DrugClass.OPIOID}


def _category(category: Category, *, early: bool = False) -> tuple[Category, re.Pattern[str]]:
    return category, _words(_CATEGORY_WORDS[category.value].regex(early=early))


# The order of decisions: a service the request names before its drugs, these first ...
_RULES: list[tuple[Category, re.Pattern[str]]] = [
    _category(Category.PROGRAM),
    _category(Category.BEHAVIORAL_MENTAL_HEALTH),
    _category(Category.INJECTION),
    _category(Category.EVALUATION_MANAGEMENT, early=True),
    _category(Category.HOME_HEALTH, early=True),
    _category(Category.SURGERY),
    _category(Category.DIAGNOSTIC),
]
# ... and these after the drug names and topical products.
_LATE_RULES: list[tuple[Category, re.Pattern[str]]] = [
    _category(Category.DURABLE_MEDICAL_EQUIPMENT),
    _category(Category.REHABILITATION),
    _category(Category.HOME_HEALTH),
    _category(Category.EVALUATION_MANAGEMENT),
    _category(Category.OTHER),
]
# A consultation or referral is evaluation and management whatever it is for ("Pain management
# consultation for possible epidural injections", "Consultation with a psychiatrist"); only
# psychological evaluation is a behavioural service in the schema.
_CONSULT = re.compile(
    r"^(?!.*\bpsycholog)(?:(?!\b(?:for|with|and)\b).)*?\b(?:consult\w*|referrals?|second\s+opinion|"
    r"history\s+and\s+physical|H&P)(?![\w-])",
    re.I,
)
# An injection of a listed drug with no target ("Ketorolac 60 mg IM injection", "B12
# injection") is the drug given as a shot; one into a joint, level or muscle is a procedure.
_SHOT = re.compile(r"\b(?:inject\w*|shots?|IM|intramuscular)\b", re.I)
_TARGET = re.compile(
    r"\b(?:to|into|in|at|of)\s+(?:the\s+)?(?:\w+\s+){0,3}(?:joint|knee|shoulder|hip|elbow|wrist|hand|ankle|foot|"
    r"spine|back|neck|muscles?|bursa|tendon|facet|space)s?\b|\b[CLT]\d|\b(?:trigger\s+point|epidural|facet|"
    r"intra-?articular|botox|botulinum|PRP)\b",
    re.I,
)
# "Associated surgical service:" names the surgery the item goes with, not what it is.
_LEAD = re.compile(r"^\s*associated\s+surgical\s+services?\s*:\s*", re.I)


def _drug(text: str) -> tuple[DrugClass, re.Match[str]] | None:
    for cls, pattern in _DRUG_PATTERNS:
        m = pattern.search(text)
        if m:
            return cls, m
    return None


_SINGLE_WORD_DRUGS: dict[str, DrugClass] = {
    term: cls for cls, terms in _DRUGS.items() for term in terms if term.isalpha() and len(term) >= 7
}


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether ``a`` becomes ``b`` by one inserted, deleted or changed letter."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)):] == b[i + 1:]


def _misspelled_drug(text: str) -> tuple[DrugClass, Span] | None:
    """A long drug name written one letter off ("Cyclobenzaprin", "Gabapentine"), as clerks do.

    Only names of seven letters or more: shorter ones sit one letter from other words.
    """
    for m in re.finditer(r"[A-Za-z]{7,}", text):
        word = m.group(0).lower()
        for term, cls in _SINGLE_WORD_DRUGS.items():
            if word != term and word[0] == term[0] and _one_edit_apart(word, term):
                return cls, Span.at(m.start(), m.end())
    return None


def _dictionary_drug(text: str, offset: int, topical: bool) -> Classification | None:
    """A drug our lists do not name, found in the maintained dictionary (see :mod:`drugs`).

    The class comes from the generic name the dictionary gives ("Zorvolex" → diclofenac →
    nsaid); a generic our lists do not class leaves the class to the model.
    """
    found = find_drug(text)
    if found is None:
        return None
    by_generic = _drug(found.generic)
    cls = by_generic[0] if by_generic else None
    if topical and cls not in _SYSTEMIC_PATCH:
        cls = DrugClass.TOPICAL
    if cls is None:
        # The schema's classes are closed: a drug the dictionary knows that is in none of
        # them is "other" (an anticoagulant, an antibiotic). A guideline topic may refine it.
        return Classification(Category.PHARMACEUTICAL, DrugClass.OTHER, found.span.shift(offset), residual=True)
    return Classification(Category.PHARMACEUTICAL, cls, found.span.shift(offset))


@lru_cache(maxsize=8192)  # a corpus repeats its requests and guideline lines
def classify(request: str, *, dictionary: bool = True) -> Classification | None:
    """The category (and drug class) a request's words state, or ``None`` if they do not.

    The request's head is read first: a trailing purpose clause names other things ("EKG for
    pre-operative clearance" is a test, not a clearance); the whole request only if the head
    says nothing. ``dictionary=False`` leaves out the drug dictionary (a few seconds to load),
    for a caller with another source to try first.
    """
    head = without_trailing_clause(request)
    for text in (head, request) if head != request else (request,):
        # What follows "with" is an add-on ("Physical therapy with traction and TENS"); but a
        # drug's "with" can name an ingredient ("Tylenol with codeine"), so only a service
        # named before it decides.
        with_at = _WITH.search(text)
        if with_at and with_at.start() > 0:
            found = _classify(text[: with_at.start()], dictionary)
            if found is not None and found.category is not Category.PHARMACEUTICAL:
                return found
        found = _classify(text, dictionary)
        if found is not None:
            return found
    return None


_WITH = re.compile(r"\s+with\s+", re.I)


def _classify(request: str, dictionary: bool) -> Classification | None:
    lead = _LEAD.match(request)
    offset = lead.end() if lead else 0
    text = request[offset:]

    def hit(category: Category, m: re.Match[str], drug_class: DrugClass | None = None) -> Classification:
        return Classification(category, drug_class, Span.at(offset + m.start(), offset + m.end()))

    shot = _SHOT.search(text)
    if shot and not _TARGET.search(text):
        drug = _drug(text)
        if drug is not None:
            return hit(Category.PHARMACEUTICAL, drug[1], drug[0])
    consult = _CONSULT.search(text)
    if consult:
        return hit(Category.EVALUATION_MANAGEMENT, consult)
    for category, pattern in _RULES:
        m = pattern.search(text)
        if m:
            return hit(category, m)
    drug = _drug(text)
    topical = _TOPICAL_PRODUCTS.search(text) or _TOPICAL_FORM.search(text)
    if drug:
        cls, m = drug
        if cls not in _SYSTEMIC_PATCH and (topical or _PERCENT.search(text)):
            cls = DrugClass.TOPICAL
        elif cls in _SYSTEMIC_PATCH and (_APPLIED.search(text) or len(_PERCENT.findall(text)) >= 2):
            cls = DrugClass.TOPICAL  # "Tramadol 8%/Gabapentin 10% cream": a compounded topical
        return hit(Category.PHARMACEUTICAL, m, cls)
    if topical and (_PERCENT.search(text) or doses(text) or _TOPICAL_PRODUCTS.search(text)
                    or re.search(r"\bpatch(?:es)?\b", topical.group(0), re.I)):
        return hit(Category.PHARMACEUTICAL, topical, DrugClass.TOPICAL)
    for category, pattern in _LATE_RULES:
        m = pattern.search(text)
        if m:
            return hit(category, m)
    known = _dictionary_drug(text, offset, bool(topical or _PERCENT.search(text))) if dictionary else None
    if known is not None:
        return known
    near = _misspelled_drug(text)
    if near is not None:
        cls, span = near
        if cls not in _SYSTEMIC_PATCH and (topical or _PERCENT.search(text)):
            cls = DrugClass.TOPICAL
        return Classification(Category.PHARMACEUTICAL, cls, span.shift(offset))
    found = doses(text)
    if found:
        strength = found[0]
        # A dose in mg, mcg or ml names a medication even when the product is not listed;
        # its class is left to the model.
        return hit(Category.PHARMACEUTICAL, strength)
    return None
