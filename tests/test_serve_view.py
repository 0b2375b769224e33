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
        for key, span in rec.evidence.items():
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
