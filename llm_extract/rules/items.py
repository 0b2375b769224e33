"""Disputed items read from the letter's layout.

Each item in the "IMR ISSUES, DECISIONS AND RATIONALES" section is laid out as::

    <request>: Upheld | Overturned            (the decision line; may wrap)
    Claims Administrator guideline: <text>
    MAXIMUS guideline: <text>
    Decision rationale: <text>               (runs to the next item's request)

The decision line anchors an item; its request is the paragraph that ends in it, and
everything up to the next item's request paragraph belongs to the item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .vocab import DECISION_WORD, STRENGTH

__all__ = ["RawItem", "read_items", "decision_lines", "guideline_sources", "read_strength", "read_quantity"]


@dataclass
class RawItem:
    """One item's values as ``(value, start, end)`` triples into the normalised text."""

    request: tuple[str, int, int]
    decision: tuple[str, int, int]
    fields: dict[str, tuple[str, int, int]] = field(default_factory=dict)


_INTRO = re.compile(r"set\s+forth\s+below:?[ ]*\n", re.I)
_DECISION = re.compile(r":[ ]*\n?[ ]*" + DECISION_WORD + r"\b[ ]*\.?[ ]*(?=\n|$)", re.I)
_LABELS = {
    "claims_administrator_guideline": re.compile(r"Claims\s+Administrator\s+guideline:[ ]*", re.I),
    "maximus_guideline": re.compile(r"MAXIMUS\s+guideline:[ ]*", re.I),
    "rationale": re.compile(r"Decision\s+rationale:[ ]*", re.I),
}
# Wording that puts the disputed request inside a longer decision sentence.
_REQUEST_LEADS = [
    re.compile(r"The\s+remaining\s+IMR\s+eligible\s+portion\s+of\s+the\s+original\s+request,?\s+(?:is\s+(?:for\s+)?)?", re.I),
    re.compile(r"The\s+original\s+request,?\s+", re.I),
]
_ORIGINAL_SENTENCE = re.compile(r"was\s+the\s+original\s+request\.", re.I)
_REQUEST_TAIL = re.compile(r"(?:,?\s+is|,)\s*$", re.I)


def _collapse(s: str) -> str:
    return " ".join(s.split())


def _trimmed(text: str, start: int, end: int) -> tuple[str, int, int]:
    """The whitespace-collapsed value of ``text[start:end]`` and its span without edges."""
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    start, end = start + lead, start + len(chunk.rstrip())
    return _collapse(text[start:end]), start, end


def _paragraph_start(text: str, pos: int, floor: int) -> int:
    """Start of the paragraph holding ``pos``: after the last blank line, or after a label-free
    sentence end when the copy has no blank lines between paragraphs."""
    blank = text.rfind("\n\n", floor, pos)
    start = blank + 2 if blank >= 0 else floor
    # A request paragraph never holds an item label; if one is inside, the previous item's
    # rationale ran on without a blank line, so the request starts on the line after the
    # last line that ends a sentence.
    chunk = text[start:pos]
    if any(lbl.search(chunk) for lbl in _LABELS.values()):
        ends = [m.end() for m in re.finditer(r"[.)\]]\n", text[start:pos])]
        # "X was the original request. ... The remaining IMR eligible portion ..." is one
        # paragraph: start it before the "original request" sentence (PDFium drops the
        # blank line pypdf keeps there).
        origs = list(_ORIGINAL_SENTENCE.finditer(chunk))
        if origs:
            last_label = max(m.end() for lbl in _LABELS.values() for m in lbl.finditer(chunk))
            before = [e for e in ends if last_label <= e <= origs[-1].start()]
            if before and origs[-1].start() > last_label:
                ends = before
        if ends:
            start = start + ends[-1]
    return start


def _request(text: str, start: int, end: int) -> tuple[str, int, int]:
    for lead in _REQUEST_LEADS:
        found = None
        for m in lead.finditer(text, start, end):
            found = m
        if found:
            start = found.end()
            break
    tail = _REQUEST_TAIL.search(text, start, end)
    if tail:
        end = tail.start()
    return _trimmed(text, start, end)


# What the layout puts straight after a decision line.
_AFTER_DECISION = re.compile(
    r"\s*(?:Claims\s+Administrator\s+guideline:|MAXIMUS\s+guideline:|Decision\s+rationale:)", re.I
)


def decision_lines(text: str, section_start: int) -> tuple[list[re.Match[str]], list[re.Match[str]]]:
    """The decision lines after ``section_start``: those where the layout puts one, and strays.

    Letter text is data: a sentence that happens to end in ": Overturned" is a decision line
    only when an item label ("Claims Administrator guideline:", "MAXIMUS guideline:",
    "Decision rationale:") follows it. When no decision line is followed by a label (a copy
    that lost its labels), every one is kept, and the caller warns about each.
    """
    intro = _INTRO.search(text, max(section_start, 0))
    floor = intro.end() if intro else max(section_start, 0)
    marks = list(_DECISION.finditer(text, floor))
    anchored = [m for m in marks if _AFTER_DECISION.match(text, m.end())]
    if not anchored:
        return marks, []
    return anchored, [m for m in marks if m not in anchored]


def read_items(text: str, section_start: int) -> list[RawItem]:
    """Every disputed item after ``section_start``, in letter order (see :func:`decision_lines`)."""
    intro = _INTRO.search(text, max(section_start, 0))
    floor = intro.end() if intro else max(section_start, 0)
    marks, _ = decision_lines(text, section_start)
    starts = []
    prev_end = floor
    for m in marks:
        starts.append(_paragraph_start(text, m.start(), prev_end))
        prev_end = m.end()
    items: list[RawItem] = []
    for i, m in enumerate(marks):
        body_end = starts[i + 1] if i + 1 < len(marks) else len(text)
        req = _request(text, starts[i], m.start())
        decision = m.group(1).capitalize()
        item = RawItem(request=req, decision=(decision, m.start(1), m.end(1)))
        hits = sorted(
            (lm.start(), lm.end(), name)
            for name, pattern in _LABELS.items()
            if (lm := pattern.search(text, m.end(), body_end))
        )
        for j, (_, value_start, name) in enumerate(hits):
            value_end = hits[j + 1][0] if j + 1 < len(hits) else body_end
            item.fields[name] = _trimmed(text, value_start, value_end)
        items.append(item)
    return items


_NO_EVIDENCE = re.compile(r"did\s+not\s+cite\s+any\s+medical\s+evidence", re.I)
_OUTSIDE_MTUS = re.compile(r"outside\s+of\s+the\s+MTUS(?:\s+Guidelines)?|Non-MTUS", re.I)
_MTUS = re.compile(r"\bMTUS\b|\bCA\s+MTUS\b|Chronic\s+Pain\s+Medical\s+Treatment\s+Guidelines", re.I)
_ACOEM = re.compile(r"\bACOEM\b|American\s+College\s+of\s+Occupational", re.I)
_ODG = re.compile(r"\bODG\b|Official\s+Disability\s+Guidelines?", re.I)
_NON_MTUS_CITATION = re.compile(r"Non-MTUS\s+Citation:?\s*(.+?)(?=Non-MTUS\s+Citation|Decision\s+based\s+on|$)", re.I | re.S)


def guideline_sources(maximus: str | None) -> list[str]:
    """What the MAXIMUS reviewer based the decision on, from the MAXIMUS guideline text."""
    if not maximus or _NO_EVIDENCE.search(maximus):
        return []
    found: set[str] = set()
    if _MTUS.search(_OUTSIDE_MTUS.sub(" ", maximus)):
        found.add("MTUS")
    if _ACOEM.search(maximus):
        found.add("ACOEM")
    if _ODG.search(maximus):
        found.add("ODG")
    for m in _NON_MTUS_CITATION.finditer(maximus):
        # Each Non-MTUS citation that names neither ODG nor ACOEM is some other source.
        # A citation may list several works separated by semicolons.
        for part in m.group(1).split(";"):
            if part.strip(" .,") and not (_ODG.search(part) or _ACOEM.search(part) or _MTUS.search(part)):
                found.add("other")
    if re.search(r"https?://|www\.", maximus):
        found.add("other")
    return [s for s in ("MTUS", "ACOEM", "ODG", "other") if s in found]


_WORD_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_COUNT = rf"(\d+|{'|'.join(_WORD_NUMBERS)})"
_QTY_PATTERNS = [
    re.compile(r"\bQTY\s*:?\s*(\d+)\b", re.I),
    re.compile(r"\bquantity\s*:?\s*(\d+)\b", re.I),
    # "#90/month" is a rate, not the count requested.
    re.compile(r"#\s*(\d+)\b(?!\s*/)"),
    # "Four sessions of ...", "6 sessions", but not a range such as "12-18 sessions".
    re.compile(rf"(?<![-\d])\b{_COUNT}\s+(?:\w+\s+){{0,3}}?(?:sessions?|visits?|treatments?)\b", re.I),
    # "times 12", "x12", but not "times 2 weeks" (a duration).
    re.compile(r"(?:\btimes|(?<![\w/.-])[xX])\s*(\d+)\b(?!\s*(?:weeks?|days?|months?|per\b|/))", re.I),
]
# "2 leg wraps": a count that opens the request (after an "Associated surgical service:" lead).
_LEADING_COUNT = re.compile(
    rf"^(?:[^:]*:\s*)?{_COUNT}\s+(?!(?:times?|days?|weeks?|months?|hours?|refills?|mg|%)\b)[a-z]",
    re.I,
)
_PACKAGE_SIZE = re.compile(r"^\d+(?:\.\d+)?\s*(?:g|gm|grams?|ml)$", re.I)


def read_strength(request: str) -> tuple[str, int, int] | None:
    """The strength the request states plainly ("20mg", "7.5-325mg"), with its offsets."""
    hits = list(STRENGTH.finditer(request))
    # A bare weight after a percentage ("5% 106.32gm") is the package size, not a strength.
    if any("%" in h.group(1) for h in hits):
        hits = [h for h in hits if not _PACKAGE_SIZE.match(h.group(1))] or hits
    if not hits:
        return None
    value = re.sub(r"\s+", "", hits[0].group(1))
    for prev, h in zip(hits, hits[1:]):
        # Strengths side by side stay side by side; one per ingredient of a compound
        # ("Flurbiprofen 20%/Baclofen 5%") are joined with "/".
        between = request[prev.end(1): h.start(1)]
        value += (" " if not between.strip() else "/") + re.sub(r"\s+", "", h.group(1))
    return value, hits[0].start(1), hits[-1].end(1)


def read_quantity(request: str) -> tuple[int, int, int] | None:
    """The count the request states plainly ("#60", "QTY: 2", "12 sessions"), with offsets."""
    for pattern in [*_QTY_PATTERNS, _LEADING_COUNT]:
        found = list(pattern.finditer(request))
        if len({f.group(1).lower() for f in found}) > 1:
            return None  # two different counts in one request: no single quantity
        m = found[0] if found else None
        if m:
            word = m.group(1).lower()
            return (int(word) if word.isdigit() else _WORD_NUMBERS[word]), m.start(1), m.end(1)
    return None
