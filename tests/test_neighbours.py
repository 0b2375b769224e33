"""Nearest labelled requests: the loader's checks, letter exclusion and the vote's refusals.

Most tests build a small table of made-up product names (no word list knows them, so only the
neighbours can place them); two read the shipped table.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from llm_extract.errors import ConfigError
from llm_extract.record import Category, DrugClass
from llm_extract.rules import neighbours
from llm_extract.rules.neighbours import LabelledTable, load_table

ROOT = Path(__file__).resolve().parents[1]
LETTER_A = "a" * 64
LETTER_B = "b" * 64


def _row(request: str, category: str, drug_class: str | None = None, origin: str = "wordings:made-up",
         letter: str | None = None) -> dict[str, str | None]:
    return {"request": request, "treatment": request.split(" ")[0], "category": category,
            "drug_class": drug_class, "origin": origin, "letter_sha256": letter}


TABLE = LabelledTable([
    _row("Zorblexin 10mg #60", "pharmaceutical", "opioid", "dev:letter-a", LETTER_A),
    _row("Quorvatine cream 120gm", "pharmaceutical", "topical", "dev:letter-b", LETTER_B),
    _row("Plenticast harness fitting", "durable_medical_equipment"),
    # The same made-up name labelled two ways: the nearest labels disagree.
    _row("Vendrolix 5mg #30", "pharmaceutical", "muscle_relaxant", "wordings:one"),
    _row("Vendrolix 10mg #90", "pharmaceutical", "anticonvulsant", "wordings:two"),
])


def _write(tmp_path: Path, rows: list[object]) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(("bad", "message"), [
    (_row("Zorblexin 10mg", "medication", None), "unknown category 'medication'"),
    (_row("Zorblexin 10mg", "pharmaceutical", "painkiller"), "unknown drug_class 'painkiller'"),
    (_row("Plenticast harness", "durable_medical_equipment", "opioid"), "only for pharmaceutical"),
    ({k: v for k, v in _row("Zorblexin", "pharmaceutical").items() if k != "origin"}, "exactly the fields"),
    (_row("", "surgery"), "request must be a non-empty string"),
    ('{"request": "Zorblexin",', "not JSON"),
])
def test_the_loader_rejects_a_bad_row_naming_its_line(tmp_path: Path, bad: object, message: str) -> None:
    path = _write(tmp_path, [_row("Plenticast harness", "durable_medical_equipment"), bad])
    with pytest.raises(ConfigError, match=message) as err:
        load_table(path)
    assert f"{path}:2" in str(err.value)


def test_a_good_file_loads_with_its_values_typed(tmp_path: Path) -> None:
    table = load_table(_write(tmp_path, [_row("Zorblexin 10mg #60", "pharmaceutical", "opioid")]))
    (row,) = table.rows
    assert (row.category, row.drug_class) == (Category.PHARMACEUTICAL, DrugClass.OPIOID)


def test_exclude_letter_keeps_that_letters_rows_out() -> None:
    assert TABLE.nearest("Zorblexin 20mg #30")[0].origin == "dev:letter-a"
    found = TABLE.nearest("Zorblexin 20mg #30", exclude_letter=LETTER_A)
    assert found and all(n.origin != "dev:letter-a" for n in found)
    assert TABLE.vote("Zorblexin 20mg #30", exclude_letter=LETTER_A) is None
    # Another letter's hash excludes nothing of letter A.
    assert TABLE.vote("Zorblexin 20mg #30", exclude_letter=LETTER_B) is not None


@pytest.mark.parametrize("variant", ["ZORBLEXIN 5 mg, 1 tab PO BID #90", "Retrospective: Zorblexin 10 mg qty 60"])
def test_a_light_variant_of_a_labelled_request_gets_its_label(variant: str) -> None:
    got = TABLE.vote(variant)
    assert got is not None
    assert (got.category, got.drug_class) == (Category.PHARMACEUTICAL, DrugClass.OPIOID)
    assert got.support[0].request == "Zorblexin 10mg #60"
    assert 0 < got.similarity <= 1 and got.agreement == 1.0


def test_an_unrelated_request_gets_no_vote() -> None:
    assert TABLE.vote("Quantum chromodynamics lecture series") is None


def test_the_vote_refuses_where_the_nearest_labels_disagree() -> None:
    found = TABLE.nearest("Vendrolix 7.5mg #60", k=2)
    assert {n.drug_class for n in found} == {DrugClass.MUSCLE_RELAXANT, DrugClass.ANTICONVULSANT}
    got = TABLE.vote("Vendrolix 7.5mg #60", k=2, min_agreement=0.5)
    # Both neighbours agree on the category but split on the class: the class stays open.
    assert got is not None and got.category is Category.PHARMACEUTICAL and got.drug_class is None
    assert TABLE.vote("Vendrolix 7.5mg #60", k=2, min_agreement=1.0) is not None
    split = LabelledTable([_row("Marvintor 5mg", "pharmaceutical", "nsaid"), _row("Marvintor kit", "other")])
    assert split.vote("Marvintor", k=2, min_agreement=0.5) is None


def test_the_shipped_table_never_answers_a_dev_letter_from_itself() -> None:
    table = load_table()
    dev = [r for r in table.rows if r.letter_sha256]
    assert len(table) > 1500 and len(dev) > 100
    row = dev[0]
    own = {r.origin for r in dev if r.letter_sha256 == row.letter_sha256}
    assert any(n.origin in own for n in neighbours.nearest(row.request))
    assert not any(n.origin in own for n in neighbours.nearest(row.request, k=20, exclude_letter=row.letter_sha256))


def test_the_shipped_table_is_what_its_sources_give() -> None:
    spec = importlib.util.spec_from_file_location("build_neighbours", ROOT / "evals/benchmarks/build_neighbours.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert neighbours.DEFAULT_PATH.read_text(encoding="utf-8") == module.build()


def test_treatment_words_are_the_labelled_names_words_and_pairs() -> None:
    words = neighbours.treatment_words()
    name = next(r.treatment for r in load_table().rows if len(r.treatment.split()) >= 2
                and all(w.isalpha() for w in r.treatment.split()[:2]))
    first, second = name.lower().split()[:2]
    assert {first, second, f"{first} {second}"} <= words
    assert not any(w.isdigit() for w in words)
