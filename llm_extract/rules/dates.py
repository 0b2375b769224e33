"""Dates as the letters write them: ``11/03/2016``, ``1-25-77``, ``April 2, 2006``.

The one date parser: the rules pass reads dates with :func:`parse_date`, and the model
pass checks and locates a model's dates with :func:`dates_in_text`; both read a two-digit
year the same way (:func:`expand_year`).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

__all__ = ["DATE_PATTERN", "dates_in_text", "expand_year", "parse_date"]

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))

#: Matches one date in any of the forms the letters use (numeric or month-name).
DATE_PATTERN = (
    r"(?:\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})(?!\d)"
    rf"|(?i:{_MONTH_NAMES})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_NUMERIC = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})$")
_NAMED = re.compile(rf"({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})$", re.I)


_NUMERIC_IN_TEXT = re.compile(r"\b(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})\b")
_NAMED_IN_TEXT = re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_ISO_IN_TEXT = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def expand_year(text: str, pivot_year: int | None = None) -> int:
    """A year as written; a two-digit year is the most recent year not after ``pivot_year``.

    ``pivot_year`` is the letter's decision year where known (default: this year). Injury
    dates reach back decades ("1-25-77" is 1977), and no date in a letter lies after its
    decision, so in a 2016 letter "1-25-29" is 1929 and "1-25-16" is 2016.
    """
    year = int(text)
    if len(text) == 2:
        pivot = pivot_year if pivot_year is not None else dt.date.today().year
        year += 2000 if 2000 + year <= pivot else 1900
    return year


def parse_date(text: str, *, pivot_year: int | None = None) -> dt.date | None:
    """Parse one date as the letters write it; ``None`` when it is not a valid date.

    Numeric dates are month first (US style). ``pivot_year`` is the latest year a
    two-digit year may mean (default: this year).
    """
    s = " ".join(text.split())
    m = _NUMERIC.match(s)
    try:
        if m:
            return dt.date(expand_year(m.group(3), pivot_year), int(m.group(1)), int(m.group(2)))
        m = _NAMED.match(s)
        if m:
            return dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    except ValueError:
        return None
    return None


def dates_in_text(text: str, pivot_year: int | None = None) -> dict[dt.date, tuple[int, int]]:
    """Every date written in ``text`` (named-month, m/d/y, m-d-yy or ISO), with its first span.

    Two-digit years are read as :func:`parse_date` reads them (see :func:`expand_year`).
    """
    return _dates_in_text(text, pivot_year)


@lru_cache(maxsize=64)
def _dates_in_text(text: str, pivot_year: int | None) -> dict[dt.date, tuple[int, int]]:
    found: dict[dt.date, tuple[int, int]] = {}

    def add(y: int, m: int, d: int, span: tuple[int, int]) -> None:
        try:
            found.setdefault(dt.date(y, m, d), span)
        except ValueError:
            pass

    for m in _NAMED_IN_TEXT.finditer(text):
        add(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)), m.span())
    for m in _NUMERIC_IN_TEXT.finditer(text):
        add(expand_year(m.group(3), pivot_year), int(m.group(1)), int(m.group(2)), m.span())
    for m in _ISO_IN_TEXT.finditer(text):
        add(int(m.group(1)), int(m.group(2)), int(m.group(3)), m.span())
    return found
