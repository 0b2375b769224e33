"""Turn the text of any letter copy (PDF text, plain text, HTML, markdown) into one form.

The normalised text is what every evidence span points into, so it is built once per letter
and never edited afterwards. It has:

* ``\\n`` line ends, no tabs, single spaces inside a line, no trailing spaces;
* at most one blank line in a row (a blank line separates paragraphs);
* no HTML tags or entities, no ``<script>``/``<style>`` content or comments, and no markdown
  emphasis or heading marks;
* no NUL or other control characters (a copy with NULs keeps its case number and items); one
  is dropped, not made a space, so "Up\\0held" reads "Upheld", and the readers' labels read
  with or without the space a dropped one may have stood for ("CaseNumber", see ``rules.vocab.label``);
* straight quotes and hyphens, and the ``™`` that some copies use as a closing quote repaired.
"""

from __future__ import annotations

import html
import re
import unicodedata
from itertools import pairwise

__all__ = ["GLYPHS", "normalize_text"]

_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
# Content that is never letter text: scripts, styles and comments (an unclosed one runs to the end).
_HIDDEN = re.compile(
    r"<!--.*?(?:-->|\Z)|<\s*(script|style)\b[^>]*>.*?(?:<\s*/\s*\1\s*>|\Z)", re.I | re.S
)
# C0 controls other than line ends and tabs, DEL, and C1 controls: dropped.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BLOCK_TAGS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}
_MD_HEADING = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+")
_MD_EMPHASIS = re.compile(r"\*\*|__")
#: Typographic characters and their plain forms (``None``: dropped); the one glyph table,
#: also used by the evaluation's string comparison.
GLYPHS: dict[str, str | None] = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\t": " ", "\f": "\n", "\v": "\n",
    "\u00ad": None, "\u200b": None, "\ufeff": None,
}
_GLYPH_TABLE = str.maketrans(GLYPHS)
# A "™" straight after a word that closes an open double quote on the same stretch of text
# is a mis-encoded closing quote (seen in copies made from the state's PDFs).
_TM_QUOTE = re.compile(r'"([^"\n]{0,200}?\S)\u2122')


def _strip_markup(text: str) -> str:
    def tag(m: re.Match[str]) -> str:
        return "\n" if m.group(2).lower() in _BLOCK_TAGS else ""

    if _TAG.search(text) or "<!--" in text:
        text = _HIDDEN.sub("\n", text)
        text = _TAG.sub(tag, text)
        text = html.unescape(text)
    text = _MD_HEADING.sub("", text)
    return _MD_EMPHASIS.sub("", text)


def _undouble(text: str) -> str:
    """Undo double spacing: copies where every line is followed by an empty line.

    In such copies a real paragraph break is a line holding only spaces, so removing one
    newline of every empty pair keeps the paragraphs while joining the lines.
    """
    lines = text.split("\n")
    nonempty = sum(1 for ln in lines if ln.strip())
    empty_after_text = sum(
        1 for a, b in pairwise(lines) if a.strip() and b == ""
    )
    if nonempty >= 10 and empty_after_text >= 0.8 * nonempty:
        return text.replace("\n\n", "\n")
    return text


def normalize_text(text: str) -> str:
    """Return the normalised form of a letter's text (see the module docstring)."""
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _strip_markup(text)
    text = text.translate(_GLYPH_TABLE)
    text = _TM_QUOTE.sub(r'"\1"', text)
    text = _undouble(text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")
