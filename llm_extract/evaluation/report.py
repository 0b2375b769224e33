"""Evaluation reports: a terminal table, results.json, report.md and a self-contained report.html.

The HTML carries its charts as inline SVG (per-field accuracy by run with 95% intervals,
cost against accuracy, and risk–coverage from :mod:`report_confidence`) and its styles inline: it
opens from disk with no network and no script. Every figure in the reports is "accuracy (right /
of) [95% interval]", so a reader sees how many answers a percentage rests on.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .report_confidence import html_confidence, md_confidence
from .runner import ALL_FIELDS, RULES_ONLY, SUMMARY_METRICS, Evaluation, RunResult
from .scoring import FieldScore
from .tables import COLOURS as _COLOURS
from .tables import e as _e
from .tables import html_table as _html_table
from .tables import md_table as _md_table

__all__ = ["comparison_table", "write_report", "render_markdown", "render_html", "letter_errors", "withheld_note"]

MAJORITY = "majority answer"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _cell(fs: FieldScore | None, interval: bool = True) -> str:
    if fs is None or fs.total == 0:
        return "–"
    text = f"{fs.accuracy:.1%} ({fs.correct}/{fs.total})"
    ci = fs.interval
    if interval and ci:
        text += f" [{ci[0]:.0%}–{ci[1]:.0%}]"
    return text


def _rows(ev: Evaluation) -> list[str]:
    return [f for f in ALL_FIELDS if any(r.metric(f) is not None for r in ev.runs) or f in ev.majority.fields
            ] + list(SUMMARY_METRICS)


def _majority(ev: Evaluation, row: str) -> FieldScore | None:
    if row in ev.majority.fields:
        return ev.majority.fields[row]
    return {"Upheld recall": ev.majority.upheld_recall,
            "Overturned recall": ev.majority.overturned_recall}.get(row)


def comparison_table(ev: Evaluation) -> str:
    """Every field and figure, one column per run (accuracy and counts), for the terminal."""
    heads = [r.name for r in ev.runs] + [MAJORITY]
    rows = _rows(ev)
    body = []
    for row in rows:
        cells = [_cell(r.metric(row), interval=False) for r in ev.runs] + [_cell(_majority(ev, row), False)]
        body.append([row, *cells])
    body.append(["failed letters", *[str(len(r.failed)) for r in ev.runs], "–"])
    body.append(["letters re-asked", *[str(len(r.reasked)) for r in ev.runs], "–"])
    body.append(["seconds per letter", *[_num(r.per_letter("seconds"), 3) for r in ev.runs], "–"])
    widths = [max(len(x[i]) for x in [["field", *heads], *body]) for i in range(len(heads) + 1)]
    lines = []
    for cells in [["field", *heads], *body]:
        pairs = enumerate(zip(cells, widths, strict=True))
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs))
    return "\n".join(lines)


def _num(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x:,.{digits}f}"


def letter_errors(ev: Evaluation) -> dict[str, list[dict[str, Any]]]:
    """Per letter, each wrong answer: field, item, the label's value and what each run gave.

    Only letters with at least one wrong answer in some run appear; a run that got a row
    right has no entry in its ``got``. Letters of a held-out split are left out unless the
    evaluation was run with ``show_test=True`` (:func:`withheld_note` says how many).
    """
    out: dict[str, dict[tuple[str, Any, Any], dict[str, Any]]] = {}
    for run in ev.runs:
        for ls in run.score.letters:
            if ls.name in ev.withheld:
                continue
            for err in ls.errors:
                # Unmatched items are keyed by the request so each run's miss or extra lines up.
                key = (err["field"], err.get("item"), json.dumps(err["want"], default=str)
                       if err["field"] in ("item", "letter") else None)
                row = out.setdefault(ls.name, {}).setdefault(
                    key, {"field": err["field"], "item": err.get("item"), "want": err["want"], "got": {}})
                row["got"][run.name] = err["got"]
    return {name: list(rows.values()) for name, rows in sorted(out.items())}


def withheld_note(ev: Evaluation) -> str | None:
    """One sentence on the held-out letters whose wrong answers are not listed; None when none are."""
    if not ev.withheld:
        return None
    wrong = {ls.name for run in ev.runs for ls in run.score.letters if ls.name in ev.withheld and ls.errors}
    return (f"The {len(ev.withheld)} letters of the held-out split are not listed ({len(wrong)} of them have a "
            "wrong answer in some run): they are counted in every figure above, and their items stay unread "
            "so that the split can still judge a change. `llm-extract eval --show-test` lists them.")


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return value if len(value) <= 160 else value[:157] + "..."
    return json.dumps(value, ensure_ascii=False, default=str)


def _where(row: dict[str, Any]) -> str:
    if row["field"] == "item":
        return "item (missed)" if row["want"] is not None else "item (extra)"
    return row["field"] + (f" [item {row['item'] + 1}]" if row["item"] is not None else "")


# ---------------------------------------------------------------------------------------- md

def _cost_rows(ev: Evaluation) -> list[list[str]]:
    rows = []
    for r in ev.runs:
        s = r.summary()
        rows.append([
            r.name, str(s["letters"]), str(s["failed"]), str(s["reasked"]),
            _num(s["seconds_per_letter"], 3), _num(s["prompt_tokens_per_letter"], 0),
            _num(s["completion_tokens_per_letter"], 0), _num(s["model_calls_per_letter"], 2),
            _num(s["reasks_per_letter"], 2), _pct(s["mean_field_accuracy"]),
            str(s["cost_unknown"]) if s["cost_unknown"] else "0",
        ])
    return rows


_COST_HEAD = ["run", "letters", "failed", "re-asked", "s / letter", "prompt tok / letter",
              "completion tok / letter", "model calls / letter", "re-asks / letter", "mean field accuracy",
              "cost unknown"]


def _confusion(run: RunResult) -> tuple[list[str], list[list[str]]] | None:
    matrix = run.score.category_confusion()
    # The rules leave every category null: a matrix of "none" columns would say nothing.
    if not matrix or "item.category" not in run.fields:
        return None
    cols = sorted({c for row in matrix.values() for c in row} | set(matrix))
    rows = [[want, *[str(matrix.get(want, {}).get(c, "")) for c in cols]] for want in cols if want in matrix]
    return ["label \\ predicted", *cols], rows


#: The figures shown per split, in the side-by-side table.
_SPLIT_ROWS = ("item.category", "item.drug_class", "item.treatment", "item.treatment_lenient",
               "diagnoses precision", "diagnoses recall", "item.decision", "item recall",
               "letters with every field right")


def _split_section(ev: Evaluation) -> list[str]:
    """Dev and test side by side: the held-out split is where a change is judged."""
    names = list(ev.runs[0].splits) if ev.runs else []
    if len(names) < 2:
        return []
    heads = ["figure", *[f"{r.name} · {n}" for r in ev.runs for n in names]]
    subs = [r.split(n) for r in ev.runs for n in names]
    rows = [[row, *[_cell(sub.metric(row)) for sub in subs]] for row in _SPLIT_ROWS]
    rows.append(["diagnoses F1", *[_f(sub.score.diagnoses_f1) for sub in subs]])
    rows.append(["s / letter", *[_f(sub.per_letter("seconds"), 2) for sub in subs]])
    rows.append(["letters with no model call", *[_f(sub.no_call_share()) for sub in subs]])
    rows.append(["failed letters", *[str(len(sub.failed)) for sub in subs]])
    return ["## Dev and test side by side", "",
            "Rules and prompts are written from *dev* letters only; *test* letters are held out.", "",
            *_md_table(heads, rows), ""]


def _f(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def render_markdown(ev: Evaluation) -> str:
    """The whole report as Markdown."""
    out = [
        *_md_intro(ev),
        *_md_accuracy(ev),
        *_md_baseline(ev),
        *md_confidence(ev),
        *_md_runs(ev),
        *_md_letter_errors(ev),
    ]
    return "\n".join(out).rstrip() + "\n"


def _md_intro(ev: Evaluation) -> list[str]:
    """The heading, what the cells mean, the baselines and the cost table."""
    return [
        "# Extraction evaluation",
        "",
        f"llm-extract {ev.version}, {ev.created}. Fixtures: `{ev.fixtures}`, {len(ev.letters)} letters, "
        f"{ev.labelled_items} labelled items. Evaluated in {ev.seconds:.1f} s "
        f"(letters read once in {ev.read_seconds:.1f} s and shared by every run).",
        "",
        "Each cell: accuracy (right / scored) [95% Wilson interval]. Letter fields are scored once per "
        "letter, item fields once per item matched to a labelled item (by request similarity). "
        "A failed letter counts: its letter fields are wrong and its items missed. "
        "`–`: the run does not give that field (the rules do not read diagnoses, treatments, "
        "categories or drug classes).",
        "",
        f"Baselines: **{RULES_ONLY}** (the deterministic pass alone) and **{MAJORITY}**: for each "
        "enumerated field, the most common labelled value, taken over all labels and scored on the same "
        "labels (not leave-one-out, so slightly flattering). Majority answers: "
        + ", ".join(f"`{k}` = `{_show(v)}`" for k, v in ev.majority.answers.items()) + ".",
        "",
        "## Runs and cost",
        "",
        *_md_table(_COST_HEAD, _cost_rows(ev)),
        "",
        "Seconds, tokens and calls are per letter and include re-asks; for answers served from the "
        "answer cache they are the cost measured when the answer was made. \"cost unknown\": letters "
        "answered from a cache filled outside an evaluation, left out of the cost means. "
        "Mean field accuracy: the mean over all schema fields, a field the run does not give counting 0.",
        "",
        *_split_section(ev),
    ]


def _md_accuracy(ev: Evaluation) -> list[str]:
    """One row per field, one column per run and the majority answer."""
    heads = ["field", *[r.name for r in ev.runs], MAJORITY]
    rows = [[row, *[_cell(r.metric(row)) for r in ev.runs], _cell(_majority(ev, row))] for row in _rows(ev)]
    return ["## Accuracy by field", "", *_md_table(heads, rows)]


def _md_baseline(ev: Evaluation) -> list[str]:
    """The figures lower than the baseline's, if a baseline was given."""
    if not (ev.changes or ev.baseline):
        return []
    out = ["", f"## Against the baseline ({ev.baseline})", ""]
    worse = [c for c in ev.changes if c.worse]
    if not worse:
        out.append("No figure is lower than the baseline.")
    else:
        out += _md_table(
            ["run", "figure", "baseline run", "baseline", "now", "verdict"],
            [[c.run, c.field, c.baseline_run, _change_cell(c.baseline), _change_cell(c.current),
              "**REGRESSION** (below the baseline's interval)" if c.regression else "worse (within interval)"]
             for c in worse])
    return out


def _md_runs(ev: Evaluation) -> list[str]:
    """Per run: the category confusion matrix, failed letters and re-asked letters."""
    out: list[str] = []
    for run in ev.runs:
        conf = _confusion(run)
        failed = run.failed
        if conf is None and not failed and not run.reasked:
            continue
        out += ["", f"## {run.name}", ""]
        if conf is not None:
            out += ["Category confusion matrix (rows: label, columns: prediction; matched items):", ""]
            out += _md_table(*conf)
            out.append("")
        if failed:
            out.append(f"Failed letters ({len(failed)}):")
            out += [f"- `{c.name}`: {c.error_type}: {_show(c.failed)}" for c in failed]
            out.append("")
        if run.reasked:
            out.append(f"Letters that needed a re-ask ({len(run.reasked)}): "
                       + ", ".join(f"`{c.name}` ({c.reasks})" for c in run.reasked))
    return out


def _md_letter_errors(ev: Evaluation) -> list[str]:
    """Every wrong field of every letter, with each run's value."""
    out = ["", "## What each run got wrong, letter by letter", ""]
    errors = letter_errors(ev)
    note = withheld_note(ev)
    if note:
        out += [note, ""]
    if not errors:
        out.append("Every run got every scored field of every listed letter right.")
    for name, rows_ in errors.items():
        out += [f"### {name}", ""]
        out += _md_table(["field", "label", *[r.name for r in ev.runs]],
                         [[_where(row), _show(row["want"]),
                           *[_show(row["got"][r.name]) if r.name in row["got"] else "✓" for r in ev.runs]]
                          for row in rows_])
        out.append("")
    return out


def _change_cell(d: dict[str, Any]) -> str:
    lo, hi = d.get("low"), d.get("high")
    ci = f" [{lo:.0%}–{hi:.0%}]" if lo is not None and hi is not None else ""
    return f"{d['accuracy']:.1%} ({d['correct']}/{d['total']}){ci}"


# -------------------------------------------------------------------------------------- html

def _accuracy_svg(ev: Evaluation) -> str:
    """Horizontal bars: one group per field, one bar per run (and the majority), 95% whiskers."""
    series: list[tuple[str, Any]] = [(r.name, r.metric) for r in ev.runs]
    series.append((MAJORITY, lambda row: _majority(ev, row)))
    rows = [row for row in _rows(ev)]
    bar, gap, label_w, plot_w = 9, 10, 260, 560
    group_h = bar * len(series) + gap
    top, legend_h = 30, 18 * len(series) + 10
    height = top + group_h * len(rows) + 30 + legend_h
    width = label_w + plot_w + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="accuracy-chart" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="Accuracy by field and run, with 95% intervals">',
             f'<text x="{label_w}" y="16" class="title">Accuracy by field and run (bars), 95% Wilson interval '
             '(whiskers)</text>']
    for tick in range(0, 101, 20):
        x = label_w + plot_w * tick / 100
        parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{top + group_h * len(rows)}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{top + group_h * len(rows) + 14}" text-anchor="middle" '
                     f'class="tick">{tick}%</text>')
    for gi, row in enumerate(rows):
        y0 = top + gi * group_h
        parts.append(f'<text x="{label_w - 8}" y="{y0 + group_h / 2}" text-anchor="end" '
                     f'dominant-baseline="middle" class="label">{_e(row)}</text>')
        for si, (name, get) in enumerate(series):
            fs = get(row)
            y = y0 + si * bar
            if fs is None or fs.total == 0:
                continue
            w = plot_w * (fs.accuracy or 0)
            colour = _COLOURS[si % len(_COLOURS)]
            parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar - 1}" fill="{colour}">'
                         f'<title>{_e(name)}: {_e(row)} {_e(_cell(fs))}</title></rect>')
            ci = fs.interval
            if ci:
                x1, x2 = label_w + plot_w * ci[0], label_w + plot_w * ci[1]
                ym = y + (bar - 1) / 2
                parts.append(f'<line x1="{x1:.1f}" y1="{ym:.1f}" x2="{x2:.1f}" y2="{ym:.1f}" stroke="#000" '
                             'stroke-width="1"/>')
    ly = top + group_h * len(rows) + 30
    for si, (name, _) in enumerate(series):
        y = ly + si * 18
        parts.append(f'<rect x="{label_w}" y="{y}" width="12" height="12" fill="{_COLOURS[si % len(_COLOURS)]}"/>')
        parts.append(f'<text x="{label_w + 18}" y="{y + 10}" class="label">{_e(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _cost_svg(ev: Evaluation) -> str:
    """Scatter: seconds per letter (x) against mean field accuracy (y), one point per run."""
    width, height, left, bottom, top, right = 820, 420, 70, 60, 40, 230
    pts = [(r, r.per_letter("seconds") or 0.0, r.mean_field_accuracy(), r.per_letter("prompt_tokens"),
            r.per_letter("completion_tokens")) for r in ev.runs]
    xmax = max([p[1] for p in pts] + [1.0]) * 1.1
    ys = [p[2] for p in pts]
    ylo = max(0.0, min(ys) - 0.1)
    yhi = min(1.0, max(ys) + 0.05)
    if yhi - ylo < 0.1:
        ylo, yhi = max(0.0, yhi - 0.2), min(1.0, yhi + 0.05)
    pw, ph = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + pw * x / xmax

    def sy(y: float) -> float:
        return top + ph * (1 - (y - ylo) / (yhi - ylo))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="cost-chart" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             'aria-label="Cost against accuracy, one point per run">',
             f'<text x="{left}" y="20" class="title">Cost against accuracy: seconds per letter vs mean field '
             'accuracy</text>',
             f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>']
    for i in range(6):
        xv = xmax * i / 5
        parts.append(f'<text x="{sx(xv):.1f}" y="{top + ph + 16}" text-anchor="middle" class="tick">'
                     f'{xv:.1f}</text>')
        yv = ylo + (yhi - ylo) * i / 5
        parts.append(f'<line x1="{left}" y1="{sy(yv):.1f}" x2="{left + pw}" y2="{sy(yv):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 6}" y="{sy(yv) + 4:.1f}" text-anchor="end" class="tick">{yv:.0%}</text>')
    parts.append(f'<text x="{left + pw / 2}" y="{height - 18}" text-anchor="middle" class="label">seconds per '
                 'letter (model time as first measured; re-asks included)</text>')
    parts.append(f'<text x="16" y="{top + ph / 2}" text-anchor="middle" class="label" '
                 f'transform="rotate(-90 16 {top + ph / 2})">mean field accuracy</text>')
    for i, (r, x, y, pt, ct) in enumerate(pts):
        colour = _COLOURS[i % len(_COLOURS)]
        tokens = "" if pt is None else f", {pt:,.0f}+{ct:,.0f} tokens/letter"
        parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="6" fill="{colour}"><title>{_e(r.name)}: '
                     f'{x:.2f} s/letter, {y:.1%}{_e(tokens)}</title></circle>')
        ly = top + 14 + i * 18
        parts.append(f'<circle cx="{left + pw + 16}" cy="{ly - 4}" r="5" fill="{colour}"/>')
        parts.append(f'<text x="{left + pw + 26}" y="{ly}" class="label">{_e(r.name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;
vertical-align:top}th{background:#f2f2f2}td{font-variant-numeric:tabular-nums}
.regression{color:#b00;font-weight:bold}.note{color:#555;max-width:1000px}
svg.chart{display:block;margin:10px 0 24px}svg .title{font-size:13px;font-weight:bold}
svg .label{font-size:11px}svg .tick{font-size:10px;fill:#555}details{margin:4px 0}
"""


def render_html(ev: Evaluation) -> str:
    """The whole report as one self-contained HTML page (inline CSS and SVG, no script)."""
    md_note = (f"llm-extract {ev.version}, {ev.created}. Fixtures: {ev.fixtures}, {len(ev.letters)} letters, "
               f"{ev.labelled_items} labelled items. Evaluated in {ev.seconds:.1f} s.")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>llm-extract evaluation</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>Extraction evaluation</h1>", f'<p class="note">{_e(md_note)}</p>',
        '<p class="note">Each cell: accuracy (right / scored) [95% Wilson interval]. Letter fields are scored '
        "once per letter, item fields once per matched item. A failed letter counts as wrong, never dropped. "
        f"Baselines: {RULES_ONLY} and the {MAJORITY} per enumerated field (majority over all labels, scored on "
        "the same labels, not leave-one-out): "
        + _e(", ".join(f"{k} = {_show(v)}" for k, v in ev.majority.answers.items())) + ".</p>",
        "<h2>Runs and cost</h2>", _html_table(_COST_HEAD, _cost_rows(ev)),
        '<p class="note">Per letter, re-asks included; answers from the cache carry the cost measured when '
        "they were made.</p>",
        _cost_svg(ev),
        "<h2>Accuracy by field</h2>", _accuracy_svg(ev),
    ]
    heads = ["field", *[r.name for r in ev.runs], MAJORITY]
    rows = [[row, *[_cell(r.metric(row)) for r in ev.runs], _cell(_majority(ev, row))] for row in _rows(ev)]
    parts.append(_html_table(heads, rows, "accuracy"))
    parts += html_confidence(ev)
    if ev.baseline:
        parts.append(f"<h2>Against the baseline ({_e(ev.baseline)})</h2>")
        worse = [c for c in ev.changes if c.worse]
        if not worse:
            parts.append("<p>No figure is lower than the baseline.</p>")
        else:
            body = "".join(
                f'<tr class="{"regression" if c.regression else ""}"><td>{_e(c.run)}</td><td>{_e(c.field)}</td>'
                f"<td>{_e(c.baseline_run)}</td><td>{_e(_change_cell(c.baseline))}</td>"
                f"<td>{_e(_change_cell(c.current))}</td><td>"
                f"{'REGRESSION (below the baseline interval)' if c.regression else 'worse (within interval)'}"
                "</td></tr>" for c in worse)
            parts.append("<table><thead><tr><th>run</th><th>figure</th><th>baseline run</th><th>baseline</th>"
                         f"<th>now</th><th>verdict</th></tr></thead><tbody>{body}</tbody></table>")
    for run in ev.runs:
        conf = _confusion(run)
        if conf is None and not run.failed and not run.reasked:
            continue
        parts.append(f"<h2>{_e(run.name)}</h2>")
        if conf is not None:
            parts.append("<p>Category confusion matrix (rows: label, columns: prediction; matched items)</p>")
            parts.append(_html_table(*conf, "confusion"))
        if run.failed:
            parts.append(f"<p>Failed letters ({len(run.failed)}):</p><ul>"
                         + "".join(f"<li>{_e(c.name)}: {_e(c.error_type)}: {_e(_show(c.failed))}</li>"
                                   for c in run.failed) + "</ul>")
        if run.reasked:
            parts.append(f"<p>Letters that needed a re-ask ({len(run.reasked)}): "
                         + _e(", ".join(f"{c.name} ({c.reasks})" for c in run.reasked)) + "</p>")
    parts.append("<h2>What each run got wrong, letter by letter</h2>")
    errors = letter_errors(ev)
    note = withheld_note(ev)
    if note:
        parts.append(f'<p class="note">{_e(note)}</p>')
    if not errors:
        parts.append("<p>Every run got every scored field of every listed letter right.</p>")
    for name, rows_ in errors.items():
        table = _html_table(["field", "label", *[r.name for r in ev.runs]],
                            [[_where(row), _show(row["want"]),
                              *[_show(row["got"][r.name]) if r.name in row["got"] else "✓" for r in ev.runs]]
                             for row in rows_], "errors")
        parts.append(f"<details><summary>{_e(name)} ({len(rows_)} wrong)</summary>{table}</details>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(ev: Evaluation, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write results.json, report.md and report.html into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"results": out / "results.json", "markdown": out / "report.md", "html": out / "report.html"}
    paths["results"].write_text(json.dumps(ev.to_dict(), indent=1, ensure_ascii=False, default=str) + "\n",
                                encoding="utf-8")
    paths["markdown"].write_text(render_markdown(ev), encoding="utf-8")
    paths["html"].write_text(render_html(ev), encoding="utf-8")
    return paths

