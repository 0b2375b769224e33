"""Corpus statistics over a batch folder, beside the DWC's published figures.

Counted once per distinct letter (duplicates excluded). Category and drug-class shares are
taken over the items that have a category (from the request's words in a rules-only run, from
the model otherwise); when no item has one, the figures read ``n/a (rules-only)`` instead of
numbers computed over nothing.
"""

from __future__ import annotations

import os
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .store import iter_letters

__all__ = ["DWC_2016", "StatsAccumulator", "corpus_stats", "format_stats", "write_chart"]

NA_RULES_ONLY = "n/a (rules-only)"

#: The Division of Workers' Compensation's published IMR figures for 2016.
DWC_2016: dict[str, Any] = {
    "share_upheld": 0.916,           # 91.6% of IMR decisions upheld the UR decision
    "pharmaceutical_share_min": 0.40,  # pharmaceuticals: over 40% of requests
    "opioid_share_of_pharmaceutical": 0.30,  # about 3 in 10 pharmaceutical requests
    "source": "DWC, Independent Medical Review 2016 figures",
}


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def days_between(start: str | None, end: str | None) -> int | None:
    """Days from one ISO date to another; ``None`` when either is missing or malformed."""
    import datetime as dt

    if not start or not end:
        return None
    try:
        return (dt.date.fromisoformat(end) - dt.date.fromisoformat(start)).days
    except ValueError:
        return None


class StatsAccumulator:
    """Counts fed one record (as a JSON dict) at a time; memory grows with distinct values only."""

    def __init__(self) -> None:
        self.letters = 0
        self.items = 0
        self.upheld = 0
        self.letters_all_upheld = 0
        self.items_per_letter: Counter[int] = Counter()
        self.categorised = 0
        self.by_category: Counter[str] = Counter()
        self.upheld_by_category: Counter[str] = Counter()
        self.drug_classed = 0
        self.by_drug_class: Counter[str] = Counter()
        self.specialties: Counter[str] = Counter()
        self.days: Counter[int] = Counter()  # a histogram keeps memory flat on any corpus
        self.decision_dates: list[str] = []

    def add(self, rec: dict[str, Any]) -> None:
        """Count one letter's record."""
        items = rec.get("items") or []
        self.letters += 1
        self.items += len(items)
        self.items_per_letter[len(items)] += 1
        up = sum(1 for i in items if i.get("decision") == "Upheld")
        self.upheld += up
        if items and up == len(items):
            self.letters_all_upheld += 1
        for item in items:
            cat = item.get("category")
            if cat is None:
                continue
            self.categorised += 1
            self.by_category[cat] += 1
            if item.get("decision") == "Upheld":
                self.upheld_by_category[cat] += 1
            if cat == "pharmaceutical":
                dc = item.get("drug_class")
                if dc is not None:
                    self.drug_classed += 1
                    self.by_drug_class[dc] += 1
        for s in (rec.get("reviewer") or {}).get("specialties") or []:
            self.specialties[s] += 1
        d = days_between(rec.get("application_received"), rec.get("decision_date"))
        if d is not None:
            self.days[d] += 1
        if rec.get("decision_date"):
            dd = rec["decision_date"]
            # Only the range is reported; keep the two ends, not every date.
            if not self.decision_dates:
                self.decision_dates = [dd, dd]
            else:
                self.decision_dates = [min(self.decision_dates[0], dd), max(self.decision_dates[1], dd)]

    def result(self) -> dict[str, Any]:
        """The statistics as plain data (the ``stats`` part of ``summary.json``)."""
        rules_only = self.items > 0 and self.categorised == 0
        pharma = self.by_category.get("pharmaceutical", 0)
        days_values = sorted(self.days.elements())
        out: dict[str, Any] = {
            "letters": self.letters,
            "items": self.items,
            "decision_dates": self.decision_dates or None,
            "share_upheld": _share(self.upheld, self.items),
            "upheld": self.upheld,
            "overturned": self.items - self.upheld,
            "share_letters_all_upheld": _share(self.letters_all_upheld, self.letters),
            "items_per_letter": {
                "mean": round(self.items / self.letters, 3) if self.letters else None,
                "median": statistics.median(self.items_per_letter.elements()) if self.letters else None,
                "max": max(self.items_per_letter) if self.letters else None,
                "distribution": {str(k): v for k, v in sorted(self.items_per_letter.items())},
            },
            "categorised_items": self.categorised,
            "uncategorised_items": self.items - self.categorised,
            "reviewer_specialties": dict(self.specialties.most_common()),
            "days_application_to_decision": {
                "letters": len(days_values),
                "median": statistics.median(days_values) if days_values else None,
                "mean": round(statistics.fmean(days_values), 1) if days_values else None,
                "p90": days_values[int(0.9 * (len(days_values) - 1))] if days_values else None,
                "min": days_values[0] if days_values else None,
                "max": days_values[-1] if days_values else None,
            },
            "dwc_2016": DWC_2016,
        }
        if rules_only or not self.items:
            na = NA_RULES_ONLY if rules_only else None
            out.update(by_category=na, pharmaceutical_share=na, drug_class_shares=na, opioid_share_of_pharmaceutical=na)
        else:
            out["by_category"] = {
                c: {"items": n, "share": _share(n, self.categorised), "upheld": self.upheld_by_category[c],
                    "share_upheld": _share(self.upheld_by_category[c], n)}
                for c, n in self.by_category.most_common()
            }
            # Shares are over the items that have a category, so a partly classified corpus
            # (some model failures kept as rules-only records) is not diluted.
            out["pharmaceutical_share"] = _share(pharma, self.categorised)
            out["drug_class_shares"] = {
                c: _share(n, self.drug_classed) for c, n in self.by_drug_class.most_common()
            }
            out["opioid_share_of_pharmaceutical"] = _share(self.by_drug_class.get("opioid", 0), self.drug_classed)
        return out


def corpus_stats(out_dirs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> dict[str, Any]:
    """Statistics over one batch folder, or several shard folders counted together."""
    dirs = [Path(out_dirs)] if isinstance(out_dirs, (str, os.PathLike)) else [Path(d) for d in out_dirs]
    acc = StatsAccumulator()
    for _, rec, _ in iter_letters(dirs):
        acc.add(rec)
    return acc.result()


def _pct(v: Any) -> str:
    if isinstance(v, str):
        return v
    return "-" if v is None else f"{100 * v:.1f}%"


def format_stats(stats: dict[str, Any]) -> str:
    """The statistics as a plain-text table, each figure beside the DWC's 2016 figure."""
    rows: list[tuple[str, str, str]] = []
    add = rows.append
    dates = stats.get("decision_dates")
    add(("Letters (distinct)", f"{stats['letters']:,}", ""))
    add(("Decision dates", f"{dates[0]} to {dates[1]}" if dates else "-", "2016"))
    add(("Disputed items", f"{stats['items']:,}", ""))
    add(("Share of items upheld", _pct(stats["share_upheld"]), "91.6%"))
    add(("Letters with every item upheld", _pct(stats["share_letters_all_upheld"]), ""))
    ipl = stats["items_per_letter"]
    add(("Items per letter (mean / median / max)",
         f"{ipl['mean']} / {ipl['median']} / {ipl['max']}" if ipl["mean"] is not None else "-", ""))
    add(("Pharmaceutical share of items", _pct(stats["pharmaceutical_share"]), "> 40%"))
    add(("Opioids among pharmaceutical items", _pct(stats["opioid_share_of_pharmaceutical"]), "about 30%"))
    days = stats["days_application_to_decision"]
    if days["letters"]:
        add(("Days application -> decision (median / mean / p90)",
             f"{days['median']} / {days['mean']} / {days['p90']}", ""))
    else:
        add(("Days application -> decision", "-", ""))
    lines = _table(["Measure", "This corpus", "DWC 2016"], rows)

    by_cat = stats["by_category"]
    lines.append("")
    if isinstance(by_cat, dict):
        cat_rows = [(c, f"{v['items']:,}", _pct(v["share"]), _pct(v["share_upheld"])) for c, v in by_cat.items()]
        lines += _table(["Category", "Items", "Share", "Upheld"], cat_rows)
        if stats.get("uncategorised_items"):
            lines.append(f"({stats['uncategorised_items']} items without a category are left out of the shares)")
    else:
        lines.append(f"By category: {by_cat if by_cat else '-'}")
    dcs = stats["drug_class_shares"]
    lines.append("")
    if isinstance(dcs, dict):
        lines += _table(["Drug class (pharmaceuticals)", "Share"], [(c, _pct(v)) for c, v in dcs.items()])
    else:
        lines.append(f"Drug classes within pharmaceuticals: {dcs if dcs else '-'}")
    specs = stats["reviewer_specialties"]
    if specs:
        lines.append("")
        top = list(specs.items())[:12]
        lines += _table(["Reviewer specialty", "Letters"], [(s, str(n)) for s, n in top])
        if len(specs) > len(top):
            lines.append(f"(and {len(specs) - len(top)} more)")
    return "\n".join(lines)


def _table(header: list[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    out = [fmt.format(*header), "  ".join("-" * w for w in widths)]
    out += [fmt.format(*r) for r in rows]
    return out


def write_chart(stats: dict[str, Any], path: str | os.PathLike[str]) -> str | None:
    """Draw the corpus-vs-DWC chart as a PNG; return its path, or ``None`` when skipped.

    Uses matplotlib when installed (the ``[charts]`` extra), otherwise a small built-in PNG
    writer, so the chart never needs a dependency.
    """
    from .chart import bar_chart

    groups: list[tuple[str, float | None, float | None]] = [
        ("Share upheld", stats.get("share_upheld"), DWC_2016["share_upheld"]),
    ]
    for label, key, dwc in (("Pharmaceutical share", "pharmaceutical_share", DWC_2016["pharmaceutical_share_min"]),
                            ("Opioids in pharmaceuticals", "opioid_share_of_pharmaceutical",
                             DWC_2016["opioid_share_of_pharmaceutical"])):
        v = stats.get(key)
        groups.append((label, v if isinstance(v, float) else None, dwc))
    cats = stats.get("by_category")
    if isinstance(cats, dict):
        for c, v in list(cats.items())[:6]:
            groups.append((c.replace("_", " ").capitalize(), v["share"], None))
    if stats.get("items", 0) == 0:
        return None
    title = f"IMR corpus vs DWC 2016 ({stats['letters']} letters, {stats['items']} items)"
    note = "Shares of disputed items."
    if isinstance(stats.get("by_category"), str):
        note += " n/a = rules-only run (no categories)."
    return bar_chart(groups, Path(path), title=title, note=note)
