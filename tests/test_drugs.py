"""The maintained drug dictionary, read as flat tables (rules/drugs.py)."""

from __future__ import annotations

import subprocess
import sys

from llm_extract.rules.drugs import find_drug


def test_a_brand_resolves_to_its_generic_with_the_span_of_its_words() -> None:
    found = find_drug("Retrospective Zorvolex 35mg #90")
    assert found is not None and found.generic == "Diclofenac"
    assert "Retrospective Zorvolex 35mg #90"[found.span.start:found.span.end] == "Zorvolex"
    assert found.ids.get("drugbank_id", "").startswith("DB")


def test_a_class_heading_is_not_a_drug() -> None:
    # MeSH headings in the dictionary ("opioid" -> "Analgesics, Opioid") name kinds of drugs.
    assert find_drug("opioid") is None and find_drug("NSAID") is None


def test_a_salt_written_after_the_name_still_finds_the_drug() -> None:
    found = find_drug("Docusate sodium 100mg #60")
    assert found is not None and found.generic == "Docusate"


def test_the_package_finder_is_not_imported() -> None:
    # Its import builds fuzzy-match indexes the garbage collector then walks, and reads a
    # pickle from the home directory; the data file alone is read.
    code = ("import sys; from llm_extract.rules.drugs import find_drug; find_drug('Zorvolex'); "
            "print('drug_named_entity_recognition' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
