"""Batch jobs: inputs, failures, duplicates, concurrency, the async variant."""

from __future__ import annotations

import asyncio
import csv
import shutil
from pathlib import Path

import pytest

import llm_extract
from batch_helpers import FIXTURE_LETTERS, CountingExtract, fake_extract, letter_text, read_jsonl, write_letters
from llm_extract.batch.inputs import iter_inputs
from llm_extract.batch.runner import extract_batch
from llm_extract.errors import ConfigError
from llm_extract.reading.letter import letter_from_text


def _sources(lines: list[dict]) -> list[str]:
    return [ln["source"] for ln in lines]


def test_public_api_exports_batch() -> None:
    assert "extract_batch" in llm_extract.__all__ and "aextract_batch" in llm_extract.__all__
    assert llm_extract.extract_batch is extract_batch


def test_corrupt_pdf_among_good_letters_is_reported_and_the_rest_done(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    good = sorted(FIXTURE_LETTERS.glob("CM*.pdf"))[:3]
    for p in good:
        shutil.copy(p, corpus / p.name)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ngarbage, no xref\n")
    (corpus / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"

    results = list(extract_batch([corpus], out_dir=out, rules_only=True))

    by_name = {Path(r.source).name: r for r in results}
    assert set(by_name) == {p.name for p in good} | {"broken.pdf", "empty.txt"}
    assert by_name["broken.pdf"].status == "failed" and by_name["broken.pdf"].error_type == "InputError"
    assert by_name["empty.txt"].status == "failed" and "empty" in (by_name["empty.txt"].error or "")
    for p in good:
        r = by_name[p.name]
        assert r.status == "done"
        assert r.record is not None and r.record.case_number == p.stem  # files are named by case number
    records = read_jsonl(out / "records.jsonl")
    assert sorted(Path(s).name for s in _sources(records)) == sorted(p.name for p in good)
    errors = read_jsonl(out / "errors.jsonl")
    assert {Path(e["path"]).name: e["error_type"] for e in errors} == {"broken.pdf": "InputError",
                                                                       "empty.txt": "InputError"}
    assert all(e["message"] for e in errors)
    # The tables agree with the records: one letter row per record, one item row per item.
    with (out / "letters.csv").open() as f:
        letters = list(csv.DictReader(f))
    with (out / "items.csv").open() as f:
        items = list(csv.DictReader(f))
    assert sorted(r["case_number"] for r in letters) == sorted(p.stem for p in good)
    assert len(items) == sum(len(ln["record"]["items"]) for ln in records)
    assert {r["decision"] for r in items} <= {"Upheld", "Overturned"}


def test_inputs_folders_globs_manifests_and_missing_files(tmp_path: Path) -> None:
    a = write_letters(tmp_path / "a", 2)
    b = write_letters(tmp_path / "b" / "deep", 2, start=10)
    (tmp_path / "b" / "notes.json").write_text("{}")  # not a letter suffix: skipped in folders
    manifest = tmp_path / "list.txt"
    manifest.write_text(f"# the manifest\n\nb/deep/{b[0].name}\n{tmp_path / 'missing.txt'}\n")

    expanded = list(iter_inputs([str(tmp_path / "a"), str(tmp_path / "b" / "**" / "*.txt"), f"@{manifest}"]))
    assert [Path(p).name for p in expanded] == [p.name for p in a] + [p.name for p in b] + [b[0].name, "missing.txt"]

    results = list(extract_batch([str(tmp_path / "a"), str(tmp_path / "b" / "**" / "*.txt"), f"@{manifest}"],
                                 extract_fn=fake_extract))
    # b[0] named twice (glob and manifest) is handled once; the missing file fails by name.
    assert sorted(Path(r.source).name for r in results if r.ok) == sorted(p.name for p in a + b)
    missing = [r for r in results if not r.ok]
    assert len(missing) == 1 and missing[0].error_type == "InputError" and "no such file" in missing[0].error


def test_identical_letters_are_extracted_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    text = letter_text(7, ("Upheld", "Overturned"))
    (folder / "a.txt").write_text(text)
    # Another copy: CRLF line ends and doubled spaces, the same once normalised.
    (folder / "b.txt").write_bytes(text.replace("\n", "\r\n").replace("Case Number:", "Case  Number:").encode())
    (folder / "c.txt").write_text(letter_text(8))
    fn = CountingExtract()
    out = tmp_path / "out"

    results = {Path(r.source).name: r for r in extract_batch([folder], out_dir=out, extract_fn=fn)}

    assert len(fn.calls) == 2
    assert results["b.txt"].status == "duplicate" and Path(results["b.txt"].duplicate_of).name == "a.txt"
    assert results["b.txt"].record.case_number == "CM16-0000007"  # the duplicate reads the shared record
    lines = read_jsonl(out / "records.jsonl")
    dup = [ln for ln in lines if ln["duplicate_of"]]
    assert len(dup) == 1 and dup[0]["record"] is None and dup[0]["sha256"] == results["a.txt"].sha256
    with (out / "letters.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2  # distinct letters
    row = next(r for r in rows if r["case_number"] == "CM16-0000007")
    assert Path(row["duplicate_sources"]).name == "b.txt"


def test_duplicates_in_flight_wait_for_the_first_copy(tmp_path: Path) -> None:
    text = letter_text(3)
    letters = [letter_from_text(text, source=f"copy{i}") for i in range(6)]
    fn = CountingExtract(delay=0.05)
    results = list(extract_batch(letters, extract_fn=fn, concurrency=4))
    assert len(fn.calls) == 1
    assert sorted(r.status for r in results) == ["done"] + ["duplicate"] * 5
    assert len({r.source for r in results}) == 6


def test_concurrency_is_respected_and_inputs_are_streamed(tmp_path: Path) -> None:
    paths = write_letters(tmp_path / "in", 24)
    fn = CountingExtract(gather=4)
    pulled = 0
    lead = []

    def gen():
        nonlocal pulled
        for p in paths:
            pulled += 1
            # How far input reading runs ahead of the extractions started so far.
            lead.append(pulled - len(fn.calls))
            yield p

    results = list(extract_batch(gen(), extract_fn=fn, concurrency=4))
    assert len(results) == 24 and all(r.status == "done" for r in results)
    assert fn.max_in_flight == 4  # all four workers busy at once, never a fifth
    assert max(lead) <= 2 * 4 + 1  # bounded queue: never the whole corpus in memory


def test_a_failing_extractor_never_stops_the_batch(tmp_path: Path) -> None:
    paths = write_letters(tmp_path / "in", 6)

    def flaky(letter):
        if letter.source.endswith(("0002.txt", "0005.txt")):
            raise RuntimeError("boom on purpose")
        return fake_extract(letter)

    out = tmp_path / "out"
    results = list(extract_batch(paths, out_dir=out, extract_fn=flaky, concurrency=3))
    assert sorted(r.status for r in results) == ["done"] * 4 + ["failed"] * 2
    errors = read_jsonl(out / "errors.jsonl")
    assert sorted(Path(e["source"]).name for e in errors) == ["letter_0002.txt", "letter_0005.txt"]
    assert {e["error_type"] for e in errors} == {"RuntimeError"}


def test_errors_never_echo_validation_inputs(tmp_path: Path) -> None:
    paths = write_letters(tmp_path / "in", 1)

    def bad(letter):
        # A pydantic error quotes its input; here the input is a piece of the letter.
        return llm_extract.IMRRecord(case_number=letter.text[:40])

    out = tmp_path / "out"
    [res] = list(extract_batch(paths, out_dir=out, extract_fn=bad))
    assert res.error_type == "ValidationError"
    assert "Case Number" not in (out / "errors.jsonl").read_text()


def test_bad_arguments_fail_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        extract_batch([tmp_path], formats=["xlsx"])
    with pytest.raises(ConfigError):
        extract_batch([tmp_path], concurrency=0, extract_fn=fake_extract)
    with pytest.raises(ConfigError):
        extract_batch([tmp_path], shard="5/4", extract_fn=fake_extract)
    with pytest.raises(ConfigError, match="temprature"):
        extract_batch([tmp_path], temprature=0.5)  # a typo fails once, not once per letter


def test_async_variant_yields_the_same_results(tmp_path: Path) -> None:
    paths = write_letters(tmp_path / "in", 5)

    async def collect():
        return [r async for r in llm_extract.aextract_batch(paths, extract_fn=fake_extract, concurrency=2)]

    results = asyncio.run(collect())
    assert sorted(r.record.case_number for r in results) == [f"CM16-{n:07d}" for n in range(1, 6)]


def test_process_workers_settle_duplicates_in_the_parent(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write_letters(folder, 6)
    (folder / "zz_copy.txt").write_text((folder / "letter_0001.txt").read_text())
    (folder / "zz_not_a_letter.txt").write_text("no case number here")  # fake_extract raises
    out = tmp_path / "out"
    results = list(extract_batch([folder, tmp_path / "missing.pdf"], out_dir=out, extract_fn=fake_extract,
                                 concurrency=2, executor="process"))
    assert sorted(r.status for r in results) == ["done"] * 6 + ["duplicate"] + ["failed"] * 2
    assert sorted(r.error_type for r in results if not r.ok) == ["InputError", "ValueError"]
    lines = read_jsonl(out / "records.jsonl")
    assert sum(ln["record"] is not None for ln in lines) == 6 and len(lines) == 7
