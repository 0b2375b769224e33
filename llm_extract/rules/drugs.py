"""Drug names the project's own word lists do not know, resolved by a maintained dictionary.

The `drug-named-entity-recognition` package carries a dictionary built from DrugBank,
MeSH, Wikipedia and the NHS (brand names, generic names and common misspellings, each
linked to one canonical generic). A request such as "Zorvolex 35mg #90" names a drug
that no list written from sample letters has seen; the dictionary gives its generic name
("Diclofenac"), and the generic's class comes from the lexicon's pharmacological lists.

Only exact, case-insensitive matches of one or two words are used (two first, as the
package does). The package's data file is read straight into two flat string tables
instead of importing its finder, which also builds fuzzy-match n-gram indexes (hundreds of
thousands of small sets the garbage collector then walks on every full collection, slowing
the whole process) and reads a pickle cache from the user's home directory at import. If
the data file's layout is not the expected one (a new package version), the package's own
finder is used instead. Loaded once, on first use, and only for a request the word lists
and the guideline topic could not place.
"""

from __future__ import annotations

import bz2
import importlib.util
import logging
import pickle
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..record import Span

__all__ = ["DrugMatch", "find_drug"]

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[A-Za-z][A-Za-z-]+")
_DATA_FILE = "drug_ner_dictionary.pkl.bz2"
_ID_KEYS = ("drugbank_id", "mesh_id", "medline_plus_id")


@dataclass(frozen=True)
class DrugMatch:
    """A drug the dictionary recognised: its generic name and the span of the words named."""

    generic: str
    span: Span
    ids: dict[str, str]


class _Table:
    """Variant → canonical name, and canonical name → (generic name, DrugBank, MeSH, MedlinePlus ids)."""

    def __init__(self, variants: dict[str, str], drugs: dict[str, tuple[str, str | None, str | None, str | None]]):
        self.variants = variants
        self.drugs = drugs

    def lookup(self, words: str) -> tuple[str, dict[str, str]] | None:
        canonical = self.variants.get(words.lower())
        entry = self.drugs.get(canonical) if canonical else None
        if entry is None:
            return None
        name, *ids = entry
        return name, {k: v for k, v in zip(_ID_KEYS, ids, strict=True) if v}


_lock = threading.Lock()
_table: _Table | Callable[..., Any] | None = None
_loaded = False


def _read_table() -> _Table | None:
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        return None  # the dictionary is optional at run time; the lexicon still works
    path = Path(next(iter(spec.submodule_search_locations))) / _DATA_FILE
    # The package's own data file, shipped with it (the same trust as importing it).
    with bz2.open(path, "rb") as f:
        data = pickle.load(f)  # noqa: S301 - the installed package's own data file (see above)
    variants: dict[str, str] = {}
    for variant, canonicals in data["drug_variant_to_canonical"].items():
        if canonicals:
            variants[str(variant).lower()] = str(canonicals[0])
    drugs: dict[str, tuple[str, str | None, str | None, str | None]] = {}
    for canonical, info in data["drug_canonical_to_data"].items():
        # A MeSH class heading ("opioid" → "Analgesics, Opioid", "NSAID") names a kind of
        # drug, not a drug: only entries with a DrugBank or MedlinePlus id are drugs.
        if not (info.get("drugbank_id") or info.get("medline_plus_id")):
            continue
        drugbank, mesh, medline = (str(info[k]) if info.get(k) else None for k in _ID_KEYS)
        drugs[str(canonical)] = (str(info.get("name") or canonical), drugbank, mesh, medline)
    return _Table(variants, drugs)


def _load() -> _Table | Callable[..., Any] | None:
    global _table, _loaded
    with _lock:
        if not _loaded:
            try:
                _table = _read_table()
            except (OSError, KeyError, TypeError, AttributeError, pickle.UnpicklingError, EOFError) as exc:
                log.warning("the drug dictionary's data file could not be read (%s); using its finder", exc)
                try:
                    from drug_named_entity_recognition import find_drugs
                except ImportError:
                    find_drugs = None
                _table = find_drugs
            _loaded = True
    return _table


def find_drug(text: str) -> DrugMatch | None:
    """The first drug the dictionary finds in ``text`` (exact, case-insensitive), or ``None``."""
    table = _load()
    if table is None:
        return None
    tokens = list(_TOKEN.finditer(text))
    if not tokens:
        return None
    if isinstance(table, _Table):
        return _find_in_table(table, tokens)
    return _find_with_finder(table, tokens)


def _find_in_table(table: _Table, tokens: list[re.Match[str]]) -> DrugMatch | None:
    found: list[tuple[int, int, str, dict[str, str]]] = []
    pairs: set[int] = set()
    for i in range(len(tokens) - 1):
        hit = table.lookup(f"{tokens[i].group(0)} {tokens[i + 1].group(0)}")
        if hit:
            found.append((i, i + 2, *hit))
            pairs.update((i, i + 1))
    for i, token in enumerate(tokens):
        if i not in pairs:
            hit = table.lookup(token.group(0))
            if hit:
                found.append((i, i + 1, *hit))
    if not found:
        return None
    first, last, generic, ids = min(found, key=lambda f: f[0])
    return DrugMatch(generic, Span.at(tokens[first].start(), tokens[last - 1].end()), ids)


def _find_with_finder(finder: Callable[..., Any], tokens: list[re.Match[str]]) -> DrugMatch | None:
    matches = finder([t.group(0) for t in tokens], is_ignore_case=True)
    matches = [m for m in matches if m[0].get("drugbank_id") or m[0].get("medline_plus_id")]
    if not matches:
        return None
    data, first, last = min(matches, key=lambda m: m[1])
    ids = {k: str(data[k]) for k in _ID_KEYS if data.get(k)}
    return DrugMatch(str(data.get("name") or ""), Span.at(tokens[first].start(), tokens[last - 1].end()), ids)
