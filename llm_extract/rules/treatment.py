"""A request's plain treatment name: the request without dose, quantity, schedule or lead-in.

The schema's "Treatment names" rules, as text operations on the request (the words before
": Upheld" / ": Overturned"): strength, quantity and schedule go; "with/without contrast",
"Retrospective", dates of service, sequence words and the "Associated surgical service:"
prefix go; a therapy or evaluation loses its body part, while imaging, nerve studies,
injections and surgery keep theirs. What is left keeps the request's own words and order,
so the name is always a substring-by-pieces of the request and its evidence span is the
request's. What follows a name and is not part of it (purpose, provider, setting, appended
details) is cut by :mod:`clauses`.

The rules are written from the schema and from general prescription and scheduling
notation (``#60``, ``2x6``, ``3 times a week for 4 weeks``), not from any one letter.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .clauses import drop_appended, drop_purpose, drop_trailing
from .vocab import BODY_PART
from .vocabularies import load_vocabulary

__all__ = ["treatment_name", "KEEPS_BODY_PART"]

#: Categories whose treatment names keep the body part and side (the schema's list).
KEEPS_BODY_PART = frozenset({"diagnostic", "injection", "surgery"})

_NUM_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|eighteen|twenty|twenty-four|thirty"
)
_NUM = rf"(?:\d+(?:\.\d+)?(?:\s*-\s*\d+)?|{_NUM_WORDS})"


_WORDS = load_vocabulary("treatment")  # vocab/treatment.toml


def _words(group: str) -> str:
    """The words of one group of vocab/treatment.toml, as one alternation without boundaries."""
    return _WORDS[group].regex()


_DATE_OF_SERVICE = _words("date_of_service")

# Lead-ins that say how or when the item was asked for, not what it is. Their words are in
# vocab/treatment.toml; the order in which they are tried, and what follows each, is here.
_LEADS = [
    rf"{_words('colon_label')}\s*:",
    rf"{_words('timing')}(?:\s+request(?:\s+for)?)?\s*:?",
    rf"{_words('authorization')}\s+(?:of|for)\b",
    rf"{_words('label')}\s*(?::|\s-)",
    rf"{_words('short_timing')}\s*:?",
    rf"\(\s*{_DATE_OF_SERVICE}\s*:?\s*\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\s*\)",
    rf"{_DATE_OF_SERVICE}\s*:?\s*\d{{1,2}}/\d{{1,2}}/\d{{2,4}}(?:\s*(?:-|to|through)\s*\d{{1,2}}/\d{{1,2}}/\d{{2,4}})?\s*:",
    rf"{_words('lab_label')}\s*(?::|-)",
    # counts: "3-month supply of", "2 pairs of", "3 views", "2 (two) bottles of"
    rf"{_NUM}\s*-?\s*(?:month|week|day)s?\s+(?:supply|rental|trial|use)\s+of",
    rf"{_NUM}\s+(?:pairs?|sets?|views?)\s+of\b",
    rf"{_NUM}\s+views?\s+(?=[a-z])",
    rf"{_NUM}\s+(?:\(\d+\)\s+)?{_words('container')}\s+of",
    r"(?:an?\s+)?(?:unknown|unspecified)\s+(?:number\s+of\s+|quantity\s+of\s+)?",
    rf"{_words('sequence')}\b",
    rf"{_NUM}\s+(?:\(\d+\)\s+)?{_words('session')}\s+of",
    rf"(?:{_NUM_WORDS}|\d+)\s+(?:\(\d+\)\s+)?(?!(?:days?|weeks?|months?|hours?|hrs?|years?)\b)(?=[a-z])",
    rf"{_words('ordinal')}\s+(?!opinion)(?=[a-z])",
    rf"{_words('session')}\s+of\b",
    rf"{_NUM}\s+(?:days?|weeks?|months?|hours?)\s+of\b",
    r"(?:a|an|the)\s+(?=[a-z])",
    r"(?:with|and|plus)\s+(?=[a-z])",
]
_LEAD = re.compile(r"^\s*(?:" + "|".join(_LEADS) + r")\s*", re.I)
_POST_OP_DRUG = re.compile(
    r"^\s*post-?\s*op(?:erative)?\s+(?=(?-i:[A-Z]))"
    rf"(?!{_words('post_op_service')}\b)",
    re.I,
)

# The first dose/strength/quantity token ends a medication's name.
_DOSE = re.compile(
    r"""\s*(?<![A-Za-z\d.])(?:
        \d+\s*(?:tabs?|tablets?|caps?|capsules?|bottles?|tubes?|packs?|patch(?:es)?|pumps?|sprays?)\b
      | \d{1,3}(?:,\d{3})+\s*(?:iu|units?|mg|mcg)?
      |        \(?\d+(?:\.\d+)?\s*(?:-|/)?\s*(?:\d+(?:\.\d+)?\s*)?
               (?:mg|mcg|g|gm|gms|grams?|ml|cc|oz|%|percent|units?|iu|meq)\b
               (?:\s*/\s*(?:\d+(?:\.\d+)?\s*)?(?:ml|g|gm|cc)\b)?
      | \(?\d+(?:\.\d+)?(?:\s*[-/]\s*\d+(?:\.\d+)?)+\s*(?:mg|mcg|%)?
      | \d+(?:\.\d+)?\s*%
      | [#]\s*\d+ | \bqty\b | \bquantity\b | \bx\s*\d+ | \d+\s*x\b
      | \b(?:tabs?|tablets?|caps?|capsules?|oral\s+(?:tablets?|suspension|solution)|po|by\s+mouth|orally|odt)\b
      | \b(?:take|apply|use|sig|dispensed|prescribed)\b
      | \(?\s*\b(?:dos|dates?\s+of\s+service)\b
      | \(\s*[^()]*\b(?:unknown|unspecified|not\s+specified)\b[^()]*\)
      | \b(?:between|as\s+(?:recommended|prescribed|needed)|per\s+(?:the\s+)?(?:report|RFA|order))\b
    )""",
    re.I | re.X,
)
# Schedule and quantity phrases anywhere in a service request.
_SCHEDULE = [
    # longest first: "x 4 units", "2 x 4 weeks" before the bare "x 4", "2 x 4"
    rf"\bx\s*{_NUM}\s*(?:sessions?|visits?|treatments?|units?|wks?|weeks?)\b",
    r"\b\d+\s*x\s*\d+\s*(?:wks?|weeks?|months?)\b",
    rf"\b{_NUM}\s*(?:hours?|hrs?)\s*/\s*day\s*x\s*{_NUM}\s*(?:days?)\s*/\s*(?:wk|week)\b",
    rf"\b{_NUM}\s*(?:hours?|hrs?)\s*(?:a|per|/|each)\s*(?:day|week|visit)\b",
    rf"\b(?:for\s+)?{_NUM}\s*(?:hours?|hrs?)(?:\s*(?:a|per|/|each)\s*(?:day|week|visit))?\b",
    r"\(\s*retro(?:spective)?\s*\)",
    r"(?<=nursing)\s+visits?\b",
    rf"\b{_NUM}\s*(?:days?|nights?)\s*(?:a|per|/)\s*week\b",
    r"\b\d+\s*(?:x|times)\s*\d+\b",
    r"\bunder\s+(?:fluoroscop\w*|ultrasound|ct)(?:\s+guidance)?\b",
    r"\b(?:with|using)\s+(?:fluoroscop\w*(?:\s+guidance)?|(?:ultrasound|ct)\s+guidance)\b",
    rf"\b(?:x|times|for)\s*{_NUM}\s*(?:hours?|hrs?)\b",
    rf"\b{_NUM}\s*(?:x|times?)\s*(?:(?:a|per|/)\s*)?(?:weekly|week|wk|daily|day|month|monthly|year|yearly|annually)?(?:\s+(?:for|x|times?)\s+{_NUM}\s*(?:weeks?|wks?|months?|days?|sessions?|visits?))?",
    rf"\bx\s*{_NUM}\s*(?:days?|nights?)\s*(?:a|per|/)\s*week\b",
    r"\(?\b(?:CPT\s*)?\d{5}\b\)?",
    rf"\b(?:a\s+)?trial\s+of\s+{_NUM}\s*(?:sessions?|visits?|treatments?)\b",
    rf"\bfor\s+{_NUM}\s+(?:additional|more|further)\s+(?:weeks?|months?|days?|sessions?|visits?)\b",
    rf"\b(?:over|in)\s+{_NUM}\s*(?:weeks?|months?|days?)\b",
    rf"\bevery\s+{_NUM}\s*(?:days?|weeks?|months?)\b",
    rf"\b(?:x|for)\s*{_NUM}\s*years?\b",
    rf"\b(?:x\s*)?{_NUM}\s*(?:round[- ]trips?|trips?)\b",
    rf",?\s*\b(?:a\s+)?series\s+of\s+{_NUM}\b",
    rf"\b(?:x\s*)?{_NUM}\s*levels?\b",
    rf"\b{_NUM}\s*(?:x|times?)\s*(?:(?:a|per|/)\s*)?(?:year|yearly|annually)\b",
    rf"\b{_NUM}\s*(?:\(\s*\d+\s*\)\s*)?(?:sessions?|visits?|treatments?|units?)\b(?:\s+(?:of|for|per)\s+(?:weekly|week))?",
    rf"\b{_NUM}\s*(?:hours?|hrs?)\b",
    r"\b(?:per|a|each)\s+(?:year|month)\b",
    r"\b(?:x\s*)?\d+\s*views?(?:\s+each)?\b",
    rf"\b(?:for|x|times)\s+{_NUM}\s*(?:weeks?|wks?|months?|days?|sessions?|visits?)\b",
    rf"\b(?:for\s+)?{_NUM}\s*(?:-\s*{_NUM}\s*)?-?\s*(?:days?|weeks?|months?)"
    r"(?:\s+(?:rental|purchase|supply|use|(?:home[- ]based\s+)?trial))*\b",
    r"(?<=acupuncture)\s+(?:therapy\s+)?(?:sessions?|visits?|treatments?)\b",
    r"(?<=chiropractic)\s+(?:sessions?|visits?)\b",
    r"(?<=therapy)\s+(?:sessions?|visits?|treatments?)\b",
    r"(?<=biofeedback)\s+(?:sessions?|visits?|treatments?)\b",
    r"(?<=psychotherapy)\s+(?:sessions?|visits?)\b",
    r"(?<=acupuncture)\s+visits\b",
    r"\b(?:times|x)\s*\d+\b",
    r"\b\d+\s*x\s*\d+\b",
    r"#\s*\d+",
    r"\b(?:one|two|three|four|five|six)\s+times\s+(?:a|per)\s+(?:week|day|month)\b",
    r"\b(?:once|twice)\s+(?:a|per)\s+(?:week|day|month)\b",
    r"\b(?:once|twice|\w+\s+times)\s+(?:weekly|daily|monthly)\b",
    r"(?<=\S)\s+(?:weekly|monthly|daily)\b",
    r"\(\s*\d+\s*\)",
    r"\(\s*(?:unknown|unspecified)\s+(?:quantity|number|duration|frequency)\s*\)",
    r"\(\s*(?:quantity|number|duration|frequency|qty)\s+(?:unknown|unspecified|not\s+specified)\s*\)",
    r"\b(?:unknown|unspecified)\s+(?:quantity|number|duration|frequency)\b",
    rf"\b(?:times|x)\s+(?:{_NUM_WORDS})\b(?:\s*\(\d+\))?",
    r",?\s*\b(?:qty|quantity)\s*:?\s*\d+(?:\.\d+)?",
    r"\(\s*[^()]*\b(?:unknown|unspecified|not\s+specified)\b[^()]*\)",
    r"\(?\b(?:dos|dates?\s+of\s+service)\s*:?\s*\d{1,2}/\d{1,2}/\d{2,4}(?:\s*(?:-|to|through)\s*\d{1,2}/\d{1,2}/\d{2,4})?\)?",
    r"\(\s*\d+\s*min(?:ute)?s?\s*\)",
    r"\b(?:for\s+)?(?:rental|purchase)\b",
    r"\bper\s+\d{1,2}/\d{1,2}/\d{2,4}\s+order\b",
    r"\b(?:dos|date\s+of\s+service)\s*:?\s*\d{1,2}/\d{1,2}/\d{2,4}",
    r"\b(?:(?:dispensed|prescribed|administered|given)\s+)?(?:on|from|dated)\s+\d{1,2}/\d{1,2}/\d{2,4}",
    r"\bbetween\s+\d{1,2}/\d{1,2}/\d{2,4}\s+and\s+\d{1,2}/\d{1,2}/\d{2,4}",
    r"\d{1,2}/\d{1,2}/\d{2,4}",
    r"\b\d+(?:\.\d+)?\s*(?:cc|ml|mg|mcg)\b(?:\s*/\s*(?:\d+(?:\.\d+)?\s*)?(?:ml|cc)\b)?",
    r"\b\d+(?:\.\d+)?\s*(?:%|percent\b)",
    # how long or how often, in words
    r"\b(?:prn|as\s+needed)\b(?:\s+flare-?ups?)?",
    r"\b(?:ongoing|indefinitely|long-term|short-term|temporary|temporarily|one-time|quarterly|semi-?annually)\b"
    r"(?:\s+(?:use|basis))?",
    r",\s*once\b|(?<=\S)\s+once\s*$",
    r",\s*random\b",
    r"\b(?:each|every)\s+visit\b",
    r"\bper\s+(?:the\s+)?(?:physician|doctor|provider|treating\s+physician)(?:'s)?\s+orders?\b",
    r"\buntil\s+further\s+notice\b",
    r"\b(?:through|thru|until|effective|starting|beginning)\s+\d{1,2}/\d{1,2}/\d{2,4}",
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\s+(?:to|through|-)\s+\d{1,2}/\d{1,2}/\d{2,4}",
    r",\s*retro(?:spective)?\b",
    rf"\b{_NUM}\s*(?:days?|nights?)\s*/\s*(?:wk|week)\b",
    rf"\b{_NUM}\s*(?:pairs?|boxes?|packs?|sets?)\b",
    r",?\s*\b\d+(?:\s*-\s*\d+)?\s*mm\s*hg\b",
    r",?\s*\b\d+(?:\.\d+)?\s*-?\s*tesla\b(?:\s+or\s+higher)?(?:\s+only)?",
    r"(?<![A-Z]\d)(?<!\d-\d),\s*\d{1,2}\s*$",  # a bare count after a comma: "Psychotherapy sessions, 6"
]
_SCHEDULE_RE = re.compile("|".join(f"(?:{p})" for p in _SCHEDULE), re.I)
_CONTRAST = re.compile(
    r"\bnon-?\s*contrast(?:ed)?\s+|"
    r"\b(?:w/\s*(?:and|or)\s*w/o|with\s+(?:and|or|/)\s+without|with\s*/\s*without|w/wo|with(?:out)?|w/o?|and(?:/or)?|or)"
    r"\s+(?:iv\s+)?(?:contrast|dye|gadolinium)\b(?:\s+(?:and\s+)?(?:with(?:out)?)\s+contrast)?", re.I)
# A parenthesis that spells out an abbreviation already there, or a bracketed aside.
_ASIDE = re.compile(r"\s*\[[^\]]*\]")

# Services whose body part goes (therapies, evaluations); imaging, nerve studies,
# injections and surgery keep theirs.
_THERAPY = re.compile(
    r"\b(?:physical|occupational|aquatic|aqua|pool|massage|manual|hand|speech|vestibular|"
    r"chiropractic|chiro\w*|acupuncture|therapeutic|infrared|work|cognitive|behavioral|"
    r"psycho\w*|biofeedback|home\s+exercise)\b[\w\s/-]*?\b(?:therap(?:y|ies)|treatments?|"
    r"exercises?|physiotherapy|care|manipulation|hardening|conditioning|program|evaluation|"
    r"re-?evaluation|acupuncture)\b|\bacupuncture\b|\bchiropractic\b|\bbiofeedback\b|"
    r"\bpsychotherapy\b|\bphysiotherapy\b|\bmassage\b|\bPT\b|\bOT\b|\bpt/ot\b",
    re.I,
)
_BODY_TAIL = re.compile(
    r"(?:\s*,?\s*\b(?:for|to|of|on|at|in)\b\s+(?:the\s+)?|\s*,\s*|\s+)"
    r"(?:(?:bilateral|left|right|both|upper|lower|low|mid)\s+|(?:and|&)\s+|,\s*)*"
    r"(?:cervical|thoracic|lumbar|lumbosacral|sacral|spine|neck|back|shoulders?|elbows?|wrists?|"
    r"hands?|fingers?|hips?|knees?|ankles?|feet|foot|legs?|arms?|head|trapezius|extremit(?:y|ies)|"
    r"le|ue|rue|lue|rle|lle|bue|ble|body|low\s+back|[clt]-spine|(?:r|l|rt|lt|b/l|bilat)\s+\w+)\b.*$",
    re.I,
)
# Evaluations and visits lose the body part they are for ("Orthopedic consultation for the
# left knee"); only after a preposition or comma, so "Consult with hip specialist" stays.
_EVALUATION = re.compile(
    r"\b(?:consult\w*|evaluations?|re-?evaluations?|visits?|follow[- ]?ups?|referrals?|exam\w*|assessments?)\b",
    re.I,
)
_SIDE_OR_PART = BODY_PART
_LEADING_PART = re.compile(
    rf"^(?:{_SIDE_OR_PART}(?:\s*(?:,|and|&|/)\s*|\s+))+"
    r"(?=(?:physical|occupational|chiropractic|acupuncture|massage|aquatic|orthopedic|consult|follow)\w*\b)",
    re.I,
)
_LEADING_SIDE = re.compile(r"^(?:(?:bilateral|left|right|both)\s*(?:and|&|/)?\s*)+(?=[a-z])", re.I)
_TRAILING_SIDE = re.compile(r"(?:,\s*|\s+(?:for\s+)?(?:the\s+)?)(?:bilateral|left|right|both)(?:\s+side)?$", re.I)
_PREP_BODY_TAIL = re.compile(
    rf"(?:\s*,\s*|\s*,?\s*\b(?:for|to|of|on|at|in)\b\s+(?:the\s+)?){_SIDE_OR_PART}\b"
    r"(?!\s+(?:surgeons?|specialists?|doctors?|physicians?|clinics?|centers?|teams?)\b).*$", re.I
)
_SPACES = re.compile(r"\s{2,}")
_TAIL_ASIDE = re.compile(r"\s+to\s+be\s+(?:done|performed|provided)\s+by\b.*$", re.I)
# What a consultation is for is not its name ("Consult with a spine surgeon to evaluate for fusion").
_PAREN = re.compile(r"\s*\(([^()]*)\)")


def _drop_spelled_out(text: str) -> str:
    """Drop a parenthesis that spells out the abbreviation before it, or abbreviates the words.

    ``MRI (magnetic resonance imaging) of`` → ``MRI of``; ``shockwave therapy (ESWT)`` →
    ``shockwave therapy``. Other parentheses (a brand beside a generic name) stay.
    """
    def repl(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        before = text[: m.start()]
        prev = re.search(r"([A-Za-z]+)\W*$", before)
        if prev and prev.group(1).isupper() and len(prev.group(1)) >= 2:
            if inner[:1].lower() == prev.group(1)[0].lower() and not re.search(r"\d", inner):
                return ""
        if inner.isupper() and inner.isalpha() and 2 <= len(inner) <= 6:
            words = re.findall(r"[A-Za-z]+", before)[-4:]
            if any(w[0].lower() == inner[0].lower() for w in words):
                return ""
        return m.group(0)

    return _PAREN.sub(repl, text)
_EDGE = re.compile(r"^[\s,;:.\-]+|[\s,;:\-(]+$")


@lru_cache(maxsize=8192)  # a corpus repeats its requests and guideline lines
def treatment_name(request: str, category: str | None = None) -> str:
    """The treatment's plain name, from the request's words (see the module docstring).

    ``category`` (the lexicon's, where it placed the request) decides whether the body part
    stays: it does for imaging, injections and surgery, not for therapies, evaluations and
    equipment (whose side words go: "Bilateral hearing aids" → "Hearing aids").
    """
    text = _ASIDE.sub("", request)
    text = _drop_spelled_out(text)
    text = _TAIL_ASIDE.sub("", text)
    for _ in range(4):  # lead-ins can stack: "Retrospective: Pre-op labs: CBC"
        stripped = _LEAD.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    if _looks_like_drug(text, category):
        name = _drug_name(_POST_OP_DRUG.sub("", text))
    else:
        name = _service_name(text, category)
    name = _tidy(name)
    return (name[:1].upper() + name[1:]) if name else _tidy(request)


def _looks_like_drug(text: str, category: str | None) -> bool:
    if _THERAPY.search(text):
        return False
    if category == "pharmaceutical":  # the lexicon placed it ("Norco 10/325 (unknown quantity)")
        return True
    return bool(re.search(r"\d\s*(?:mg|mcg|%|percent|gm?s?\b|ml\b)|#\s*\d|"
                          r"\b(?:cream|gel|ointment|patch(?:es)?|lotion|tabs?|tablets?|capsules?)\b", text, re.I)) \
        and not re.search(r"\binject\w*|\bblock\b|\bepidural\b", text, re.I)


_NUMBERED_PRODUCT = re.compile(r"^(tylenol(?:\s+with\s+codeine)?\s*(?:no\.?\s*|#\s*)[234])\b", re.I)


def _drug_name(text: str) -> str:
    # "Hydrocodone/APAP 10/325mg #90 and Tramadol 50mg #60": two drugs, each named
    parts = re.split(r"\s+and\s+(?=[A-Z][\w/-]+\s+\d)", text)
    if len(parts) > 1 and not _compound_name(text) and all(_DOSE.search(p) for p in parts):
        return " and ".join(_one_drug_name(p) for p in parts)
    return _one_drug_name(text)


def _one_drug_name(text: str) -> str:
    compound = _compound_name(text)
    if compound:
        return compound
    numbered = _NUMBERED_PRODUCT.match(text)
    if numbered:
        return numbered.group(1)
    m = _DOSE.search(text)
    name = text[: m.start()] if m and m.start() > 0 else text
    name = re.sub(r"\s*,.*$", "", name)  # "Baclofen 20mg, #60" style leftovers
    # A topical's form word after its strength still names it: "Cyclophene 5% cream".
    form = _BASE.search(text, len(name))
    if form and not _BASE.search(name):
        name = f"{name.rstrip()} {form.group(0).lower()}"
    # So does a release form written after the strength ("Prilosec 20mg DR capsules").
    release = _RELEASE.search(text, len(name))
    if release and not _RELEASE.search(name) and not form:
        name = f"{name.rstrip()} {release.group(1).upper()}"
    return name


_RELEASE = re.compile(r"\b(ER|XR|CR|SR|DR|XL|LA|ES|DS)\b")


_INGREDIENT = re.compile(
    r"((?:(?:methyl|trolamine)\s+)?[A-Za-z][A-Za-z-]+(?:\s+(?:HCl|hcl|sodium|sod))?)"
    r"\s*\d+(?:\.\d+)?\s*(?:%|mg/gm?\b)", re.I)
_BASE = re.compile(r"\b(?:topical\s+)?(cream|gel|ointment|lotion|patch(?:es)?|solution|spray|liniment|kit|"
                   r"convenience\s+pack|injection)\b", re.I)


def _compound_name(text: str) -> str | None:
    """``Flurbiprofen 20%, Baclofen 5% in cream base`` → ``Flurbiprofen/Baclofen cream``."""
    names = _INGREDIENT.findall(text)
    if len(names) < 2:
        return None
    # A trailing "/Dextromethorphan" with no percentage is an ingredient too.
    tail = re.findall(r"%\s*/\s*([A-Za-z][A-Za-z-]+)", text)
    names = [re.sub(r"^(?:compound(?:ed)?|one\s+container\s+of)\s+", "", n, flags=re.I) for n in names]
    for extra in tail:
        if not any(n.lower().startswith(extra.lower()) for n in names):
            names.append(extra)
    base = _BASE.search(text)
    return "/".join(names) + (f" {base.group(1).lower()}" if base else "")


def _service_name(text: str, category: str | None = None) -> str:
    text = _CONTRAST.sub("", text)
    text = drop_trailing(text, category in KEEPS_BODY_PART, equipment=category == "durable_medical_equipment")
    text = _SCHEDULE_RE.sub(" ", text)
    text = _SCHEDULE_RE.sub(" ", _SPACES.sub(" ", text))  # "x12 visits": the unit word is left by the first pass
    if category != "durable_medical_equipment":  # "Weekly pill organizer" is a device's name
        text = re.sub(r"^\s*(?:weekly|monthly|daily)\s+", "", text, flags=re.I)
    text = drop_appended(text)
    text = re.sub(r"\(\s*\)", "", text)
    text = _SPACES.sub(" ", text).strip(" ,;")
    text = re.sub(r"\band\s+of\b", "and", text)  # "injection 5cc of X and 1cc of Y"
    if category not in KEEPS_BODY_PART and _EVALUATION.search(text):
        text = drop_purpose(text)
    if category in KEEPS_BODY_PART or re.search(
            r"\b(?:MRI|CT|x-?rays?|EMG|NCV|NCS|inject\w*|surgery|arthroscop\w*|\w+ectomy|\w+plasty)\b", text, re.I):
        return text
    if _THERAPY.search(text):
        text = _BODY_TAIL.sub("", text)
        # "two physical therapy ... and eight physical therapy ..." names one service
        parts = re.split(r"\s+and\s+(?=(?:\w+\s+)?(?:physical|occupational)\s)", text, maxsplit=1)
        if len(parts) == 2:
            first, second = (_BODY_TAIL.sub("", p).strip(" ,") for p in parts)
            text = first if first.lower() == second.lower() else f"{first} and {second}"
        text = _LEADING_PART.sub("", text)
    elif _EVALUATION.search(text):
        text = _PREP_BODY_TAIL.sub("", text)
        text = _LEADING_PART.sub("", text)
    elif category == "durable_medical_equipment":
        text = _TRAILING_SIDE.sub("", _LEADING_SIDE.sub("", text))
        text = re.sub(rf",\s*{_SIDE_OR_PART}\b.*$", "", text, flags=re.I)  # "Thumb spica splint, right hand"
    return text


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,)])", r"\1", text)
    text = re.sub(r"\(\s+", "(", text)
    text = _SPACES.sub(" ", text)
    text = re.sub(r"\b(?:of|for|to|with|in|on|at|and)\s*$", "", text.strip(), flags=re.I)
    return _EDGE.sub("", text).strip()
