"""How far to trust a treatment name the rules wrote: a calibrated confidence and its reasons.

:func:`treatment.treatment_name` is right on almost every request the rules were written
from and wrong more often on wordings it has not met. Its misses have visible marks: the
name keeps a word no labelled name uses ("Physical thearpy", "SPECT"), keeps a clause the
cuts did not reach ("Power wheelchair with custom seating", "X-ray of the chest, PA and
lateral"), keeps a body part a therapy loses, or the rules took a special path (a lead-in
ending in a colon cut, a spelled-out parenthesis dropped) where the conventions are least
settled. Each mark is a signal with a weight (the evidence it gives against the name); the
weights that fire are summed and a two-number logistic turns the sum into the estimated
chance that the name is right. The numbers are the constants below, fitted by
``evals/benchmarks/treatment_doubt_study.py`` (the comment above :data:`WEIGHTS` says on what).

Nothing here reads letter text beyond the one request; the vocabulary of labelled names is
the caller's (:func:`known_words_from`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from itertools import pairwise

from ..record import Category
from .vocab import BODY_PART

__all__ = ["TreatmentDoubt", "treatment_doubt", "treatment_signals", "known_words_from",
           "DEFAULT_THRESHOLD", "WEIGHTS", "INTERCEPT", "SLOPE"]

_TOKEN = re.compile(r"[a-z0-9]+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def known_words_from(treatments: Iterable[str]) -> frozenset[str]:
    """The vocabulary :func:`treatment_doubt` checks a name against: the lower-cased words of ``treatments``.

    Words are runs of letters and digits ("L4-L5" gives "l4", "l5"), pure numbers left out; the
    set also holds each pair of adjacent words as "word word", for the ``unknown_pair`` signal.
    """
    words: set[str] = set()
    for name in treatments:
        alpha = [t for t in _tokens(name) if not t.isdigit()]
        words.update(alpha)
        words.update(f"{a} {b}" for a, b in pairwise(alpha))
    return frozenset(words)


@dataclass(frozen=True)
class TreatmentDoubt:
    """The estimated chance a rules-written name is right, and the signals that lowered it."""

    confidence: float
    reasons: tuple[str, ...]


_KEEPS_BODY_PART = frozenset({"diagnostic", "injection", "surgery"})
# Operations and injections list their parts and levels with commas and "with" ("arthroscopy
# with subacromial decompression", "L4-5, L5-S1"), so there a kept comma or "with" is no doubt.
_LISTS_PARTS = frozenset({"injection", "surgery"})
_DRUG = "pharmaceutical"
_WITH = re.compile(r"\s(?:with|w/)\s*\w", re.I)
# A kept preposition that starts a clause the cuts may have missed: "to and from medical
# appointments", "for evaluation". "of" is how imaging names its part, and "at" a level.
_PREP = re.compile(r"\s(?:for|to|by|in|via|under)\s+\S", re.I)
_BODY = re.compile(rf"\b{BODY_PART}\b", re.I)
_PAREN = re.compile(r"\(([^()]*)\)")
# "EMG/NCV", "MRI/CT", "EMS/TENS": two abbreviations of one service pair, a slash is their name.
_ABBREV_PAIR = re.compile(r"\b[A-Z]{2,}(?:/[A-Z]{2,})+\b")
# "spine surgeon", "hip replacement specialist": a body part that says who, not where.
_WHO = re.compile(r"(?:\s+\w+)?\s+(?:surgeons?|specialists?|doctors?|physicians?|clinics?|centers?)\b", re.I)
_LEAD_COLON = re.compile(r"^([^:]{1,40}):\s*\S")
# Words after a cut that say nothing of the name (a preposition, an article, a count's "x").
_STOP = frozenset("a an the of for with w to and or by at in on x per as from".split())


def _category(category: Category | str | None) -> str | None:
    return category.value if isinstance(category, Category) else category


def treatment_signals(request: str, treatment: str, category: Category | str | None, *,
                      known_words: Collection[str]) -> dict[str, bool]:
    """Each doubt signal on one name, by reason code (the codes :func:`treatment_doubt` reports).

    ``unknown_word``: a word of the name no labelled name uses (a drug's own first word is not
    checked: new drugs are named right by cutting at the dose); ``unknown_pair``: two adjacent
    words no labelled name puts together (not for drugs); ``kept_with``, ``kept_comma``,
    ``kept_paren``, ``kept_slash``, ``kept_prep``: the name keeps what usually starts an add-on;
    ``kept_body_part``: a therapy, evaluation or device keeps a side or body part;
    ``uncut_long``: four or more words and nothing cut; ``short_cut``: one word left of three
    or more; ``next_known``: the word the cut removed right after the name is one labelled
    names use; ``dropped_abbrev``: a parenthesised abbreviation went; ``lead_colon_cut``: a
    lead-in ending in a colon went ("Labs: CBC, CMP").
    """
    cat = _category(category)
    name_tokens = _tokens(treatment)
    request_tokens = _tokens(request)
    alpha = [t for t in name_tokens if not t.isdigit()]
    drug = cat == _DRUG
    unknown = [t for t in (alpha[1:] if drug else alpha) if t not in known_words]
    lead = _LEAD_COLON.match(request)
    return {
        "unknown_word": bool(unknown),
        "unknown_pair": not drug and any(f"{a} {b}" not in known_words for a, b in pairwise(alpha)),
        "kept_with": not drug and cat not in _LISTS_PARTS and bool(_WITH.search(treatment)),
        "kept_comma": cat not in _LISTS_PARTS and "," in treatment,
        "kept_paren": "(" in treatment,
        "kept_slash": not drug and cat not in _LISTS_PARTS and "/" in _ABBREV_PAIR.sub("", treatment),
        "kept_prep": cat not in _LISTS_PARTS and bool(_PREP.search(treatment)),
        "kept_body_part": cat not in _KEEPS_BODY_PART and not drug and _kept_body_part(treatment, cat),
        "uncut_long": len(name_tokens) >= 4 and name_tokens == request_tokens,
        "short_cut": not drug and len(alpha) == 1 and sum(not t.isdigit() for t in request_tokens) >= 3,
        "next_known": not drug and _next_known(request_tokens, name_tokens, known_words),
        "dropped_abbrev": any(p.strip().isupper() and p not in treatment for p in _PAREN.findall(request)),
        "lead_colon_cut": lead is not None and not treatment.lower().startswith(lead.group(1).strip().lower()),
    }


def _kept_body_part(treatment: str, cat: str | None) -> bool:
    """A side or body part a therapy, evaluation or device should have lost.

    A device named for its part ("Shoulder sling", "Leg wraps") and a specialist named for one
    ("spine surgeon") keep it by right.
    """
    for m in _BODY.finditer(treatment):
        if cat == "durable_medical_equipment" and m.start() == 0:
            continue
        if _WHO.match(treatment, m.end()):
            continue
        return True
    return False


def _next_known(request: list[str], name: list[str], known_words: Collection[str]) -> bool:
    """The request's word just after the name's last word was cut, and labelled names use it."""
    if not name or name[-1] not in request:
        return False
    i = len(request) - 1 - request[::-1].index(name[-1])
    rest = [t for t in request[i + 1:] if not t.isdigit()]
    return bool(rest) and rest[0] not in _STOP and rest[0] in known_words and rest[0] not in name


# Fitted by evals/benchmarks/treatment_doubt_study.py on the 1,760 request wordings of
# evals/wordings/*.json and the 235 dev fixture items (each name's signals computed against a
# vocabulary without its own set or letter, as a new wording meets it): each weight is the
# signal's smoothed log likelihood ratio, wrong names against right ones, floored at 0; the
# intercept and slope scale their sum into a probability (Platt). Out of set (weights fitted
# without the set judged) the names below DEFAULT_THRESHOLD were 8.6% of the wordings and held
# 28 of their 45 wrong names; see the study for the full tables. Refit there, never by hand.
WEIGHTS: dict[str, float] = {
    "unknown_word": 1.569,
    "unknown_pair": 1.148,
    "kept_with": 2.931,
    "kept_comma": 3.783,
    "kept_paren": 2.790,
    "kept_slash": 2.279,
    "kept_prep": 2.441,
    "kept_body_part": 2.279,
    "uncut_long": 1.000,
    "short_cut": 1.134,
    "next_known": 0.933,
    "dropped_abbrev": 1.873,
    "lead_colon_cut": 0.615,
}
INTERCEPT = 5.610
SLOPE = 0.878
#: Confidence below which a name belongs on the record's needs_review list: the highest that
#: flagged at most 10% of the wordings and dev names together, out of set (the study's choice).
DEFAULT_THRESHOLD = 0.96


def treatment_doubt(request: str, treatment: str | None, category: Category | None, *,
                    known_words: Collection[str]) -> TreatmentDoubt:
    """The estimated chance that ``treatment`` (the rules' name for ``request``) is right.

    ``category`` is the one the rules placed the request in (it decides what a name keeps);
    ``known_words`` is :func:`known_words_from` over labelled treatment names. Reasons are the
    signal codes that fired, strongest first; no name at all gets confidence 0.
    """
    if not treatment or not treatment.strip():
        return TreatmentDoubt(0.0, ("no_name",))
    fired = [k for k, v in treatment_signals(request, treatment, category, known_words=known_words).items() if v]
    confidence = 1.0 / (1.0 + math.exp(-(INTERCEPT - SLOPE * sum(WEIGHTS.get(k, 0.0) for k in fired))))
    reasons = tuple(sorted((k for k in fired if WEIGHTS.get(k, 0.0) > 0), key=lambda k: -WEIGHTS[k]))
    return TreatmentDoubt(min(1.0, max(0.0, confidence)), reasons)
