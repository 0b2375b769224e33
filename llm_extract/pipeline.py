"""The entry point: one letter in, one validated :class:`IMRRecord` out."""

from __future__ import annotations

import os
import time

from .errors import InputError
from .reading import Letter, letter_from_text, read_letter
from .record import IMRRecord
from .rules import extract_rules

__all__ = ["extract", "load"]


def load(letter: str | os.PathLike[str] | Letter) -> Letter:
    """Turn what a caller passes into a :class:`Letter`.

    A :class:`Letter` is used as is; a path-like is read from disk; a string is read as a
    path unless it holds a line break, in which case it is the letter's text itself.
    """
    if isinstance(letter, Letter):
        return letter
    if isinstance(letter, str) and ("\n" in letter or not letter.strip()):
        if not letter.strip():
            raise InputError("the letter has no text", source="<text>")
        return letter_from_text(letter)
    return read_letter(letter)


def extract(
    letter: str | os.PathLike[str] | Letter,
    *,
    rules_only: bool = False,
) -> IMRRecord:
    """Extract one IMR record from a letter (a path, a :class:`Letter`, or the text itself).

    With ``rules_only=True`` only the deterministic layout pass runs and no model is called.
    Raises :class:`~llm_extract.errors.InputError` for a letter that cannot be read or is
    not an IMR determination letter.
    """
    started = time.perf_counter()
    doc = load(letter)
    record = extract_rules(doc)
    if not rules_only:
        raise NotImplementedError("the model pass is not wired in yet")
    record.provenance.seconds = time.perf_counter() - started
    return record
