"""``llm-extract view``: the offline review file from a batch folder or an extract output."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

import llm_extract
from llm_extract.cli import main
from test_serve_support import MD, PDF, TXT


def data_of(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', html, re.S)
    assert m
    return json.loads(m.group(1))


def test_view_of_a_batch_folder(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for p in (PDF, TXT, MD):
        shutil.copy(p, corpus / p.name)
    shutil.copy(TXT, corpus / "copy.txt")  # a duplicate line: skipped
    for _ in llm_extract.extract_batch([str(corpus)], rules_only=True, out_dir=tmp_path / "out"):
        pass
    out = tmp_path / "review.html"
    r = CliRunner().invoke(main, ["view", str(tmp_path / "out" / "records.jsonl"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    entries = data_of(html)["entries"]
    assert len(entries) == 3
    for e in entries:
        rec = llm_extract.IMRRecord.model_validate(e["record"])
        for span in rec.evidence.values():
            assert 0 <= span.start <= span.end <= len(e["text"])
        if rec.case_number:
            s = rec.evidence["case_number"]
            assert e["text"][s.start:s.end] == rec.case_number


def test_view_of_extract_output_and_a_missing_letter(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(PDF, tmp_path / "a.pdf")
    shutil.copy(TXT, tmp_path / "b.txt")
    runner = CliRunner()
    r = runner.invoke(main, ["extract", "--rules-only", "a.pdf", "b.txt", "-o", "out.jsonl"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["view", "out.jsonl", "-o", "review.html"])
    assert r.exit_code == 0, r.output
    assert all(e["text"] for e in data_of((tmp_path / "review.html").read_text())["entries"])
    (tmp_path / "b.txt").unlink()
    r = runner.invoke(main, ["view", "out.jsonl", "-o", "review.html"])
    assert r.exit_code == 1
    assert "b.txt" in r.output and "not found" in r.output
    entries = data_of((tmp_path / "review.html").read_text())["entries"]
    assert entries[1]["text"] is None and "not found" in entries[1]["note"]


def test_script_data_cannot_close_the_script_element(tmp_path):
    from llm_extract.serve.view import entry, render_page

    rec = llm_extract.extract(TXT, rules_only=True)
    html = render_page([entry(rec, "</script><script>alert(1)</script>", source="x")])
    assert "</script><script>alert(1)" not in html
    assert data_of(html)["entries"][0]["text"].startswith("</script>")


def test_view_of_an_evaluation_run(tmp_path):
    """results.json from `llm-extract eval --out`: per letter, what each run got wrong beside the label,
    over the letter's text re-read from the fixture folder that results.json records."""
    fixtures = Path(__file__).resolve().parent.parent / "evals" / "fixtures" / "dev"
    r = CliRunner().invoke(main, ["eval", "--rules-only", "--fixtures", str(fixtures), "--out", str(tmp_path / "ev")])
    assert r.exit_code in (0, 1), r.output
    results = json.loads((tmp_path / "ev" / "results.json").read_text(encoding="utf-8"))
    wrong = {ls["name"]: ls for run in results["runs"] for ls in run["letters"] if ls["errors"] or ls["failed"]}
    assert wrong, "the rules pass gets something wrong on the dev fixtures (else this test shows nothing)"
    out = tmp_path / "eval.html"
    r = CliRunner().invoke(main, ["view", str(tmp_path / "ev" / "results.json"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert "default-src 'none'" in html and not re.search(r'(src|href)\s*=\s*"(https?:)?//', html)
    entries = data_of(html)["entries"]
    assert {e["source"] for e in entries} == set(wrong)
    for e in entries:
        assert e["text"] and e["note"] is None
        runs = {run["name"]: run for run in e["runs"]}
        assert runs and all(run["errors"] == ls["errors"] for run in runs.values() for ls in [wrong[e["source"]]])
        rec = e["record"]
        llm_extract.IMRRecord.model_validate(rec)
        label = json.loads((fixtures / "labels" / f"{e['source']}.json").read_text(encoding="utf-8"))
        assert rec["case_number"] == label.get("case_number")  # the record shown is the label
        # Spans, where there are any, point at the label's values in the re-read text.
        if rec["case_number"] and "case_number" in rec["evidence"]:
            span = rec["evidence"]["case_number"]
            assert e["text"][span["start"]:span["end"]] == rec["case_number"]
    assert any(e["record"]["evidence"] for e in entries)
    # --all: every letter.
    r = CliRunner().invoke(main, ["view", str(tmp_path / "ev" / "results.json"), "-o", str(out), "--all"])
    assert r.exit_code == 0, r.output
    assert len(data_of(out.read_text(encoding="utf-8"))["entries"]) == len(results["letters"])


def test_view_says_a_held_out_letters_errors_are_withheld(tmp_path):
    """A test-split letter's errors are not in results.json; the view must not call it right."""
    from conftest import FIVE, copy_fixtures, plant_treatment
    from llm_extract.evaluation.report import write_report
    from llm_extract.evaluation.runner import evaluate
    from llm_extract.serve.view import entries_from_results

    root = tmp_path / "fixtures"
    copy_fixtures(root / "dev", FIVE[:1])
    plant_treatment(copy_fixtures(root / "test", FIVE[1:2]), FIVE[1], "Planted wrong treatment name")
    paths = write_report(evaluate(root, rules_only=True), tmp_path / "ev")

    assert FIVE[1] not in {e["source"] for e in entries_from_results(paths["results"], fixtures=root)}
    shown = {e["source"]: e for e in entries_from_results(paths["results"], fixtures=root, all_letters=True)}
    run = shown[FIVE[1]]["runs"][0]
    assert run["errors"] == [] and run["withheld"] >= 1
    assert "Planted wrong treatment name" not in json.dumps(shown[FIVE[1]]["runs"])
