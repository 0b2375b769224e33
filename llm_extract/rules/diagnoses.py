"""Diagnoses read from the case summary's own statements of them, with their spans.

The clinical case summaries state diagnoses in a few set phrasings, each a named *form*:
"has been diagnosed with X" (``diagnosed_with``), "the diagnoses include(d) X" / "Diagnoses:
X" (``diagnoses_include``), "was given a diagnosis of X" (``diagnosis_of``), "is being treated
for X" (``treated_for``), "filed a claim for X" (``claim_for``), "has a history of X" / "medical
history is significant for X" (``history_of``), "the diagnostic impressions were X" /
"Assessment: X" (``impression``). The text after such a phrase, up to the end of its
sentence, is a list of diagnoses joined by commas, semicolons, "and" and list numbers. It is
split into one diagnosis each, except that a piece that is only a modifier ("cervical,
thoracic and lumbar strain", "neck and low back pain") stays with the noun it shares, and an
ICD-style site or qualifier after a condition ("carpal tunnel syndrome, left upper limb",
"sprain of shoulder and upper arm NOS", "..., unspecified") stays with that condition.
Nothing outside those statements is read: symptoms, findings and the rationale are not
diagnoses.

Each diagnosis carries the form that found it and a confidence (see ``_FORM_CONFIDENCE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..record import Span

__all__ = ["Diagnosis", "read_diagnoses"]


@dataclass(frozen=True)
class Diagnosis:
    """One diagnosis as written, where it stands in the letter text, and how sure the rules are.

    ``form`` names the statement form that found it (a key of ``_FORM_CONFIDENCE``);
    ``confidence`` in [0, 1] is the share of that form's diagnoses that were right on the
    evidence, lowered for a symptom-like or very long phrase.
    """

    text: str
    span: Span
    form: str = "diagnosed_with"
    confidence: float = 1.0


# Per form, the share of its diagnoses that matched a label on the dev letters
# (evals/fixtures/dev) and the written summaries (evals/summaries) together, smoothed
# towards 0.85 (the F1 on letters from outside the corpus) as if ten more had been seen:
# (right + 8.5) / (n + 10). Measured after the rule changes with
# evals/benchmarks/score_diagnoses.py, which prints this table; right / n in the comments.
# That evidence is what the rules were written from, hence the prior.
_FORM_CONFIDENCE = {
    "diagnoses_include": 0.99,  # 172 / 172
    "diagnosed_with": 0.98,  # 84 / 84
    "treated_for": 0.95,  # 110 / 115
    "history_of": 0.94,  # 15 / 15
    "claim_for": 0.94,  # 14 / 14
    "impression": 0.91,  # 7 / 7
    "diagnosis_of": 0.91,  # 6 / 6
}
# Multipliers, the same evidence's smoothed precision of such phrases over the rest's: a
# symptom-like phrase (62 / 64 right against 346 / 349) and one over _LONG_WORDS words
# (9 / 9, against 399 / 404; the prior alone lowers it, as a run-on past a list's end is the
# usual way a long one goes wrong).
_SYMPTOM_FACTOR = 0.96
_LONG_FACTOR = 0.94
_LONG_WORDS = 9

# Words that make a listed "diagnosis" read as a complaint or finding rather than a condition.
_SYMPTOM_WORDS = (
    "pain", "ache", "aches", "complaints", "complaint", "numbness", "tingling", "weakness",
    "stiffness", "swelling", "tenderness", "spasm", "spasms", "nausea", "dizziness",
    "palpitations", "headache", "headaches", "cramping", "fatigue", "discomfort",
)
_SYMPTOM = re.compile(rf"\b(?:{'|'.join(_SYMPTOM_WORDS)})\b", re.I)

_ADVERB = r"(?:currently|also|previously|subsequently|later|initially|recently|ultimately|since|then|further)\s+"
_FORMS = {
    "diagnosed_with": rf"""
        \b(?:was|were|been|is|are|being|had\s+been|has\s+been|have\s+been)\s+(?:{_ADVERB})?diagnosed\s+
          (?:by\s+(?:[\w'-]+\s+){{1,4}}?(?=with\b|as\b))?(?:with|as\s+having|as)
      | \b(?:has|have|had)\s+(?:{_ADVERB})?diagnosed
          (?:\s+(?:him|her|them|the\s+(?:patient|applicant|injured\s+worker))\s+with)?
    """,
    "diagnoses_include": r"""
        \bdiagnos(?:is|es)\s+(?:that|which)\s+include[sd]?
      | \bdiagnos(?:is|es)\s+(?:of\s+)?(?:have\s+|has\s+)?
          (?:included?|includes|are|is|was|were|consist\s+of|consisted\s+of)
        (?:\s+(?:documented|listed|noted)\s+(?:as|is)|\s+as\s+follows)?\s*:?
      | \bdiagnos(?:is|es)\s+(?:are|is|were|was)\s+(?:documented|noted|listed)\s+(?:as|is)
      | \bdiagnos(?:is|es)\s*:
    """,
    "diagnosis_of": r"""
        \b(?:given|gave\s+(?:the\s+)?(?:applicant|patient|injured\s+worker)|with|of|has\s+had|had|have\s+had|has)\s+
          (?:(?:a|the)\s+)?diagnos(?:is|es)\s+of(?:\s+for)?
      | \b(?:the\s+)?diagnos(?:is|es)\s+of\s+for
    """,
    "treated_for": r"""
        \b(?:being|been|was|is|were)\s+(?:currently\s+)?treated\s+for(?:\s+(?:the\s+)?diagnos(?:is|es)\s+of)?
      | \bundergoing\s+treatments?\s+for(?:\s+(?:the\s+)?diagnos(?:is|es)\s+of)?
    """,
    "claim_for": r"""
        \b(?:filed\s+a\s+claim|a\s+claim\s+(?:was\s+)?filed|claim\s+(?:was|has\s+been)\s+accepted
          |accepted\s+(?:the\s+)?claim)\s+for
    """,
    "history_of": r"""
        \b(?:past\s+)?medical\s+history\s+(?:is\s+)?(?:significant\s+for|include[sd]?|of|was\s+notable\s+for)
      | \b(?:has|had|have|with)\s+(?:a\s+)?(?:past\s+|prior\s+|known\s+|remote\s+)?(?:medical\s+)?history\s+of
    """,
    "impression": r"""
        \b(?:diagnostic|clinical|working)\s+impressions?\s+(?:was|were|is|are|include[sd]?)\s*:?
      | \b(?:physician|provider|doctor|surgeon|psychologist|psychiatrist|examiner)(?:'s|s')?\s+
          impressions?\s+(?:was|were|is|are|include[sd]?)\s*:?
      | \bassessment\s*:
    """,
}
_LEAD = re.compile(
    "(?:" + "|".join(rf"(?P<{name}>{body})" for name, body in _FORMS.items()) + r")\s*",
    re.I | re.X,
)
# Settings and people after which a "diagnosed with X" list has ended ("... at the emergency department").
_SETTINGS = r"(?:emergency\s+(?:department|room)|urgent\s+care|hospital|clinic|office)"
# Where the list stops: the sentence's end, or a clause that is no longer the list.
_STOP = re.compile(
    rf"""(?:
        # sentence end; "3.5 cm", "Dr." and a list's "1." stay inside
        (?<![.:;,]\s\d)(?<![.:;,(]\d)\.(?=\s+[A-Z(]|\s*$)
      | \.(?=[A-Z])
      | \s+(?:reportedly|allegedly|which\s+(?:was|were)|that\s+(?:was|were)|
             secondary\s+to\s+(?:an?\s+)?(?:industrial|work)|
             (?:associated|sustained|related)\s+(?:with|to)\s+(?:an?\s+|the\s+)?(?:industrial|work|occupational|cumulative)|
             attributed\s+to|as\s+a\s+result\s+of|after\s+(?:an?\s+|the\s+)?(?:industrial|work)|
             after\s+(?:years|months|weeks|repetitive|prolonged)|
             per\s+the|according\s+to|on\s+\d|dated\s+\d|in\s+(?:a|an|the)\s+(?:report|note|progress)|
             (?:at|in)\s+(?:the\s+|an?\s+)?{_SETTINGS}|
             and\s+(?:has|had|have|was|were|is|later|subsequently)|
             (?:she|he|the\s+(?:injured\s+)?worker|the\s+patient|the\s+applicant)\s+
               (?:has|had|was|is|reported|complain|requested|recommended|underwent|stated|noted)\w*)\b
      | ;\s*(?:treatment|medications?|the\s+(?:injured|patient|applicant))
      | ,\s*(?:with|during|while)\s+(?:a|an|the|his|her)\b
    )""",
    re.X,
)
# List numbers ("1)", "(2)", "3.") separate diagnoses like a comma does.
_NUMBER = r"(?<![\w/.-])\(?\d{1,2}[.)](?=\s)"
_SPLIT = re.compile(
    rf"\s*[.;,]?\s*(?:and\s+)?{_NUMBER}\s*|\s*;\s*(?:and\s+)?|\s*,\s*(?:and\s+|or\s+)?"
    r"|\s+and\s+(?![/-]?\s*or\b)|\s+as\s+well\s+as\s+",
    re.I,
)

# Words that name where, not what: a piece made only of these shares a neighbour's condition.
_SIDE_WORDS = ("bilateral", "left", "right", "upper", "lower", "low", "mid", "middle", "medial", "lateral",
               "anterior", "posterior", "chronic", "acute", "unspecified", "of", "the", "at", "and")
_SITE_WORDS = (
    "cervical", "thoracic", "lumbar", "lumbosacral", "sacral", "neck", "back", "spine", "shoulders?", "knees?",
    "hips?", "wrists?", "elbows?", "hands?", "ankles?", "foot", "feet", "arms?", "legs?", "head", "pelvis",
    "region", "side", "buttocks?", "thighs?", "calf", "calves", "forearms?", "fingers?", "thumbs?", "toes?",
    "digits?", "groin", "chest", "abdomen", "jaw", "face", "limbs?", "extremity", "extremities", "girdle",
    "level", "trunk",
)
_QUALIFIER_WORDS = ("unspecified", "nos", "sequela", "initial", "subsequent", "encounter")
_PLACE = rf"(?:{'|'.join(_SIDE_WORDS + _SITE_WORDS)})"
_SITE = re.compile(rf"\b(?:{'|'.join(_SITE_WORDS)})\b", re.I)
# A spinal level ("C5-6", "L4-L5") is a site too: "C5-6 and C6-7 DDD" shares its noun.
_LEVEL = r"[CTLS]\d(?:\s*-\s*[CTLS]?\d)?"
_MODIFIER = re.compile(rf"^(?:(?:{_PLACE}|{_LEVEL})\s*)+$", re.I)
# ICD-style qualifiers that belong to the diagnosis before them ("..., initial encounter", "..., unspecified").
_QUALIFIER = re.compile(rf"^(?:{_PLACE}\s*)*(?:(?:{'|'.join(_QUALIFIER_WORDS)})\s*)+$", re.I)
_QUALIFIER_ONLY = re.compile(rf"^(?:(?:{'|'.join(_QUALIFIER_WORDS)})\s*)+$", re.I)
_SIDED = re.compile(r"^(?:bilateral|left|right)\b", re.I)
_SIDE = re.compile(r"\b(?:bilateral|left|right)\b", re.I)
# A condition whose site list goes on past "and" ("sprain of shoulder and upper arm NOS").
_SITE_LIST = re.compile(rf"\b(?:of|at|in|to)\s+(?:{_PLACE}\s+)*{_PLACE}$", re.I)
_TAIL = re.compile(
    r"\s+(?:since|at\s+(?:the\s+)?age|x\s*\d|at\s+\d+\s+years?|\(approximately|(?:to\s+)?rule\s+out|r/o)\b.*$", re.I
)
# ICD wording that lists tissues with commas and "and" inside one diagnosis, and a named
# procedure joined by "and" ("anterior cervical discectomy and fusion").
_PROTECT = re.compile(r"muscles?,\s*fascia,?\s*(?:and\s+)?tendons?|\w+(?:ectomy|otomy|plasty)\s+and\s+fusion", re.I)
# Condition nouns that share a neighbour's site when one stands alone beside "and"
# ("sprain and strain of the wrist", "numbness and weakness of both arms").
_SHARED_NOUNS = ("sprains?", "strains?", "pain", "numbness", "weakness", "tingling", "stiffness", "tendinitis",
                 "tendonitis", "bursitis", "synovitis", "tenosynovitis", "contusions?", "injury", "injuries",
                 "lacerations?", "abrasions?", "spasms?")
_SHARED_NOUN = re.compile(rf"^(?:{'|'.join(_SHARED_NOUNS)})$", re.I)
_SPRAIN_STRAIN = re.compile(r"\b(?:sprains?|strains?)$", re.I)
_STARTS_SPRAIN_STRAIN = re.compile(r"^(?:sprains?|strains?)\b", re.I)
_HEDGE = re.compile(r"^(?:suspect(?:ed)?|rule\s+out|r/o|concern\s+for|possible\s+\w+\s+radiculopathy"
                    r"|status\s+post\s+being)\b", re.I)
_ARTICLE = re.compile(r"(?:the|a|an|of|with|having|as\s+having|as|following\s*:|\(?\d{1,2}[.)])\s+", re.I)
_NOT_A_DIAGNOSIS = re.compile(
    r"^(?:pain\s+(?:management|medications?)|medications?|treatment|therapy|surgery|physical\s+therapy|"
    r"work\s+restrictions|multiple\s+body\s+parts|injur(?:y|ies)\s+to\s+multiple\s+body\s+parts|"
    r"the\s+following|following|unspecified|others?)$",
    re.I,
)
# A claim, or injuries to body parts, is what a claim or history names when it names no condition.
_NOT_A_CONDITION = re.compile(r"\bclaims?\b|^injur(?:y|ies)\s+to\b|\b(?:industrial|occupational)\s+injur", re.I)
_MAX_LIST = 600


def read_diagnoses(text: str, start: int, end: int) -> list[Diagnosis]:
    """The diagnoses stated between ``start`` and ``end`` (the case summary), in order.

    Each is a :class:`Diagnosis` with its text, span, statement ``form`` and ``confidence``.
    """
    found: list[Diagnosis] = []
    seen: set[str] = set()
    for lead in _LEAD.finditer(text, start, end):
        form = lead.lastgroup or "diagnosed_with"
        list_start = lead.end()
        stop = _STOP.search(text, list_start, min(end, list_start + _MAX_LIST))
        list_end = stop.start() if stop else min(end, list_start + _MAX_LIST)
        for a, b, value in _split(text, list_start, list_end):
            key = value.lower()
            if key not in seen and not _NOT_A_CONDITION.search(value):
                seen.add(key)
                found.append(Diagnosis(value, Span.at(a, b), form, _confidence(form, value)))
    return found


def _confidence(form: str, value: str) -> float:
    """The form's share of right answers, lowered for a symptom-like or very long phrase."""
    conf = _FORM_CONFIDENCE.get(form, min(_FORM_CONFIDENCE.values()))
    if _SYMPTOM.search(value):
        conf *= _SYMPTOM_FACTOR
    if len(value.split()) > _LONG_WORDS:
        conf *= _LONG_FACTOR
    return round(conf, 2)


def _split(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    pieces: list[tuple[int, int, str]] = []  # (start, end, the separator before it)
    pos, before = start, ""
    protected = [(m.start(), m.end()) for m in _PROTECT.finditer(text, start, end)]
    for sep in _SPLIT.finditer(text, start, end):
        if any(a <= sep.start() < b for a, b in protected) or _joined_by_and(text, pos, sep, end):
            continue
        pieces.append((*_trim(text, pos, sep.start()), before))
        pos, before = sep.end(), sep.group(0).strip().lower()
    pieces.append((*_trim(text, pos, end), before))
    pieces = [p for p in pieces if p[0] < p[1]]
    spans: list[list[int]] = []
    pending: int | None = None  # start of a modifier-only run waiting for its noun
    for n, (a, b, joiner) in enumerate(pieces):
        piece = text[a:b]
        after = pieces[n + 1][2] if n + 1 < len(pieces) else ""
        if spans and pending is None and _continues(text, spans[-1], piece, joiner, after):
            spans[-1][1] = b
            continue
        if _MODIFIER.match(piece) or (spans and pending is None and _QUALIFIER.match(piece)):
            pending = a if pending is None else pending
            continue
        if pending is not None:
            a, pending = pending, None
        spans.append([a, b])
    if pending is not None and spans:
        spans[-1][1] = pieces[-1][1]  # "strain in right hip, ankle, and foot"
    out: list[tuple[int, int, str]] = []
    for a, b in spans:
        value = _TAIL.sub("", _clean(text[a:b]))
        if value and not _NOT_A_DIAGNOSIS.match(value) and not _HEDGE.match(value) and len(value) > 2:
            out.append((a, a + len(value) if text[a:a + len(value)] == value else b, value))
    return out


def _continues(text: str, last: list[int], piece: str, sep: str, after: str) -> bool:
    """Whether ``piece`` is an ICD-style site or qualifier of the diagnosis before it.

    ``sep`` is the separator before ``piece``, ``after`` the one after it.
    """
    prev = _clean(text[last[0]:last[1]])
    if _QUALIFIER_ONLY.match(piece) or (_QUALIFIER.match(piece) and re.search(r"encounter|sequela", piece, re.I)):
        return True  # "..., unspecified", "..., subsequent encounter", "pelvis initial encounter"
    if not _QUALIFIER.match(piece) and not _MODIFIER.match(piece):
        return False
    if sep == "and":
        return bool(_SITE_LIST.search(prev))  # "sprain of shoulder and upper arm NOS"
    # "carpal tunnel syndrome, left upper limb", "trigger finger, right middle finger": a sided
    # site after a condition named without a side; not "..., right wrist and right hand
    # sprain", where the site shares the next noun.
    return bool(_SIDED.match(piece) and _SITE.search(piece) and not _SIDE.search(prev)
                and "and" not in after.split())


_WORD = re.compile(r"[\w'-]+")


def _joined_by_and(text: str, pos: int, sep: re.Match[str], end: int) -> bool:
    """Whether this "and" joins two words of one diagnosis rather than two diagnoses.

    ``sprain and strain of the wrist``, ``numbness and weakness ...``: a lone condition noun
    that needs a site shares its neighbour's; ``lumbago and sciatica`` are two.
    """
    if not sep.group(0).strip().lower() == "and":
        return False
    before = _WORD.findall(text[pos : sep.start()])
    after_text = text[sep.end() : end]
    nxt = re.search(r"[;,]|\s+and\s+", after_text)
    after = _WORD.findall(after_text[: nxt.start()] if nxt else after_text)
    if before and after and _SPRAIN_STRAIN.search(before[-1]) and _STARTS_SPRAIN_STRAIN.match(after[0]):
        return True  # "bilateral shoulder strain and sprain with impingement"
    return (len(before) == 1 and bool(_SHARED_NOUN.match(before[0]))) or (
        len(after) == 1 and bool(_SHARED_NOUN.match(after[0])))


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
