"""What follows a service's name in a request and is not part of its name.

Requests add to a name what it is for ("to monitor compliance", "for pain control"), who
gives it or where ("by a registered nurse", "as an outpatient", "in the clinic"), under which
paper ("per the 3/4/15 report", "as recommended by the spine surgeon"), and details after a
dash, colon or semicolon, after "including"/"consisting of"/"plus", or in a closing
parenthesis ("Hospital bed (semi-electric, with rails)"). The treatment name drops them
(:mod:`treatment`), and the lexicon classifies the head before them (:mod:`lexicon`: "EKG for
pre-operative clearance" is a test, not a clearance). Every function returns a prefix of, or
the same words as, its input.
"""

from __future__ import annotations

import re

from .vocab import BODY_PART
from .vocabularies import load_vocabulary

__all__ = ["without_trailing_clause", "drop_trailing", "drop_appended", "drop_purpose"]

_WORDS = load_vocabulary("clauses")  # vocab/clauses.toml


def _words(group: str) -> str:
    """The words of one group of vocab/clauses.toml, as one alternation without boundaries."""
    return _WORDS[group].regex()


# What a consultation or visit is for is not its name ("Referral to a spine surgeon for surgical
# consultation", "Consult with a hip specialist to evaluate for arthroplasty").
_CONSULT_HEAD = re.compile(rf"\b{_words('consult_head')}\b", re.I)
_PURPOSE = re.compile(r"\s+(?:for|to\s+(?:(?:an?\s+)?evaluat\w*|assess\w*|discuss\w*|determine|rule\s+out))\b", re.I)


def drop_purpose(text: str) -> str:
    """A consultation or visit without what it is for, unless that is all the request names."""
    head = _CONSULT_HEAD.search(text)
    if head is None:
        return text
    clause = _PURPOSE.search(text, head.start())
    # "Referral for physical therapy": the clause is all the request names, so it stays.
    if clause is None or len(text[: clause.start()].split()) < 2:
        return text
    return text[: clause.start()]


# What follows a service's name and is not its name: what it is for, who gives it, where,
# and when ("Urine drug screen to monitor compliance", "Home health aide for assistance with
# activities of daily living", "Nursing care by a registered nurse", "Chest x-ray, pre-operative").
# The words are in vocab/clauses.toml; which words come before and after them is here.
_TRAILING = re.compile(
    rf",?\s+(?:to\s+{_words('purpose_verb')}\b|r/o\b|{_words('timing_preposition')}\s+(?!the\s+(?:first|second))"
    rf"|{_words('setting')}\b"
    rf"|by\s+(?:a|an|the)\s+|with\s+(?:a|an)\s+{_words('credential')}\b|round[- ]trips?\b"
    rf"|as\s+(?:an?\s+)?{_words('patient_setting')}\b|as\s+{_words('direction')}\b"
    r"|as\s+part\s+of\b|performed\b|per\s+(?:the\s+)?(?:\d{1,2}/\d{1,2}/\d{2,4}\s+)?"
    rf"{_words('paper')}s?\b)"
    r"|,\s*(?:pre|post)-?\s*op(?:erative(?:ly)?)?\s*$|\s+s/p\b"
    # what an aide helps with is what the aide is for ("Home health aide assistance with bathing")
    rf"|,?\s+with\s+(?:(?:his|her|the|all|basic)\s+)?{_words('daily_living')}\b"
    r"|,?\s*\(?(?:established|new)(?:\s+patient)?\)?(?=\s*(?:,|level\b|$))|,?\s+level\s+[1-5]\b",
    re.I,
)
_FOR = re.compile(r",?\s+for\s+", re.I)
_FOR_BODY = re.compile(rf",?\s+for\s+(?:the\s+)?{BODY_PART}\b", re.I)
# A head whose object follows "for": "Referral for physical therapy", "Evaluation for a program".
_FOR_HEAD = re.compile(r"^(?:\w+\s+){0,1}(?:referral|consult\w*|evaluation|request|authori[sz]ation|approval)$", re.I)
_ACCESSORIES = re.compile(
    rf"\s*(?:,\s*|\s+(?:with|and|including|plus)\s+)(?:\w+\s+){{0,2}}{_words('accessory')}\b.*$",
    re.I,
)
_ACCESSORY_ASIDE = re.compile(r"\s*\((?=[^()]*\b(?:electrodes|batteries|supplies|pads)\b)[^()]*\)", re.I)


# Details appended to a service's name: after a dash, colon or semicolon ("Home health care -
# 4 hrs/day", "MRI of the lumbar spine: rule out disc herniation"), components introduced by
# "including", "consisting of" or "plus", and a closing parenthesis of details ("Hospital bed
# (semi-electric, with rails)"). A one-word parenthesis may be the service's other name
# ("Sleep study (polysomnogram)") and stays; "with" is kept ("Acupuncture with Capsaicin patch").
_APPENDED = re.compile(rf"\s+[-\u2013\u2014]\s+.*$|\s*[:;]\s+.*$|,?\s+{_words('introducer')}\s+.*$", re.I)
_DETAIL_PAREN = re.compile(r"\s*\((?=[^()]*(?:,|\d|\s))[^()]*\)\s*$")


def without_trailing_clause(request: str) -> str:
    """``request`` up to its trailing purpose, provider, setting or timing clause (a prefix of it)."""
    m = _TRAILING.search(request)
    head = request[: m.start()] if m and m.start() > 0 else request
    m = _FOR.search(head)
    if m and m.start() > 0 and not _FOR_HEAD.match(head[: m.start()].strip()):
        head = head[: m.start()]
    m = _APPENDED.search(head) or re.search(r"\s*\([^()]*\)\s*$", head)
    if m and m.start() > 0:
        head = head[: m.start()]
    return head


def drop_trailing(text: str, keeps_part: bool, *, equipment: bool = False) -> str:
    """The service's name without a trailing purpose, provider, setting or timing clause.

    ``keeps_part``: the service keeps its body part ("MRI for the cervical spine" is not a
    purpose); ``equipment``: accessories go too ("TENS unit with electrodes and batteries").
    """
    m = _TRAILING.search(text)
    if m and m.start() > 0:
        text = text[: m.start()]
    m = _FOR.search(text)
    if m and m.start() > 0 and not _FOR_HEAD.match(text[: m.start()].strip()):
        if not (keeps_part and _FOR_BODY.match(text, m.start())):
            text = text[: m.start()]
    if equipment:
        text = _ACCESSORY_ASIDE.sub("", text)
        if not re.match(r"^\S+(?:\s+unit)?\s+supplies\b", text, re.I):  # the supplies themselves are the item
            text = _ACCESSORIES.sub("", text) or text
    return text


def drop_appended(text: str) -> str:
    """The name without details appended after a dash, colon, semicolon, "including"/"plus", or in a
    closing parenthesis."""
    text = text.strip(" ,;")
    m = _APPENDED.search(text)
    if m and m.start() > 0:
        text = text[: m.start()]
    text = text.strip(" ,;")
    if re.search(r"\b(?:labs?|laboratory|panels?|tests?|studies)\s*\([^()]*\)$", text, re.I):
        return text  # "Pre-operative labs (CBC, BMP, PT/INR)": the parenthesis names the tests
    return _DETAIL_PAREN.sub("", text) or text
