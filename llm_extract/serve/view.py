"""The review view: a letter's text with every evidence span highlighted beside its record.

One HTML page, used twice: ``GET /`` serves it empty with an upload form (``mode="server"``),
its stylesheet and script linked from ``/static``, and ``llm-extract view`` writes it with the
records and their letters' texts embedded (``mode="offline"``): one self-contained file, the
same stylesheet and script inline, that loads nothing from the network (its
Content-Security-Policy forbids it). The one copy of each is ``static/review.css`` and
``static/review.js`` in this package.
"""

from __future__ import annotations

import functools
import html
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import llm_extract
from llm_extract import IMRRecord
from llm_extract.reading import SUFFIXES

__all__ = ["render_page", "entry", "entries_from_jsonl", "entries_from_results", "is_results_json", "STATIC_DIR"]

#: The page's stylesheet and script (package data; ``GET /static/...`` serves this folder).
STATIC_DIR = Path(__file__).resolve().parent / "static"

_CSP_OFFLINE = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
                "img-src data:; connect-src 'none'")


@functools.cache
def _asset(name: str) -> str:
    """A file of :data:`STATIC_DIR`, for the offline page to inline."""
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def _script_json(data: Any) -> str:
    """JSON safe inside a <script> element (no '</script>', no '<!--')."""
    return (json.dumps(data, ensure_ascii=False).replace("&", "\\u0026")
            .replace("<", "\\u003c").replace(">", "\\u003e"))


def entry(record: IMRRecord | dict[str, Any], text: str | None, *, source: str | None = None,
          note: str | None = None, upload_id: str | None = None) -> dict[str, Any]:
    """One letter for the view: the record as JSON and the normalised text its spans index."""
    rec = record.model_dump(mode="json") if isinstance(record, IMRRecord) else record
    return {"source": source or (rec.get("provenance") or {}).get("source"), "text": text,
            "record": rec, "note": note, "upload_id": upload_id}


def render_page(entries: Iterable[dict[str, Any]] = (), *, mode: str = "offline", title: str = "IMR review",
                rules_only_server: bool = False, letters_dir: bool = False) -> str:
    """The review page; ``mode="server"`` adds the upload form and fixture saving, and with
    ``letters_dir`` a picker of the letters in the server's --letters-dir (GET /v1/letters)."""
    data = {"entries": list(entries)}
    config = {"mode": mode, "letters_dir": bool(letters_dir and mode == "server")}
    csp = "" if mode == "server" else f'<meta http-equiv="Content-Security-Policy" content="{_CSP_OFFLINE}">'
    if mode == "server":
        checked = "checked" + (" disabled" if rules_only_server else "")
        pick = ("" if not letters_dir else
                '\n<form id="pick"><label>or a server letter <select id="server-letter">'
                '<option value="">…</option></select></label>\n'
                '  <button type="submit" id="open-letter">Open</button></form>')
        controls = f"""
<form id="upload">
  <input type="file" id="file" name="file" accept="{",".join(SUFFIXES)}">
  <label title="deterministic pass only"><input type="checkbox" id="rules-only" {checked}> rules only</label>
  <button type="submit" id="extract">Extract</button>
</form>{pick}
<label>token <input type="password" id="token" size="10" autocomplete="off"></label>"""
    else:
        controls = ""
    picker = '<label style="display:none">letter <select id="entry"></select></label>'
    empty = "Upload a letter to see its values in the text." if mode == "server" else "No records."
    if mode == "server":  # relative, so that the page also works behind a path prefix
        style, script = '<link rel="stylesheet" href="static/review.css">', '<script src="static/review.js"></script>'
    else:  # the leading newline keeps the inlined page as it was when the assets were strings
        style, script = f"<style>\n{_asset('review.css')}</style>", f"<script>\n{_asset('review.js')}</script>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
{csp}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
{style}
</head><body>
<header><h1>{html.escape(title)}</h1>{controls}{picker}<span id="status"></span></header>
<main><div id="letter"><p class="empty">{empty}</p></div>
<div id="record"></div></main>
<script type="application/json" id="review-config">{_script_json(config)}</script>
<script type="application/json" id="review-data">{_script_json(data)}</script>
{script}
</body></html>
"""


def _resolve(path: str, base: Path) -> Path | None:
    p = Path(path)
    for cand in ([p] if p.is_absolute() else [p, base / p]):
        if cand.is_file():
            return cand
    return None


def entries_from_jsonl(path: str | os.PathLike[str], *, warn: Any = None) -> list[dict[str, Any]]:
    """Entries for the offline view from a ``records.jsonl`` (batch) or ``extract`` output.

    A batch line carries ``path`` and ``record`` (duplicate lines, ``record: null``, are
    skipped); an ``extract`` line is the record with ``source``. Each letter is read again
    from its path (absolute, else relative to the working folder or the JSONL's folder);
    a letter that cannot be read is shown without text, with a note, and ``warn`` is called.
    """
    src = Path(path)
    base = src.resolve().parent
    out: list[dict[str, Any]] = []
    with src.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError:
                if warn:
                    warn(f"{src}:{n}: not JSON; skipped")
                continue
            if not isinstance(data, dict):
                continue
            if "record" in data:
                if data.get("record") is None:
                    continue
                rec_data, letter_path = data["record"], data.get("path") or data.get("source")
                source = data.get("source")
            else:
                rec_data, letter_path, source = data, data.get("source"), data.get("source")
            try:
                record = IMRRecord.model_validate(rec_data)
            except Exception:
                if warn:
                    warn(f"{src}:{n}: not an IMR record; skipped")
                continue
            source = source or record.provenance.source or letter_path
            text, note = None, None
            found = _resolve(letter_path, base) if letter_path else None
            if found is None:
                note = f"letter file not found: {letter_path}; the record is shown without the text"
            else:
                try:
                    letter = llm_extract.read_letter(found)
                    text = letter.text
                    sha = record.provenance.text_sha256
                    if sha and sha != letter.sha256:
                        note = f"{letter_path} changed since it was extracted: the highlights may be off"
                except llm_extract.LlmExtractError as exc:
                    note = f"letter could not be read: {exc}"
            if note and warn:
                warn(f"{source}: {note}")
            out.append(entry(record, text, source=source, note=note))
    return out


def is_results_json(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an evaluation's ``results.json`` (``llm-extract eval --out``)."""
    p = Path(path)
    if p.suffix.lower() != ".json":
        return False
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("project") == "llm-extract" and isinstance(data.get("runs"), list)


def entries_from_results(path: str | os.PathLike[str], *, fixtures: str | os.PathLike[str] | None = None,
                         all_letters: bool = False, warn: Any = None) -> list[dict[str, Any]]:
    """Entries for the offline view from an evaluation's ``results.json``.

    Per letter (only those some run got wrong, unless ``all_letters``): the label as the
    record, each run's errors (``got`` beside the label's ``want``) or failure, and the
    letter's text, re-read from the fixture folder results.json records (or ``fixtures``),
    highlighted with the evidence of a rules-only extraction where its values are the
    label's (results.json keeps the runs' errors, not their records).
    """
    from llm_extract.evaluation.fixtures import load_fixtures
    from llm_extract.evaluation.runner import load_results

    src = Path(path)
    data = load_results(src)  # validated: older files load, a malformed one is a ConfigError
    folder = Path(fixtures) if fixtures is not None else Path(data.fixtures)
    if not folder.is_absolute() and not folder.is_dir():
        folder = src.resolve().parent / folder
    try:
        by_name = {f.name: f for f in load_fixtures(folder)}
    except llm_extract.LlmExtractError as exc:
        if warn:
            warn(f"fixtures {folder}: {exc}; letters are shown without text")
        by_name = {}
    per_run = {r.name: {ls.name: ls for ls in r.letters} for r in data.runs}
    names = list(data.letters or dict.fromkeys(n for lets in per_run.values() for n in lets))
    out: list[dict[str, Any]] = []
    for name in names:
        results = []
        for run_name, letters in per_run.items():
            ls = letters.get(name)
            if ls is None:
                continue
            results.append({"name": run_name, "failed": ls.failed, "errors": ls.errors,
                            "withheld": ls.errors_withheld or 0})
        # A held-out letter's errors were not written (evaluation.runner's docstring): it is
        # listed only with all_letters, and says that its errors are withheld, not that it is right.
        if not all_letters and not any(r["failed"] or r["errors"] for r in results):
            continue
        fixture = by_name.get(name)
        text, note = None, None
        if fixture is None:
            rec: dict[str, Any] = {"case_number": None}
            note = f"no fixture named {name} under {folder}: shown without the letter"
        else:
            label = fixture.label.model_copy(deep=True)
            try:
                letter = llm_extract.read_letter(fixture.letter)
                text = letter.text
                _borrow_evidence(label, llm_extract.extract(letter, rules_only=True))
            except llm_extract.LlmExtractError as exc:
                note = f"letter could not be read: {exc}"
            label.provenance.source = fixture.letter.name
            rec = label.model_dump(mode="json")
        if note and warn:
            warn(f"{name}: {note}")
        e = entry(rec, text, source=name, note=note)
        e["runs"] = results
        e["fixture_name"] = name
        out.append(e)
    return out


def _borrow_evidence(label: IMRRecord, rules: IMRRecord) -> None:
    """Copy the rules record's spans onto the label where the two agree on the value."""
    lab, got = label.model_dump(mode="json"), rules.model_dump(mode="json")
    for key, span in rules.evidence.items():
        top = key.split(".")[0]
        if top in lab and lab.get(top) == got.get(top):
            label.evidence[key] = span
    # Not strict: a label may list more or fewer items than the rules found.
    for li, ri in zip(label.items, rules.items, strict=False):
        if li.request == ri.request or li.decision == ri.decision:
            for key, span in ri.evidence.items():
                if getattr(li, key.split(".")[0], None) == getattr(ri, key.split(".")[0], None):
                    li.evidence[key] = span
