"""Letter-level fields read from the letter's fixed layout: header, credentials, summary.

Every function takes the normalised text and returns values with their spans, so the
caller can record evidence. Nothing here knows about items; see :mod:`items`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..record import Span
from .dates import DATE_PATTERN, parse_date
from .vocab import SEX_WORD, SEX_WORDS, label

__all__ = ["Found", "Sections", "find_sections", "read_header", "header_labels", "read_credentials",
           "read_patient", "read_injury_date", "count_letters", "HEADER_LABELS"]


@dataclass(frozen=True)
class Found:
    """A value and the span of text it was read from."""

    value: object
    span: Span


@dataclass(frozen=True)
class Sections:
    """Offsets of the letter's parts (``-1`` where a part was not found)."""

    header_end: int
    credentials: int
    summary: int
    issues: int


# Headings and labels read with or without the spaces between their words (see vocab.label).
_HOW = re.compile(label("HOW THE IMR FINAL DETERMINATION WAS MADE"), re.I)
_CREDENTIALS = re.compile(label("The Expert Reviewer has the following credentials"), re.I)
_SUMMARY = re.compile(r"^" + label("CLINICAL CASE SUMMARY") + r"\b", re.I | re.M)
_ISSUES = re.compile(
    r"^IMR\s*ISSUES?(?:\(S\))?,?\s*DECISIONS?(?:\(S\))?,?\s*AND\s*RATIONALES?(?:\(S\))?", re.I | re.M
)


def _pos(pattern: re.Pattern[str], text: str, start: int = 0) -> int:
    m = pattern.search(text, start)
    return m.start() if m else -1


def count_letters(text: str) -> tuple[int, list[str]]:
    """How many letters the text holds, and their case numbers in order of first appearance.

    A letter opens once ("HOW THE IMR FINAL DETERMINATION WAS MADE", one case summary, one
    issues heading) and has one case number; a bundle of letters repeats them.
    """
    cases = list(dict.fromkeys(m.group(1) for m in _CASE.finditer(text)))
    openings = max(len(_HOW.findall(text)), len(_SUMMARY.findall(text)), len(_ISSUES.findall(text)))
    return max(len(cases), openings, 1), cases


def find_sections(text: str) -> Sections:
    """Locate the header, credentials, case summary and issues sections."""
    how = _pos(_HOW, text)
    cred = _pos(_CREDENTIALS, text)
    summary = _pos(_SUMMARY, text)
    issues = _pos(_ISSUES, text, max(summary, 0))
    # The header block, where present, sits above the "HOW THE IMR..." heading.
    header_end = how if how >= 0 else (cred if cred >= 0 else min(len(text), 1500))
    return Sections(header_end=header_end, credentials=cred, summary=summary, issues=issues)


#: The header's labels as the letter prints them, by record field, in layout order. PDF text
#: may break a label over two lines ("Application \nReceived:"); see vocab.label.
HEADER_LABELS = {
    "case_number": "Case Number",
    "date_assigned": "Date Assigned",
    "date_of_injury": "Date of Injury",
    "decision_date": "Decision Date",
    "ur_denial_date": "UR Denial Date",
    "priority": "Priority",
    "application_received": "Application Received",
}
_HEADER_DATES = {name: label(HEADER_LABELS[name]) for name in
                 ("date_assigned", "date_of_injury", "decision_date", "ur_denial_date", "application_received")}
_NUMERIC_DATE = r"\d{1,2}/\d{1,2}/\d{4}"
_CASE = re.compile(label("Case Number") + r":\s*(CM\d{2}-\d{7})\b")
_PRIORITY = re.compile(label("Priority") + r":\s*(Standard|Expedited)\b", re.I)


def read_header(text: str, sections: Sections) -> dict[str, Found]:
    """Case number, the five header dates and priority, where the letter has a header."""
    head = text[: sections.header_end]
    found: dict[str, Found] = {}
    m = _CASE.search(head)
    if m:
        found["case_number"] = Found(m.group(1), Span.at(m.start(1), m.end(1)))
    for field, pattern in _HEADER_DATES.items():
        m = re.search(rf"\b{pattern}:\s*({_NUMERIC_DATE})", head)
        if m:
            value = parse_date(m.group(1))
            if value is not None:
                found[field] = Found(value, Span.at(m.start(1), m.end(1)))
    m = _PRIORITY.search(head)
    if m:
        found["priority"] = Found(m.group(1).capitalize(), Span.at(m.start(1), m.end(1)))
    return found


def header_labels(text: str, sections: Sections) -> list[str]:
    """The record fields whose header label ("Case Number:") the header block holds, in order.

    An empty list means the letter has no header block (a copy that starts at its first heading).
    """
    head = text[: max(sections.header_end, 0)]
    return [name for name, words in HEADER_LABELS.items() if re.search(rf"\b{label(words)}:", head)]


_STATES = re.compile(r"State\(s\)\s*of\s*Licensure:[ ]*")
_SPECIALTY = re.compile(r"Certification\(s\)\s*/\s*Specialty:[ ]*")
# A credentials value ends at a blank line, at the next label, or at a heading.
_VALUE_STOP = re.compile(
    r"\n(?:\n|(?=State\(s\)|Certification\(s\)|CLINICAL\s+CASE|[A-Z][A-Z ,]{8,}\n))"
)


def _value_after(label: re.Pattern[str], text: str, start: int, end: int) -> Found | None:
    m = label.search(text, start, end)
    if not m:
        return None
    stop = _VALUE_STOP.search(text, m.end(), end)
    value_end = stop.start() if stop else end
    raw = text[m.end(): value_end]
    return Found(raw, Span.at(m.end(), m.end() + len(raw.rstrip())))


def _split_list(found: Found) -> list[Found]:
    """Split a comma list into its entries, each with its own span; wrapped lines join."""
    out: list[Found] = []
    raw = str(found.value)
    for m in re.finditer(r"[^,]+", raw):
        part = m.group(0)
        stripped = part.strip()
        if not stripped:
            continue
        start = m.start() + (len(part) - len(part.lstrip()))
        out.append(Found(" ".join(stripped.split()), Span.at(start, start + len(stripped)).shift(found.span.start)))
    return out


def read_credentials(text: str, sections: Sections) -> dict[str, list[Found]]:
    """Licensure states and specialties, each entry with its span, in letter order."""
    start = max(sections.credentials, 0)
    end = sections.summary if sections.summary > start else len(text)
    found: dict[str, list[Found]] = {}
    states = _value_after(_STATES, text, start, end)
    if states:
        found["licensure_states"] = _split_list(states)
    specialties = _value_after(_SPECIALTY, text, start, end)
    if specialties:
        found["specialties"] = _split_list(specialties)
    return found


_AGE = re.compile(r"\b(\d{1,3})[-\s]years?[-\s]old\b", re.I)
_SEX_AFTER_AGE = re.compile(
    r"[ \n](?:[a-z-]+[ \n]){0,3}?" + SEX_WORD + r"\b", re.I
)


_SEX_ONLY = re.compile(
    r"\b(?:is|was)\s+an?\s+(?:[a-z-]+\s+){0,3}?" + SEX_WORD + r"\b", re.I
)


def read_patient(text: str, sections: Sections) -> dict[str, Found]:
    """The patient's age and sex as the case summary first states them."""
    start = sections.summary if sections.summary >= 0 else 0
    end = sections.issues if sections.issues > start else len(text)
    found: dict[str, Found] = {}
    m = _AGE.search(text, start, end)
    if m:
        age = int(m.group(1))
        if 0 < age <= 120:
            found["age"] = Found(age, Span.at(m.start(1), m.end(1)))
        s = _SEX_AFTER_AGE.match(text, m.end(), min(end, m.end() + 60))
        if s:
            found["sex"] = Found(SEX_WORDS[s.group(1).lower()], Span.at(s.start(1), s.end(1)))
    if "sex" not in found:
        # "The injured worker is a female who..." states the sex without an age.
        s = _SEX_ONLY.search(text, start, min(end, start + 600))
        if s:
            found["sex"] = Found(SEX_WORDS[s.group(1).lower()], Span.at(s.start(1), s.end(1)))
    return found


_INJURY = re.compile(
    rf"\binjur(?:y|ies|ed)\b[^.]{{0,40}}?\b(?:on|of|dated|date)\s+(?:or\s+about\s+)?({DATE_PATTERN})",
    re.I,
)


def read_injury_date(text: str, sections: Sections, pivot_year: int | None = None) -> Found | None:
    """The industrial-injury date stated in the case summary (used when there is no header)."""
    start = sections.summary if sections.summary >= 0 else 0
    end = sections.issues if sections.issues > start else len(text)
    m = _INJURY.search(text, start, end)
    if not m:
        return None
    value: dt.date | None = parse_date(m.group(1), pivot_year=pivot_year)
    return Found(value, Span.at(m.start(1), m.end(1))) if value else None
