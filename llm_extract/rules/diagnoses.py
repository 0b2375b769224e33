"""Diagnoses read from the case summary's own statements of them, with their spans.

The clinical case summaries state diagnoses in a few set phrasings: "has been diagnosed
with X", "the diagnoses include(d) X", "the current diagnosis is documented as X", "is being
treated for X", "has filed a claim for X reportedly associated with...". The text after such
a phrase, up to the end of its sentence, is a list of diagnoses joined by commas,
semicolons and "and". It is split into one diagnosis each, except that a piece that is only
a modifier ("cervical, thoracic and lumbar strain", "neck and low back pain") stays with the
noun it shares. Nothing outside those statements is read: symptoms, findings and the
rationale are not diagnoses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Diagnosis", "read_diagnoses"]


@dataclass(frozen=True)
class Diagnosis:
    """One diagnosis as written, and where it stands in the letter text."""

    text: str
    start: int
    end: int


_LEAD = re.compile(
    r"""(?:
        \b(?:was|were|been|is|are|being|had\s+been|has\s+been|have\s+been)\s+(?:currently\s+|also\s+|previously\s+|subsequently\s+)?diagnosed\s+(?:with|as\s+having|as)
      | \bdiagnos(?:is|es)\s+(?:that|which)\s+include[sd]?
      | \b(?:given|gave\s+(?:the\s+)?(?:applicant|patient|injured\s+worker)|with|of)\s+(?:(?:a|the)\s+)?diagnos(?:is|es)\s+of(?:\s+for)?
      | \b(?:the\s+)?diagnos(?:is|es)\s+of\s+for
      | \bdiagnos(?:is|es)\s+(?:of\s+)?(?:have\s+|has\s+)?(?:included?|includes|are|is|was|were|consist\s+of|consisted\s+of)
        (?:\s+(?:documented|listed|noted)\s+(?:as|is)|\s+as\s+follows)?\s*:?
      | \bdiagnos(?:is|es)\s+(?:are|is|were|was)\s+(?:documented|noted|listed)\s+(?:as|is)
      | \b(?:being|been|was|is|were)\s+(?:currently\s+)?treated\s+for(?:\s+(?:the\s+)?diagnos(?:is|es)\s+of)?
      | \bundergoing\s+treatments?\s+for(?:\s+(?:the\s+)?diagnos(?:is|es)\s+of)?
      | \b(?:filed\s+a\s+claim|a\s+claim\s+(?:was\s+)?filed)\s+for
      | \b(?:past\s+)?medical\s+history\s+(?:is\s+)?(?:significant\s+for|include[sd]?|of|was\s+notable\s+for)
    )\s*""",
    re.I | re.X,
)
# Where the list stops: the sentence's end, or a clause that is no longer the list.
_STOP = re.compile(
    r"""(?:
        \.(?=\s+[A-Z(]|\s*$)          # sentence end ("3.5 cm" and "Dr." stay inside)
      | \.(?=[A-Z])
      | \s+(?:reportedly|allegedly|which\s+(?:was|were)|that\s+(?:was|were)|secondary\s+to\s+(?:an?\s+)?(?:industrial|work)|
             (?:associated|sustained|related)\s+(?:with|to)\s+(?:an?\s+|the\s+)?(?:industrial|work|occupational|cumulative)|
             attributed\s+to|as\s+a\s+result\s+of|after\s+(?:an?\s+)?(?:industrial|work)|
             per\s+the|according\s+to|on\s+\d|dated\s+\d|in\s+(?:a|an|the)\s+(?:report|note|progress)|
             (?:she|he|the\s+(?:injured\s+)?worker|the\s+patient|the\s+applicant)\s+(?:has|had|was|is|reported|complain)\w*)\b
      | ;\s*(?:treatment|medications?|the\s+(?:injured|patient|applicant))
    )""",
    re.X,
)
_SPLIT = re.compile(r"\s*;\s*(?:and\s+)?|\s*,\s*(?:and\s+|or\s+)?|\s+and\s+(?![/-]?\s*or\b)|\s+as\s+well\s+as\s+", re.I)
# A piece that names no condition by itself: it shares the next piece's noun.
_PLACE = (
    r"(?:bilateral|left|right|upper|lower|low|mid|middle|medial|lateral|anterior|posterior|chronic|acute|"
    r"cervical|thoracic|lumbar|lumbosacral|sacral|neck|back|shoulders?|knees?|hips?|wrists?|elbows?|"
    r"hands?|ankles?|foot|feet|arms?|legs?|head|pelvis|region|side|unspecified|of|the)"
)
_MODIFIER = re.compile(rf"^(?:{_PLACE}\s*)+$", re.I)
# ICD-style qualifiers that belong to the diagnosis before them ("..., initial encounter").
_QUALIFIER = re.compile(
    rf"^(?:{_PLACE}\s*)*(?:(?:initial|subsequent)\s+encounter|sequela|unspecified|region)?$", re.I
)
_ENCOUNTER = re.compile(r"\b(?:initial|subsequent)\s+encounter|\bsequela\b", re.I)
_TAIL = re.compile(
    r"\s+(?:since|at\s+(?:the\s+)?age|x\s*\d|at\s+\d+\s+years?|\(approximately|(?:to\s+)?rule\s+out|r/o)\b.*$", re.I
)
# ICD wording that lists tissues with commas and "and" inside one diagnosis.
_PROTECT = re.compile(r"muscles?,\s*fascia,?\s*(?:and\s+)?tendons?", re.I)
_HEDGE = re.compile(r"^(?:suspect(?:ed)?|rule\s+out|r/o|concern\s+for|possible\s+\w+\s+radiculopathy|status\s+post\s+being)\b", re.I)
_ARTICLE = re.compile(r"(?:the|a|an|of|with|having|as\s+having|as)\s+", re.I)
_NOT_A_DIAGNOSIS = re.compile(
    r"^(?:pain\s+(?:management|medications?)|medications?|treatment|therapy|surgery|physical\s+therapy|"
    r"work\s+restrictions|multiple\s+body\s+parts|injur(?:y|ies)\s+to\s+multiple\s+body\s+parts|"
    r"the\s+following|following|unspecified|others?)$",
    re.I,
)
_MAX_LIST = 600


def read_diagnoses(text: str, start: int, end: int) -> list[Diagnosis]:
    """The diagnoses stated between ``start`` and ``end`` (the case summary), in order."""
    found: list[Diagnosis] = []
    seen: set[str] = set()
    for lead in _LEAD.finditer(text, start, end):
        list_start = lead.end()
        stop = _STOP.search(text, list_start, min(end, list_start + _MAX_LIST))
        list_end = stop.start() if stop else min(end, list_start + _MAX_LIST)
        for d in _split(text, list_start, list_end):
            key = d.text.lower()
            if key not in seen:
                seen.add(key)
                found.append(d)
    return found


def _split(text: str, start: int, end: int) -> list[Diagnosis]:
    pieces: list[tuple[int, int]] = []
    pos = start
    protected = [(m.start(), m.end()) for m in _PROTECT.finditer(text, start, end)]
    for sep in _SPLIT.finditer(text, start, end):
        if any(a <= sep.start() < b for a, b in protected) or _one_word_and(text, pos, sep, end):
            continue
        pieces.append(_trim(text, pos, sep.start()))
        pos = sep.end()
    pieces.append(_trim(text, pos, end))
    pieces = [(a, b) for a, b in pieces if a < b]
    spans: list[list[int]] = []
    pending: int | None = None  # start of a modifier-only run waiting for its noun
    for a, b in pieces:
        piece = text[a:b]
        if spans and (_ENCOUNTER.search(piece) and _QUALIFIER.match(_ENCOUNTER.sub("", piece).strip())):
            spans[-1][1] = b  # "..., initial encounter" / "pelvis initial encounter"
            continue
        if _MODIFIER.match(piece) or (spans and pending is None and _QUALIFIER.match(piece)):
            pending = a if pending is None else pending
            continue
        if pending is not None:
            a, pending = pending, None
        spans.append([a, b])
    if pending is not None and spans:
        spans[-1][1] = pieces[-1][1]  # "strain in right hip, ankle, and foot"
    out: list[Diagnosis] = []
    for a, b in spans:
        value = _TAIL.sub("", _clean(text[a:b]))
        if value and not _NOT_A_DIAGNOSIS.match(value) and not _HEDGE.match(value) and len(value) > 2:
            out.append(Diagnosis(value, a, a + len(value) if text[a:a + len(value)] == value else b))
    return out


_WORD = re.compile(r"[\w'-]+")


def _one_word_and(text: str, pos: int, sep: re.Match[str], end: int) -> bool:
    """``sprain and strain``, ``numbness and weakness ...``: one word beside "and" is one diagnosis."""
    if not sep.group(0).strip().lower() == "and":
        return False
    before = _WORD.findall(text[pos : sep.start()])
    after_text = text[sep.end() : end]
    nxt = re.search(r"[;,]|\s+and\s+", after_text)
    after = _WORD.findall(after_text[: nxt.start()] if nxt else after_text)
    return len(before) == 1 or len(after) == 1


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a] in " \n,;:(\"'":
        a += 1
    m = _ARTICLE.match(text, a, b)
    while m:
        a = m.end()
        m = _ARTICLE.match(text, a, b)
    while b > a and text[b - 1] in " \n,;:.)\"'":
        b -= 1
    if text.count("(", a, b) > text.count(")", a, b):
        b = text.find("(", a, b)  # an unclosed aside at the end ("(ICD-10 ...")
        while b > a and text[b - 1] == " ":
            b -= 1
    return a, b


def _clean(value: str) -> str:
    value = re.sub(r"(\w)-\n(\w)", r"\1\2", value)  # a word hyphenated across a line break
    return re.sub(r"\s+", " ", value).strip()
