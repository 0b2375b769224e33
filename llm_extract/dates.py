"""Dates as the letters write them: ``11/03/2016``, ``1-25-77``, ``April 2, 2006``."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["DATE_PATTERN", "parse_date"]

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


def _year(text: str, pivot: int) -> int:
    year = int(text)
    if len(text) == 2:
        # Two-digit years in injury dates reach back decades ("1-25-77"): read a year
        # that would lie in the future as the previous century.
        year += 2000 if 2000 + year <= pivot else 1900
    return year


def parse_date(text: str, *, pivot_year: int | None = None) -> dt.date | None:
    """Parse one date as the letters write it; ``None`` when it is not a valid date.

    Numeric dates are month first (US style). ``pivot_year`` is the latest year a
    two-digit year may mean (default: this year).
    """
    pivot = pivot_year if pivot_year is not None else dt.date.today().year
    s = " ".join(text.split())
    m = _NUMERIC.match(s)
    try:
        if m:
            return dt.date(_year(m.group(3), pivot), int(m.group(1)), int(m.group(2)))
        m = _NAMED.match(s)
        if m:
            return dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2)))
    except ValueError:
        return None
    return None
