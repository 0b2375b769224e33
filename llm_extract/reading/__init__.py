"""Stage 1, reading: a letter's file (PDF, text, HTML/markdown) to one normalised text form."""

from .letter import SUFFIXES, Letter, letter_from_text, read_letter
from .normalize import normalize_text

__all__ = ["SUFFIXES", "Letter", "letter_from_text", "read_letter", "normalize_text"]
