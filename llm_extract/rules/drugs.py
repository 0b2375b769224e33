"""Drug names the project's own word lists do not know, resolved by a maintained dictionary.

The `drug-named-entity-recognition` package carries a dictionary built from DrugBank,
MeSH, Wikipedia and the NHS (brand names, generic names and common misspellings, each
linked to one canonical generic). A request such as "Zorvolex 35mg #90" names a drug
that no list written from sample letters has seen; the dictionary gives its generic name
("Diclofenac"), and the generic's class comes from the lexicon's pharmacological lists.

The dictionary takes a few seconds to load, so it is loaded on first use and only for a
request the lexicon could not place.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["DrugMatch", "find_drug"]

_TOKEN = re.compile(r"[A-Za-z][A-Za-z-]+")
_lock = threading.Lock()
_finder: Callable[..., list[tuple[dict[str, Any], int, int]]] | None = None
_loaded = False


@dataclass(frozen=True)
class DrugMatch:
    """A drug the dictionary recognised: its generic name and the span of the words named."""

    generic: str
    start: int
    end: int
    ids: dict[str, str]


def _load() -> Callable[..., list[tuple[dict[str, Any], int, int]]] | None:
    global _finder, _loaded
    with _lock:
        if not _loaded:
            try:
                from drug_named_entity_recognition import find_drugs
            except ImportError:  # the dictionary is optional at run time; the lexicon still works
                find_drugs = None
            _finder, _loaded = find_drugs, True
    return _finder


def find_drug(text: str) -> DrugMatch | None:
    """The first drug the dictionary finds in ``text`` (exact, case-insensitive), or ``None``."""
    finder = _load()
    if finder is None:
        return None
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return None
    matches = finder([t.group(0) for t in tokens], is_ignore_case=True)
    # A MeSH class heading ("opioid" → "Analgesics, Opioid", "NSAID") names a kind of drug,
    # not a drug: only entries that are drugs (a DrugBank or MedlinePlus id) count.
    matches = [m for m in matches if m[0].get("drugbank_id") or m[0].get("medline_plus_id")]
    if not matches:
        return None
    data, first, last = min(matches, key=lambda m: m[1])
    ids = {k: str(data[k]) for k in ("drugbank_id", "mesh_id", "medline_plus_id") if data.get(k)}
    return DrugMatch(str(data.get("name") or ""), tokens[first].start(), tokens[last - 1].end(), ids)
