"""The CLI contract: JSON Lines in input order, failures summarised, non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conftest import LETTERS
from llm_extract.cli.main import main


def test_extract_rules_only_keeps_going_past_bad_inputs(tmp_path: Path) -> None:
    bad = tmp_path / "corrupt.pdf"
    bad.write_bytes(b"%PDF-1.4 garbage")
    good = [str(LETTERS / "CM16-0213037.pdf"), str(LETTERS / "004_5b182d2c9df6dc4d.md")]
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["extract", "--rules-only", good[0], str(bad), good[1],
                                       str(tmp_path / "missing.txt"), "-o", str(out)])
    assert result.exit_code == 1
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["source"] for x in lines] == good
    assert [x["case_number"] for x in lines] == ["CM16-0213037", "CM17-0015790"]
    assert f"{bad}: the PDF is corrupt" in result.stderr
    assert "missing.txt: no such file" in result.stderr
    assert "2 of 4 letters extracted; 2 failed." in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_extract_all_good_exits_zero() -> None:
    result = CliRunner().invoke(main, ["extract", "--rules-only", str(LETTERS / "CM16-0213037.pdf")])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["items"][0]["decision"] == "Upheld"


def test_eval_rules_only_prints_the_table() -> None:
    result = CliRunner().invoke(main, ["eval", "--rules-only"])
    assert result.exit_code == 0, result.output
    for row in ("case_number", "item.request", "item precision", "item recall", "Overturned recall",
                "letters with every field right"):
        assert row in result.stdout
