"""Corpus statistics, the chart, the tables' formats and the batch CLI commands."""

from __future__ import annotations

import csv
import json
import shutil
import struct
import sys
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from batch_helpers import FIXTURE_LETTERS, fake_extract, letter_text
from llm_extract.batch.runner import extract_batch
from llm_extract.batch.stats import StatsAccumulator, corpus_stats, format_stats
from llm_extract.cli.main import main
from llm_extract.errors import ConfigError


def _rec(app: str | None, dec: str | None, items: list[tuple[str, str | None, str | None]],
         specialties: list[str] = ()) -> dict:
    return {
        "application_received": app, "decision_date": dec,
        "reviewer": {"licensure_states": [], "specialties": list(specialties)},
        "items": [{"decision": d, "category": c, "drug_class": k} for d, c, k in items],
    }


def test_model_records_give_numbers_worked_by_hand() -> None:
    acc = StatsAccumulator()
    acc.add(_rec("2016-11-03", "2016-12-09", [("Upheld", "pharmaceutical", "opioid"),
                                              ("Upheld", "pharmaceutical", "nsaid")], ["Pain Management"]))
    acc.add(_rec("2016-12-01", "2016-12-31", [("Overturned", "pharmaceutical", "nsaid"),
                                              ("Upheld", "diagnostic", None)], ["Pain Management", "Anesthesiology"]))
    acc.add(_rec(None, "2017-01-05", [("Upheld", "surgery", None)]))
    s = acc.result()
    assert s["letters"] == 3 and s["items"] == 5
    assert s["share_upheld"] == 0.8                   # 4 of 5
    assert s["share_letters_all_upheld"] == round(2 / 3, 4)
    assert s["pharmaceutical_share"] == 0.6           # 3 of 5
    assert s["opioid_share_of_pharmaceutical"] == round(1 / 3, 4)
    assert s["drug_class_shares"] == {"nsaid": round(2 / 3, 4), "opioid": round(1 / 3, 4)}
    assert s["by_category"]["pharmaceutical"]["share_upheld"] == round(2 / 3, 4)
    assert s["items_per_letter"]["mean"] == round(5 / 3, 3) and s["items_per_letter"]["max"] == 2
    # Nov 3 -> Dec 9 is 36 days, Dec 1 -> Dec 31 is 30; the third letter has no application date.
    days = s["days_application_to_decision"]
    assert days["letters"] == 2 and days["median"] == 33 and days["min"] == 30 and days["max"] == 36
    assert s["reviewer_specialties"] == {"Pain Management": 2, "Anesthesiology": 1}
    assert s["decision_dates"] == ["2016-12-09", "2017-01-05"]
    table = format_stats(s)
    assert "60.0%" in table and "91.6%" in table and "33.3%" in table
    assert "n/a" not in table


def test_rules_only_records_say_na_instead_of_numbers() -> None:
    acc = StatsAccumulator()
    acc.add(_rec("2016-11-03", "2016-12-09", [("Upheld", None, None), ("Overturned", None, None)]))
    s = acc.result()
    assert s["share_upheld"] == 0.5
    for key in ("pharmaceutical_share", "opioid_share_of_pharmaceutical", "drug_class_shares", "by_category"):
        assert s[key] == "n/a (rules-only)"
    table = format_stats(s)
    pharma_line = next(ln for ln in table.splitlines() if ln.startswith("Pharmaceutical share"))
    assert "n/a (rules-only)" in pharma_line and "%" not in pharma_line.split("n/a")[0]
    assert table.count("n/a (rules-only)") >= 4


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    assert zlib.crc32(data[12:16 + length]) & 0xFFFFFFFF == struct.unpack(">I", data[16 + length:20 + length])[0]
    return struct.unpack(">II", data[16:24])


def test_cli_batch_resume_and_stats_on_real_letters(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    picked = sorted(FIXTURE_LETTERS.glob("CM*.pdf"))[:4]
    for p in picked:
        shutil.copy(p, corpus / p.name)
    (corpus / "bad.pdf").write_bytes(b"not a pdf at all")
    out = tmp_path / "out"
    runner = CliRunner()

    first = runner.invoke(main, ["batch", str(corpus), "--out", str(out), "--rules-only", "--quiet"])
    assert first.exit_code == 1  # one letter failed
    second = runner.invoke(main, ["batch", str(corpus), "--out", str(out), "--rules-only"])
    assert second.exit_code == 1
    assert "cached" in second.output and "4" in second.output.split("cached")[1].splitlines()[0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["run"]["cached"] == 4 and summary["run"]["done"] == 0 and summary["totals"]["failed"] == 1

    stats = runner.invoke(main, ["stats", str(out)])
    assert stats.exit_code == 0, stats.output
    # The rules name the category of requests whose words state it, so even a rules-only
    # corpus has category figures beside DWC's.
    assert "91.6%" in stats.output and "Pharmaceutical share" in stats.output
    w, h = _png_size(out / "stats.png")
    assert w >= 300 and h >= 200
    as_json = runner.invoke(main, ["stats", str(out), "--json", "--no-chart"])
    assert json.loads(as_json.output)["letters"] == 4


def test_stats_over_several_shard_folders_counts_each_letter_once(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(4):
        (folder / f"{n}.txt").write_text(letter_text(n, ("Upheld", "Overturned"), category="pharmaceutical",
                                                     drug_class="opioid" if n == 0 else "nsaid"))
    (folder / "copy.txt").write_text((folder / "0.txt").read_text())
    for k in (1, 2):
        list(extract_batch([folder], out_dir=tmp_path / f"s{k}", extract_fn=fake_extract, shard=f"{k}/2"))
    list(extract_batch([folder / "0.txt"], out_dir=tmp_path / "s3", extract_fn=fake_extract))  # overlaps s1/s2
    s = corpus_stats([tmp_path / "s1", tmp_path / "s2", tmp_path / "s3"])
    assert s["letters"] == 4 and s["items"] == 8
    assert s["share_upheld"] == 0.5 and s["pharmaceutical_share"] == 1.0
    assert s["opioid_share_of_pharmaceutical"] == 0.25


def test_parquet_tables_match_the_csv(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    folder = tmp_path / "in"
    folder.mkdir()
    for n in range(3):
        (folder / f"{n}.txt").write_text(letter_text(n, ("Upheld",) * (n + 1)))
    out = tmp_path / "out"
    list(extract_batch([folder], out_dir=out, extract_fn=fake_extract, formats=["jsonl", "csv", "parquet"]))
    items = pq.read_table(out / "items.parquet")
    letters = pq.read_table(out / "letters.parquet")
    with (out / "items.csv").open() as f:
        csv_items = list(csv.DictReader(f))
    assert items.num_rows == len(csv_items) == 6 and letters.num_rows == 3
    assert sorted(letters.column("items").to_pylist()) == [1, 2, 3]
    assert items.schema.field("guideline_sources").type == __import__("pyarrow").list_(__import__("pyarrow").string())


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    (tmp_path / "a.txt").write_text(letter_text(1))
    with pytest.raises(ConfigError, match=r"\[parquet\]"):
        extract_batch([tmp_path / "a.txt"], out_dir=tmp_path / "out", extract_fn=fake_extract,
                      formats=["jsonl", "parquet"])
    assert not (tmp_path / "out").exists()  # refused before any work
