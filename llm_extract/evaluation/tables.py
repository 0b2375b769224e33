"""Table and markup helpers shared by the report modules (Markdown and self-contained HTML)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["COLOURS", "e", "md_table", "html_table"]

#: One colour per run, in run order, for every chart.
COLOURS = ("#9a9a9a", "#3b6ea5", "#d9822b", "#2a9d5c", "#b23a48", "#7a5195", "#1b998b", "#c9a227")


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def md_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(_md_escape(h) for h in head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_md_escape(c) for c in r) + " |" for r in rows]
    return lines


def e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def html_table(head: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    h = "".join(f"<th>{e(x)}</th>" for x in head)
    b = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><thead><tr>{h}</tr></thead><tbody>{b}</tbody></table>'
