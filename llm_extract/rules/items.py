"""Disputed items read from the letter's layout.

Each item in the "IMR ISSUES, DECISIONS AND RATIONALES" section is laid out as::

    <request>: Upheld | Overturned            (the decision line; may wrap)
    Claims Administrator guideline: <text>
    MAXIMUS guideline: <text>
    Decision rationale: <text>               (runs to the next item's request)

The decision line anchors an item; its request is the paragraph that ends in it, and
everything up to the next item's request paragraph belongs to the item. Where several lines
ending in a decision word compete for one guideline block, :func:`contests` says which one the
letter supports (see there).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from ..record import Span
from .vocab import DECISION_LINE_WORD, STRENGTH, decision_of, label

__all__ = ["RawItem", "Contest", "read_items", "decision_lines", "contests", "guideline_sources", "read_strength",
           "read_quantity"]


@dataclass
class RawItem:
    """One item's values as ``(value, span)`` pairs, the spans into the normalised text."""

    request: tuple[str, Span]
    decision: tuple[str, Span]
    fields: dict[str, tuple[str, Span]] = field(default_factory=dict)


_INTRO = re.compile(r"set\s+forth\s+below:?[ ]*\n", re.I)
_DECISION = re.compile(r":[ ]*\n?[ ]*" + DECISION_LINE_WORD + r"\b[ ]*\.?[ ]*(?=\n|$)", re.I)
# Item labels read with or without the space between their words (see vocab.label).
_LABEL_WORDS = {
    "claims_administrator_guideline": "Claims Administrator guideline",
    "maximus_guideline": "MAXIMUS guideline",
    "rationale": "Decision rationale",
}
_LABELS = {name: re.compile(label(words) + r":[ ]*", re.I) for name, words in _LABEL_WORDS.items()}
# Wording that puts the disputed request inside a longer decision sentence.
_REQUEST_LEADS = [
    re.compile(r"The\s+remaining\s+IMR\s+eligible\s+portion\s+of\s+the\s+original\s+request,?\s+"
               r"(?:is\s+(?:for\s+)?)?", re.I),
    re.compile(r"The\s+original\s+request,?\s+", re.I),
]
_ORIGINAL_SENTENCE = re.compile(r"was\s+the\s+original\s+request\.", re.I)
_REQUEST_TAIL = re.compile(r"(?:,?\s+is|,)\s*$", re.I)


def _collapse(s: str) -> str:
    return " ".join(s.split())


def _trimmed(text: str, start: int, end: int) -> tuple[str, Span]:
    """The whitespace-collapsed value of ``text[start:end]`` and its span without edges."""
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    start, end = start + lead, start + len(chunk.rstrip())
    return _collapse(text[start:end]), Span.at(start, end)


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


def _request(text: str, start: int, end: int) -> tuple[str, Span]:
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
    r"\s*(?:" + "|".join(f"(?P<{name}>{label(words)}:)" for name, words in _LABEL_WORDS.items()) + ")", re.I
)


@dataclass(frozen=True)
class Contest:
    """Lines ending in a decision word that compete for one guideline block.

    ``lines`` are in letter order; the last is the one the labels follow. ``kept`` is the
    line the letter supports, ``None`` when nothing in the letter decides; ``why`` says what
    decided.
    """

    lines: tuple[re.Match[str], ...]
    kept: re.Match[str] | None
    why: str = ""


def _floor(text: str, section_start: int) -> int:
    intro = _INTRO.search(text, max(section_start, 0))
    return intro.end() if intro else max(section_start, 0)


def _has_label(text: str, start: int, end: int) -> bool:
    return any(lbl.search(text, start, end) for lbl in _LABELS.values())


# What a rationale calls the request it decides: "the request for X", "the requested X",
# and the subject of its verdict ("X is not medically necessary"), each a clause of its own.
_NAMING = [
    re.compile(r"\brequest(?:ed)?\s+for\s+([^.;:]{1,150}?)(?=\s+(?:is|are|was|were|has|have|does|do)\b|[.;:]|$)",
               re.I),
    re.compile(r"\brequested\s+([^.;:]{1,150}?)(?=\s+(?:is|are|was|were|has|have|does|do)\b|[.;:]|$)", re.I),
    re.compile(r"([^.;:,]{1,120}?)\s+(?:is|are|was|were)\s+(?:not\s+)?(?:medically\s+necessary|recommended|"
               r"supported|certified|warranted|indicated)\b", re.I),
]
# Words that name no request: they stand in every rationale's verdict sentence.
_PLAIN = frozenset(
    "the and for with from that this these those then than not are was were has have had its his her their "
    "request requests requested medically necessary per one two any all such also".split()
)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z-]{2,}", text.lower()) if w not in _PLAIN}


def _named(text: str, start: int, end: int) -> set[str]:
    """The words with which the rationale in ``text[start:end]`` names the request it decides."""
    at = _LABELS["rationale"].search(text, start, end)
    if not at:
        return set()
    found: set[str] = set()
    for pattern in _NAMING:
        for m in pattern.finditer(text, at.end(), end):
            found |= _words(m.group(1))
    return found


def _paragraph_copy(text: str, start: int) -> bool:
    """Whether the copy sets every item label after ``start`` off with a blank line before it.

    Only then does a blank line tell where a paragraph starts; PDF text has (almost) none, and
    a line put in with a blank line of its own must not look like the one real paragraph.
    """
    labels = [m.start() for lbl in _LABELS.values() for m in lbl.finditer(text, start)]
    return bool(labels) and all(text[max(0, at - 2):at] == "\n\n" for at in labels)


def _request_paragraph(text: str, line: re.Match[str], floor: int) -> bool:
    """Whether ``line`` ends a paragraph of its own that starts where the layout starts one.

    Only a copy that separates paragraphs with blank lines (:func:`_paragraph_copy`) can say:
    the paragraph must start after ``floor`` (the section intro or the previous item's decision
    line) and hold no item label and no other decision line; a sentence that ends a rationale's
    paragraph fails.
    """
    if not _paragraph_copy(text, floor):
        return False
    blank = text.rfind("\n\n", 0, line.start())
    if blank < 0 or blank + 2 < floor:
        return False
    start = blank + 2
    return not _has_label(text, start, line.start()) and not _DECISION.search(text, start, line.start())


def contests(text: str, section_start: int) -> list[Contest]:
    """Every guideline block that more than one decision line competes for, and which one wins.

    A line ending in ": Upheld" that no label follows competes with the next labelled decision
    line when no item label stands between them: either may be the item's request. The letter
    decides with, in turn, (1) the block's rationale naming one line's request ("the request
    for X", "X is not medically necessary") and none of the others', and (2) the paragraph shape
    (of the lines still in the running, one alone ends a paragraph where the layout starts a
    request). When neither decides, ``kept`` is ``None``: the caller must not choose.
    """
    return _contests(text, _floor(text, section_start), *_marks(text, section_start))


def _marks(text: str, section_start: int) -> tuple[list[re.Match[str]], list[re.Match[str]]]:
    """Every line ending in a decision word, and those an item's first label follows.

    The labels come in one order (Claims Administrator, MAXIMUS, rationale). A label that
    goes on with the previous item's labels (its rationale after its guidelines) is still that
    item's: a line ending in a decision word just before it sits inside that item.
    """
    marks = list(_DECISION.finditer(text, _floor(text, section_start)))
    order = list(_LABELS)
    anchored: list[re.Match[str]] = []
    for m in marks:
        after = _AFTER_DECISION.match(text, m.end())
        if not after:
            continue
        if anchored:
            seen = [order.index(n) for n, lbl in _LABELS.items() if lbl.search(text, anchored[-1].end(), m.start())]
            if seen and order.index(str(after.lastgroup)) > max(seen):
                continue
        anchored.append(m)
    return marks, anchored


# A line holding nothing but a decision word.
_BARE = re.compile(r"(?<=\n)[ ]*" + DECISION_LINE_WORD + r"\b[ ]*\.?[ ]*(?=\n)", re.I)


def _bare_lines(text: str, floor: int, marks: list[re.Match[str]]) -> list[re.Match[str]]:
    """Lines holding only a decision word that item labels follow, yet no decision line ends in.

    Such a word belonged to a decision line whose request was cut off from it (a line put in
    between): its item has no request line the layout can read.
    """
    spans = [(m.start(), m.end()) for m in marks]
    return [b for b in _BARE.finditer(text, floor)
            if _AFTER_DECISION.match(text, b.end()) and not any(s <= b.start() < e for s, e in spans)]


def _contests(text: str, floor: int, marks: list[re.Match[str]], anchored: list[re.Match[str]]) -> list[Contest]:
    found: list[Contest] = []
    prev_end = floor
    labelled = {m.start() for m in anchored}
    bare = _bare_lines(text, floor, marks)
    blocks = sorted([*anchored, *bare], key=lambda m: m.start())
    for k, anchor in enumerate(blocks):
        rivals = [m for m in marks if prev_end <= m.start() < anchor.start() and m.start() not in labelled
                  and not _has_label(text, m.end(), anchor.start())]
        if rivals and anchor in bare:
            # A decision word cut off from its request, and a line ending in a decision word
            # before it: which is the item's cannot be read, whatever the rationale says.
            found.append(Contest((*rivals, anchor), None))
        elif rivals:
            lines = (*rivals, anchor)
            # The block runs to the next labelled line's request paragraph (or the end).
            block_end = len(text)
            if k + 1 < len(blocks):
                block_end = _paragraph_start(text, blocks[k + 1].start(), anchor.end())
            found.append(_decide(text, lines, prev_end, anchor.end(), block_end))
        prev_end = anchor.end()
    return found


def _decide(text: str, lines: tuple[re.Match[str], ...], floor: int, block: int, block_end: int) -> Contest:
    names = _named(text, block, block_end)
    requests: list[set[str]] = []
    start = floor
    for line in lines:
        req = _request(text, _paragraph_start(text, line.start(), start), line.start())
        requests.append(_words(req[0]))
        start = line.end()
    # The rationale decides only when its naming clauses share words with one line's request
    # and none with any other's; the lines it names (or all, if none) go on to the shape test.
    named = [line for line, words in zip(lines, requests, strict=True) if words & names]
    if len(named) == 1:
        return Contest(lines, named[0], "the rationale names its request")
    pool = named or list(lines)
    floors = [floor, *(line.end() for line in lines[:-1])]
    shaped = [line for line, at in zip(lines, floors, strict=True)
              if line in pool and _request_paragraph(text, line, at)]
    if len(shaped) == 1:
        return Contest(lines, shaped[0], "it ends the paragraph where the layout puts a request")
    return Contest(lines, None)


def decision_lines(text: str, section_start: int) -> tuple[list[re.Match[str]], list[re.Match[str]]]:
    """The decision lines after ``section_start``: those where the layout puts one, and strays.

    Letter text is data: a sentence that happens to end in ": Overturned" is a decision line
    only when an item label ("Claims Administrator guideline:", "MAXIMUS guideline:",
    "Decision rationale:") follows it, or when it wins a :func:`contests` for the block that
    follows (an undecided contest keeps the labelled line; the caller refuses the letter).
    When no decision line is followed by a label (a copy that lost its labels), every one is
    kept, and the caller warns about each.
    """
    marks, anchored = _marks(text, section_start)
    if not anchored:
        return marks, []
    for contest in _contests(text, _floor(text, section_start), marks, anchored):
        if contest.kept is not None:
            anchored[anchored.index(contest.lines[-1])] = contest.kept
    kept = {m.start() for m in anchored}
    return anchored, [m for m in marks if m.start() not in kept]


def read_items(text: str, section_start: int) -> list[RawItem]:
    """Every disputed item after ``section_start``, in letter order (see :func:`decision_lines`)."""
    floor = _floor(text, section_start)
    marks, strays = decision_lines(text, section_start)
    starts = []
    prev_end = floor
    for m in marks:
        start = _paragraph_start(text, m.start(), prev_end)
        # A request never holds a decision line: a stray one just before it (a copy without
        # blank lines) ends the text before the request.
        start = max([start, *(s.end() for s in strays if start <= s.start() < m.start())])
        starts.append(start)
        prev_end = m.end()
    items: list[RawItem] = []
    for i, m in enumerate(marks):
        body_end = starts[i + 1] if i + 1 < len(marks) else len(text)
        req = _request(text, starts[i], m.start())
        decision = decision_of(m.group(1))
        item = RawItem(request=req, decision=(decision, Span.at(m.start(1), m.end(1))))
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
_NON_MTUS_CITATION = re.compile(r"Non-MTUS\s+Citation:?\s*(.+?)(?=Non-MTUS\s+Citation|Decision\s+based\s+on|$)",
                                re.I | re.S)


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


def read_strength(request: str) -> tuple[str, Span] | None:
    """The strength the request states plainly ("20mg", "7.5-325mg"), with its span in ``request``."""
    hits = list(STRENGTH.finditer(request))
    # A bare weight after a percentage ("5% 106.32gm") is the package size, not a strength.
    if any("%" in h.group(1) for h in hits):
        hits = [h for h in hits if not _PACKAGE_SIZE.match(h.group(1))] or hits
    if not hits:
        return None
    value = re.sub(r"\s+", "", hits[0].group(1))
    for prev, h in pairwise(hits):
        # Strengths side by side stay side by side; one per ingredient of a compound
        # ("Flurbiprofen 20%/Baclofen 5%") are joined with "/".
        between = request[prev.end(1): h.start(1)]
        value += (" " if not between.strip() else "/") + re.sub(r"\s+", "", h.group(1))
    return value, Span.at(hits[0].start(1), hits[-1].end(1))


def read_quantity(request: str) -> tuple[int, Span] | None:
    """The count the request states plainly ("#60", "QTY: 2", "12 sessions"), with its span in ``request``."""
    for pattern in [*_QTY_PATTERNS, _LEADING_COUNT]:
        found = list(pattern.finditer(request))
        if len({f.group(1).lower() for f in found}) > 1:
            return None  # two different counts in one request: no single quantity
        m = found[0] if found else None
        if m:
            word = m.group(1).lower()
            return (int(word) if word.isdigit() else _WORD_NUMBERS[word]), Span.at(m.start(1), m.end(1))
    return None
