"""The report's confidence section: accuracy by source, and what the review threshold flags.

Markdown tables and, for the HTML page, a risk–coverage chart (inline SVG): the share of item
values flagged for review against the accuracy of the values kept, one curve per run and
fixture split, with the review threshold marked.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..rules.confidence import DIAGNOSIS_REVIEW_THRESHOLD, REVIEW_THRESHOLD
from .calibration import ITEM_VALUES, Flagging, ValueScore, at_threshold, by_source, left_open, risk_coverage
from .runner import Evaluation, RunResult
from .tables import COLOURS as _COLOURS
from .tables import e as _e
from .tables import html_table as _html_table
from .tables import md_table as _md_table

__all__ = ["md_confidence", "html_confidence"]

#: Thresholds shown in the risk–coverage table (the review threshold is added).
_CUTS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def _subs(ev: Evaluation) -> list[tuple[str, RunResult]]:
    """Every run split by fixture split (``run · dev``), or whole where the fixtures have one split."""
    out = []
    for r in ev.runs:
        names = list(r.splits)
        if len(names) < 2:
            out.append((r.name, r))
        else:
            out += [(f"{r.name} · {n}", r.split(n)) for n in names]
    return out


def _source_rows(subs: Sequence[tuple[str, RunResult]]) -> list[list[str]]:
    tables = [by_source(sub.score.values) for _, sub in subs]
    keys: dict[tuple[str, str], None] = {}
    for t in tables:
        for f, srcs in t.items():
            for src in srcs:
                keys.setdefault((f, src), None)
    rows = []
    for f, src in sorted(keys, key=lambda k: (_FIELD_ORDER.get(k[0], 9), k[1])):
        cells = []
        for t in tables:
            right, total = t.get(f, {}).get(src, (0, 0))
            cells.append(f"{right / total:.1%} ({right}/{total})" if total else "–")
        rows.append([f, src, *cells])
    return rows


_FIELD_ORDER = {"category": 0, "drug_class": 1, "treatment": 2, "diagnosis": 3}


def _flag_cell(fl: Flagging) -> str:
    if not fl.values:
        return "–"
    caught = "–" if fl.caught_share is None else f"{fl.caught_share:.0%} ({fl.wrong_flagged}/{fl.wrong})"
    return f"{fl.flagged_share:.1%} flagged, {caught} of wrong caught"


def _threshold_rows(subs: Sequence[tuple[str, RunResult]]) -> list[list[str]]:
    rows = []
    for cut in sorted(set(_CUTS) | {REVIEW_THRESHOLD}):
        mark = " (review threshold)" if cut == REVIEW_THRESHOLD else ""
        cells = [_flag_cell(at_threshold(_item_values(sub), cut)) for _, sub in subs]
        rows.append([f"{cut:g}{mark}", *cells])
    return rows


def _item_values(run: RunResult) -> list[ValueScore]:
    return [v for v in run.score.values if v.field in ITEM_VALUES]


def md_confidence(ev: Evaluation) -> list[str]:
    """Accuracy by source, and what each threshold flags, per run and split."""
    subs = [(n, s) for n, s in _subs(ev) if s.score.values]
    if not subs:
        return []
    out = ["", "## Accuracy by source", "",
           "What answered each scored value (item values matched to a label; every extracted diagnosis), "
           "and how often it was right. `words`: the request's words; `topic`: the MAXIMUS guideline "
           "line's topic; `dictionary`: the drug dictionary; `neighbours`: the nearest labelled request "
           "wordings; `model`; `rules`: a name or diagnosis statement read by rule; `none`: left null. "
           "A non-drug item's null drug class carries its category's source.", "",
           *_md_table(["field", "source", *[n for n, _ in subs]], _source_rows(subs)), "",
           "## Confidence: what the review threshold flags", "",
           f"A value is flagged for review (`needs_review`) when its confidence is below the threshold "
           f"({REVIEW_THRESHOLD:g}, chosen on dev). Per threshold: the share of item values (treatment, "
           "category, drug class) flagged, and the share of the wrong ones among them.", "",
           *_md_table(["threshold", *[n for n, _ in subs]], _threshold_rows(subs)), ""]
    out += ["Categories the rules' words, topic and dictionary left open or contested, and who answered "
            "them (right / total):", ""]
    out += [f"- {n}: " + _open_cell(left_open(s.score.values)) for n, s in subs]
    out.append("")
    dx = [(n, at_threshold([v for v in s.score.values if v.field == "diagnosis"], DIAGNOSIS_REVIEW_THRESHOLD))
          for n, s in subs]
    out += [f"Diagnoses at their review threshold ({DIAGNOSIS_REVIEW_THRESHOLD:g}): "
            + "; ".join(f"{n}: {_flag_cell(fl)}" for n, fl in dx), ""]
    return out


def _open_cell(table: dict[str, tuple[int, int]]) -> str:
    right, total = table["all"]
    if not total:
        return "none"
    parts = [f"{who} {r}/{t}" for who, (r, t) in table.items() if who != "all"]
    return f"{right}/{total} right ({', '.join(parts)})"


def _risk_svg(ev: Evaluation) -> str:
    """Risk–coverage: share of item values flagged (x) against the accuracy of those kept (y)."""
    subs = [(n, s) for n, s in _subs(ev) if _item_values(s)]
    if not subs:
        return ""
    width, height, left, bottom, top, right = 1040, 420, 70, 60, 40, 420
    pw, ph = width - left - right, height - top - bottom
    curves = [(n, risk_coverage(_item_values(s)), at_threshold(_item_values(s), REVIEW_THRESHOLD)) for n, s in subs]
    accs = [p.kept_accuracy for _, c, _ in curves for p in c if p.kept_accuracy is not None]
    ylo = max(0.0, min(accs + [1.0]) - 0.02)

    def sx(x: float) -> float:
        return left + pw * x

    def sy(y: float) -> float:
        return top + ph * (1 - (y - ylo) / (1.0 - ylo if ylo < 1.0 else 1.0))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="risk-coverage-chart" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
             'aria-label="Risk-coverage: share flagged against accuracy of the values kept">',
             f'<text x="{left}" y="20" class="title">Risk–coverage: share of item values flagged vs accuracy of '
             f'those kept (dot: the review threshold, {REVIEW_THRESHOLD:g}; dashed: dev)</text>',
             f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>']
    for i in range(6):
        xv = i / 5
        parts.append(f'<text x="{sx(xv):.1f}" y="{top + ph + 16}" text-anchor="middle" class="tick">{xv:.0%}</text>')
        yv = ylo + (1.0 - ylo) * i / 5
        parts.append(f'<line x1="{left}" y1="{sy(yv):.1f}" x2="{left + pw}" y2="{sy(yv):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 6}" y="{sy(yv) + 4:.1f}" text-anchor="end" class="tick">{yv:.1%}</text>')
    parts.append(f'<text x="{left + pw / 2}" y="{height - 18}" text-anchor="middle" class="label">share of item '
                 'values flagged for review</text>')
    runs = list(dict.fromkeys(name.split(" · ")[0] for name, _, _ in curves))
    for i, (name, curve, chosen) in enumerate(curves):
        # One colour per run; its dev curve dashed, its held-out test curve solid.
        colour = _COLOURS[runs.index(name.split(" · ")[0]) % len(_COLOURS)]
        dash = ' stroke-dasharray="5,3"' if name.endswith(" · dev") else ""
        pts = [(p.flagged_share or 0.0, p.kept_accuracy) for p in curve if p.kept_accuracy is not None]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        if chosen.kept_accuracy is not None:
            parts.append(f'<circle cx="{sx(chosen.flagged_share or 0.0):.1f}" cy="{sy(chosen.kept_accuracy):.1f}" '
                         f'r="5" fill="{colour}"><title>{_e(name)}: {_e(_flag_cell(chosen))}</title></circle>')
        ly = top + 14 + i * 18
        parts.append(f'<line x1="{left + pw + 10}" y1="{ly - 4}" x2="{left + pw + 24}" y2="{ly - 4}" '
                     f'stroke="{colour}" stroke-width="2"{dash}/>')
        parts.append(f'<text x="{left + pw + 30}" y="{ly}" class="label">{_e(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def html_confidence(ev: Evaluation) -> list[str]:
    subs = [(n, s) for n, s in _subs(ev) if s.score.values]
    if not subs:
        return []
    return ["<h2>Accuracy by source</h2>",
            _html_table(["field", "source", *[n for n, _ in subs]], _source_rows(subs), "sources"),
            "<h2>Confidence: what the review threshold flags</h2>", _risk_svg(ev),
            _html_table(["threshold", *[n for n, _ in subs]], _threshold_rows(subs), "thresholds")]
