"""The words and patterns more than one stage reads letters with: one definition of each.

The rules pass reads the letter with these; the model pass checks and locates the model's
answers with the same ones, so the two can never disagree about what a word means.
"""

from __future__ import annotations

import re

from .vocabularies import load_vocabulary

__all__ = [
    "DECISION_WORD",
    "DECISION_LINE_WORD",
    "decision_of",
    "label",
    "SEX_WORDS",
    "SEX_WORD",
    "SEX_WORD_RE",
    "DOSE_UNITS",
    "STRENGTH_PATTERN",
    "STRENGTH",
    "doses",
    "BODY_PART",
]

#: The two decisions a letter gives an item, as a capturing group.
DECISION_WORD = r"(Upheld|Overturned)"
#: The decision words as a decision line may carry them, in group 1: a stray control character
#: may have stood for a space inside the compound ("Up held"); :func:`decision_of` reads it.
DECISION_LINE_WORD = r"(Up[ ]?held|Over[ ]?turned)"


def decision_of(word: str) -> str:
    """The decision a :data:`DECISION_LINE_WORD` match names ("Up held" -> "Upheld")."""
    return word.replace(" ", "").capitalize()


def label(words: str) -> str:
    """A pattern for a layout label ("Case Number") that reads with or without its spaces.

    A control character between a label's words may stand for the space or for nothing; it
    is dropped when the text is normalised, so "Case\\0Number" reads "CaseNumber", and a line
    break may stand for the space in PDF text. Any whitespace, or none, may separate the words.
    """
    return r"\s*".join(re.escape(w) for w in words.split())


#: The nouns a letter states a patient's sex with, and the sex each names. Never a pronoun:
#: letters that do not state the sex still say "he or she" / "his or her" in boilerplate.
SEX_WORDS: dict[str, str] = {
    "male": "male", "man": "male", "gentleman": "male",
    "female": "female", "woman": "female", "lady": "female",
}
#: Any one sex word, as a capturing group (follow it with ``\b``).
SEX_WORD = "(" + "|".join(SEX_WORDS) + ")"
#: Per sex, a pattern that finds a word stating it.
SEX_WORD_RE: dict[str, re.Pattern[str]] = {
    sex: re.compile(r"\b(?:" + "|".join(w for w, s in SEX_WORDS.items() if s == sex) + r")\b", re.I)
    for sex in ("male", "female")
}

_UNIT = r"(?:mg|mcg|g|gm|gram|grams|ml|mL|%|percent|units?|iu|meq)"
#: The units that make a number a dose of a medication (not a package size or a percentage).
DOSE_UNITS = re.compile(r"(?:mg|mcg|ml)\b", re.I)
#: A strength as a request writes it ("20mg", "7.5-325mg", "5%", "0.1 mg/ml"), in group 1.
STRENGTH_PATTERN = (
    rf"(?<![\w.])(\d+(?:\.\d+)?(?:\s*{_UNIT})?(?:\s*[/-]\s*\d+(?:\.\d+)?(?:\s*{_UNIT})?)*\s*{_UNIT}"
    r"(?:/(?:ml|g|hr|h|act|dose))?)(?![\w])"
)
STRENGTH = re.compile(STRENGTH_PATTERN, re.I)


def doses(text: str) -> list[re.Match[str]]:
    """The strengths in ``text`` given in a dose unit (mg, mcg, ml)."""
    return [m for m in STRENGTH.finditer(text) if DOSE_UNITS.search(m.group(1))]


#: A side or body part as requests write them ("bilateral", "lumbar", "knees", "L-spine"): what
#: a therapy, evaluation or piece of equipment loses from its name, and what an imaging,
#: injection or surgery request keeps.
BODY_PART = load_vocabulary("body_parts")["body_part"].regex()  # vocab/body_parts.toml
