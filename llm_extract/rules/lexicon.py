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
from functools import lru_cache
from dataclasses import dataclass

from ..record import Category, DrugClass
from .drugs import find_drug
from .clauses import without_trailing_clause
from .vocab import doses

__all__ = ["Classification", "classify"]


@dataclass(frozen=True)
class Classification:
    """What a request's words say, and the span of the word that said it."""

    category: Category
    drug_class: DrugClass | None
    start: int
    end: int
    #: The class is ``other`` only because the drug is known and is in none of the classes:
    #: a weaker answer than a listed drug's, which a guideline topic may refine.
    residual: bool = False


def _words(*terms: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(?:" + "|".join(terms) + r")(?!\w)(?!-\w{3})", re.I)


_DRUGS: dict[DrugClass, list[str]] = {
    DrugClass.OPIOID: [
        "tramadol", "ultram", "ultracet", "conzip", "hydrocodone", "norco", "vicodin", "lortab",
        "hysingla", "zohydro", "oxycodone", "oxycontin", "percocet", "endocet", "roxicodone", "xtampza",
        "morphine", r"ms\s*contin", "kadian", "avinza", "hydromorphone", "dilaudid", "exalgo",
        "fentanyl", "duragesic", "methadone", "buprenorphine", "suboxone", "subutex", "butrans",
        "belbuca", "tapentadol", "nucynta", "codeine", "oxymorphone", "opana", "meperidine",
        "demerol", "levorphanol", "trezix", "pentazocine", "vicoprofen", "reprexain", "xartemis",
        r"tylenol\s*(?:no\.?\s*|#\s*)[234]", "synapryn",
    ],
    DrugClass.MUSCLE_RELAXANT: [
        "baclofen", "cyclobenzaprine", "flexeril", "fexmid", "amrix", "carisoprodol", "soma",
        "tizanidine", "zanaflex", "methocarbamol", "robaxin", "metaxalone", "skelaxin",
        "orphenadrine", "norflex", "chlorzoxazone", "parafon", "lorzone", "dantrolene", "tabradol",
    ],
    DrugClass.NSAID: [
        "ibuprofen", "motrin", "naproxen", "naprosyn", "anaprox", "aleve", "diclofenac", "voltaren",
        "arthrotec", "meloxicam", "mobic", "celecoxib", "celebrex", "etodolac", "lodine",
        "nabumetone", "relafen", "ketorolac", "toradol", "indomethacin", "indocin", "piroxicam",
        "feldene", "flurbiprofen", "oxaprozin", "daypro", "ketoprofen", "fenoprofen", "nalfon", "sulindac",
        "duexis", "vimovo", "naprelan",
    ],
    DrugClass.ANTICONVULSANT: [
        "gabapentin", "neurontin", "gralise", "horizant", "pregabalin", "lyrica", "topiramate",
        "topamax", "carbamazepine", "tegretol", "oxcarbazepine", "trileptal", "lamotrigine",
        "lamictal", "levetiracetam", "keppra", "divalproex", "depakote", "valproic", "zonisamide",
        "phenytoin", "dilantin", "fanatrex",
    ],
    DrugClass.ANTIDEPRESSANT: [
        "duloxetine", "cymbalta", "amitriptyline", "elavil", "nortriptyline", "pamelor",
        "desipramine", "imipramine", "trazodone", "desyrel", "venlafaxine", "effexor",
        "desvenlafaxine", "pristiq", "sertraline", "zoloft", "fluoxetine", "prozac", "paroxetine",
        "paxil", "citalopram", "celexa", "escitalopram", "lexapro", "bupropion", "wellbutrin",
        "mirtazapine", "remeron", "milnacipran", "savella", "vilazodone", "viibryd",
    ],
    DrugClass.BENZODIAZEPINE: [
        "alprazolam", "xanax", "diazepam", "valium", "lorazepam", "ativan", "clonazepam",
        "klonopin", "temazepam", "restoril", "chlordiazepoxide", "librium", "triazolam", "halcion",
    ],
    DrugClass.SLEEP_AID: [
        "zolpidem", "ambien", "eszopiclone", "lunesta", "zaleplon", "sonata", "suvorexant",
        "belsomra", "ramelteon", "rozerem", "melatonin",
    ],
    DrugClass.GASTROINTESTINAL: [
        "omeprazole", "prilosec", "pantoprazole", "protonix", "esomeprazole", "nexium",
        "lansoprazole", "prevacid", "rabeprazole", "aciphex", "dexlansoprazole", "dexilant",
        "ranitidine", "zantac", "famotidine", "pepcid", "sucralfate", "carafate", "ondansetron",
        "zofran", "promethazine", "phenergan", "metoclopramide", "reglan", "docusate", "colace",
        "senna", "senokot", "sennosides", "bisacodyl", "dulcolax", "lactulose", "miralax",
        "polyethylene glycol", "linzess", "amitiza", "lubiprostone", "movantik", "naloxegol",
        "relistor", "methylnaltrexone", "dicyclomine", "prochlorperazine", "misoprostol", "deprizine",
    ],
    DrugClass.OTHER: [
        "acetaminophen", "tylenol", "prednisone", "medrol", "methylprednisolone", "hydroxyzine",
        "sumatriptan", "imitrex", "fioricet", "butalbital", "modafinil", "provigil", "armodafinil",
        "nuvigil", "sildenafil", "viagra", "tadalafil", "cialis", "testosterone", "androgel",
        "naloxone", "narcan", "clonidine", "propranolol", "lisinopril", "metformin", "aspirin",
        # medical foods dispensed in California workers' compensation practice
        "theramine", "sentradine", "trepadone", "gabadone", "appetrex", r"sentra(?:\s+(?:AM|PM))?",
        "percura", "hypertensa", "fusepaq", r"vitamins?(?:\s+[A-Z]\d*)?", "B12", "glucosamine", "chondroitin",
        # antibiotics and anticoagulants given around surgery
        "cephalexin", "keflex", "ciprofloxacin", "cipro", "doxycycline", "amoxicillin", "augmentin",
        "clindamycin", "rivaroxaban", "xarelto", "apixaban", "eliquis", "enoxaparin", "lovenox",
        "warfarin", "coumadin",
    ],
}
_DRUG_PATTERNS = [(cls, _words(*terms)) for cls, terms in _DRUGS.items()]
_TOPICAL_PRODUCTS = _words("lidoderm", "flector", "pennsaid", "terocin", "lidopro", "menthoderm",
                           "capsaicin", "lidocaine", "salonpas", "ben-?gay", "icy hot", "biofreeze",
                           "methyl salicylate", "menthol", "camphor", "ketoprofen cream", "fluriflex",
                           r"tg\s*hot", "kera-?tek", "mentherm")
_TOPICAL_FORM = _words("creams?", "gels?", "ointments?", "lotions?", "topical", "transdermal",
                       "patch(?:es)?", "compound(?:ed)?", "liniment", "spray", "solution")
_PERCENT = re.compile(r"\d\s*%")
_APPLIED = _words("creams?", "gels?", "ointments?", "lotions?", r"compound(?:ed)?", "liniment")
# A drug that is systemic even as a patch (the schema lists buprenorphine as an opioid).
_SYSTEMIC_PATCH = {DrugClass.OPIOID}

_RULES: list[tuple[Category, re.Pattern[str]]] = [
    (Category.PROGRAM, _words(r"functional\s+restoration", "multidisciplinary", "interdisciplinary", "FRP",
                              r"HELP\s+program", r"detox\w*", r"weight\s+loss", r"pain\s+program",
                              r"pain\s+management\s+program",
                              r"chronic\s+pain\s+program")),
    (Category.BEHAVIORAL_MENTAL_HEALTH, _words(r"(?:neuro)?psycholog\w*", r"psych\s+(?:testing|eval\w*|therapy|treatment)", r"psychiatr\w*", r"psychotherap\w*",
                                               "CBT", r"cognitive\s+behavio\w*", "biofeedback",
                                               r"counsel\w*", r"mental\s+health", "hypnotherapy")),
    (Category.INJECTION, _words(r"inject\w*", "epidural", r"(?:C|L|T|TF|IL|TFL)?ESIs?", "TPIs?", "interlaminar",
                                "transforaminal", r"facets?", r"RFA(?=\s+(?:of|at|to|on)\b)", r"(?:nerve\s+)?blocks?",
                                "radiofrequency", "ablation", "rhizotomy", "neurotomy", "botox",
                                "botulinum", "PRP", r"platelet[- ]rich", "synvisc", "hyaluronic",
                                r"viscosupplement\w*", "orthovisc", "euflexxa", "supartz")),
    (Category.EVALUATION_MANAGEMENT, _words(r"referral\w*", r"consult\w*", "clearance", r"office\s+visits?",
                                            r"follow[- ]?ups?", r"second\s+opinion", "TOC",
                                            r"transfer\s+of\s+care")),
    (Category.HOME_HEALTH, _words(r"(?:acute\s+|inpatient\s+)rehab\w*", r"rehabilitation\s+(?:unit|facility)",
                                  r"skilled\s+nursing", "SNF", r"transportation", r"taxi", r"uber")),
    (Category.SURGERY, _words(r"(?:pump|stimulator)\s+(?:placement|implant\w*)", r"implant\w*",
                              r"placement\s+of\s+(?:an?\s+|the\s+)?(?:\w+\s+){0,2}pump",
                              r"arthroscop\w*", "surgery", r"assistant\s+surgeon", "repair", "fusion", r"arthroplast\w*",
                              r"(?:joint|knee|hip|shoulder|disc)\s+replacement", "decompression",
                              r"\w+ectomy", r"\w*otomy", r"\w+plasty", "tenodesis", "reconstruction",
                              "debridement", r"manipulation\s+under\s+anesthesia",
                              r"open\s+reduction", r"internal\s+fixation", "ORIF", r"surgical\s+assistant",
                              r"(?:de\s+quervain'?s?|tendon|nerve|ligament|compartment)\s+release", r"transposition",
                              r"(?:hardware|implant)\s+removal", r"removal\s+of\s+(?:\w+\s+){0,3}hardware",
                              r"(?:inpatient|hospital)\s+(?:hospital\s+)?stay",
                              r"(?:tunnel|finger|trigger\s+thumb|trigger)\s+release", "neuroplasty", "ACDF", "TLIF", "PLIF")),
    (Category.DIAGNOSTIC, _words("MRI", "MRA", r"magnetic\s+resonance", "CT", r"CAT\s+scan", r"x-?rays?",
                                 r"radiographs?", "EMG", "NCV", "NCS", "SSEP", r"evoked\s+potentials?",
                                 r"electromyogra\w*",
                                 r"nerve\s+conduction", r"ultrasound(?!\s+therap)", r"sonogra\w*", r"bone\s+scan",
                                 "labs?", "laboratory", "CBC", r"(?:chem\w*|metabolic|lipid|hepatic)\s+panel",
                                 "urinalysis", "UA", r"urine\s+(?:drug\s+)?(?:screen|test)\w*", r"toxicology",
                                 r"drug\s+(?:screen|test)\w*", "EKG", "ECG", r"electrocardiogra\w*",
                                 r"sleep\s+stud(?:y|ies)", r"polysomnogra\w*", "DEXA", r"arthrogra\w*",
                                 r"myelogra\w*", r"discogra\w*", "EEG", r"electroencephalogra\w*",
                                 r"echocardiogra\w*", "doppler", "PT/PTT", "INR", r"blood\s+(?:test|work)",
                                 r"genetic\s+test\w*", r"(?:cytokine\s+)?DNA\s+test\w*", "imaging", "scans?",
                                 r"(?:hepatic|liver|renal|kidney|thyroid)\s+function", r"(?:vitamin\s+\w+|serum\s+\w+)\s+levels?",
                                 r"holter(?:\s+monitor)?", "UDS", "UDT")),
]
_LATE_RULES: list[tuple[Category, re.Pattern[str]]] = [
    (Category.DURABLE_MEDICAL_EQUIPMENT, _words("TENS", "EMS", r"(?:IF|heat|cold|therapy|traction|stimulation)\s+units?",
                                                r"braces?", r"hearing\s+aids?", "commodes?", "gloves",
                                                "wipes", "workstation", r"shower\s+chair", r"orthos[ie]s",
                                                r"orthotics?", r"\w*slings?", "wraps?", "pads?", "canes?",
                                                "walkers?", "wheelchairs?", "bed", "mattress", "pillows?",
                                                r"cold\s+therapy", "cryotherapy", "vascutherm",
                                                r"cold\s+compression", r"compression\s+(?:garment|stocking|device)s?",
                                                "garments?", "supplies", "collar", "splints?", "cushions?",
                                                "chair", "scooter", "interferential", r"H-wave",
                                                r"bone\s+growth\s+stimulator", r"home\s+exercise\s+kit",
                                                "insoles?", "rental", r"crutch(?:es)?", r"toilet\s+seat",
                                                r"reachers?(?:/grabbers?)?", r"paraffin\s+(?:bath|unit)\w*", r"(?:tub|transfer)\s+bench",
                                                r"inversion\s+table", "NMES", "CPM", r"continuous\s+passive\s+motion", r"kinesio\s*tap\w*",
                                                r"orthopedic\s+shoes?", r"(?:hot|cold|hot/cold|heat|ice)\s+packs?", r"(?:neuromuscular\s+)?electrical\s+stimulator",
                                                r"pill\s+(?:organizer|box|dispenser)s?", r"(?:daily\s+living|ADL)\s+aids?",
                                                r"(?:DVT|pneumatic|intermittent)\s+(?:\w+\s+)?(?:compression\s+)?devices?")),
    (Category.REHABILITATION, _words(r"physical\s+therap\w*", r"phys\w{0,3}cial\s+therap\w*", "PT", r"physiotherap\w*",
                                     r"occupational\s+therap\w*", "OT", r"chiro\w*", r"acc?upunc?t\w*", r"e-?stim", r"hand\s+therapy",
                                     r"electro-?acupuncture", "massage", "aquatic", r"aqua\s+therapy",
                                     r"pool\s+therapy", r"work\s+hardening", r"vestibular\s+(?:therapy|rehab\w*)", r"work\s+conditioning",
                                     r"manual\s+therapy", r"therapeutic\s+exercises?", "shockwave", "ESWT",
                                     "infrared", r"electrical\s+stimulation", "traction",
                                     r"myofascial\s+release", "manipulation", r"manipulative\s+therap\w*", r"back\s+school",
                                     r"neuromuscular\s+re-?education", r"therapeutic\s+activities",
                                     r"ultrasound\s+therap\w*", r"home\s+exercise\s+program")),
    (Category.HOME_HEALTH, _words(r"home\s+health", r"home\s+care", "nursing", "nurse", "RN", "aides?", "caregiver",
                                  "SNF", r"inpatient\s+rehab\w*", "transportation", r"housekeep\w*",
                                  r"homemaker\w*", r"chore\s+services?", r"(?:personal\s+care\s+)?attendants?(?:\s+care)?",
                                  r"in-?home\s+(?:\w+\s+)?(?:care|support|services?|assistance)",
                                  r"assisted\s+living")),
    (Category.EVALUATION_MANAGEMENT, _words(r"evaluations?", r"re-?evaluations?", "visits?", r"exam(?:ination)?s?",
                                            r"functional\s+capacity", "FCE", "appointment")),
    (Category.OTHER, _words(r"(?:gym|pool|health\s+club|fitness)\s+membership", r"interpret\w*(?:\s+services?)?")),
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


def _misspelled_drug(text: str) -> tuple[DrugClass, int, int] | None:
    """A long drug name written one letter off ("Cyclobenzaprin", "Gabapentine"), as clerks do.

    Only names of seven letters or more: shorter ones sit one letter from other words.
    """
    for m in re.finditer(r"[A-Za-z]{7,}", text):
        word = m.group(0).lower()
        for term, cls in _SINGLE_WORD_DRUGS.items():
            if word != term and word[0] == term[0] and _one_edit_apart(word, term):
                return cls, m.start(), m.end()
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
        return Classification(Category.PHARMACEUTICAL, DrugClass.OTHER, offset + found.start, offset + found.end,
                              residual=True)
    return Classification(Category.PHARMACEUTICAL, cls, offset + found.start, offset + found.end)


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
        return Classification(category, drug_class, offset + m.start(), offset + m.end())

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
        cls, start, end = near
        if cls not in _SYSTEMIC_PATCH and (topical or _PERCENT.search(text)):
            cls = DrugClass.TOPICAL
        return Classification(Category.PHARMACEUTICAL, cls, offset + start, offset + end)
    found = doses(text)
    if found:
        strength = found[0]
        # A dose in mg, mcg or ml names a medication even when the product is not listed;
        # its class is left to the model.
        return hit(Category.PHARMACEUTICAL, strength)
    return None
