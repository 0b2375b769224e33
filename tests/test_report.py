"""Report files: written, parseable, self-contained, and saying what each run got wrong."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIVE, copy_fixtures, plant_treatment
from llm_extract.cli.main import main
from llm_extract.evaluation.report import comparison_table, letter_errors, write_report
from llm_extract.evaluation.runner import evaluate
from llm_extract.version import __version__

RUN = "imr-hybrid@1 × fake-1b"


class _Tags(HTMLParser):
    """Counts opened and closed tags, and collects what a page would fetch."""

    VOID = {"meta", "br", "img", "link", "input", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.svgs: list[str] = []
        self.fetches: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            self.svgs.append(a.get("id") or "")
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            if a.get(key):
                self.fetches.append(a[key] or "")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.svgs.append(dict(attrs).get("id") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()


@pytest.fixture
def written(fake, tmp_path: Path):
    _, root, settings = fake
    ev = evaluate(root, prompts=["imr-hybrid@1"], settings=settings)
    paths = write_report(ev, tmp_path / "report")
    return ev, paths


def test_results_json_holds_every_letter_settings_and_version(written) -> None:
    ev, paths = written
    data = json.loads(paths["results"].read_text())
    assert data["version"] == __version__
    assert data["letters"] == sorted(FIVE)
    runs = {r["name"]: r for r in data["runs"]}
    assert set(runs) == {"rules-only", RUN}
    model = runs[RUN]
    assert model["settings"]["model"] == "fake-1b" and model["prompt"] == "imr-hybrid@1"
    assert [x["name"] for x in model["letters"]] == sorted(FIVE)
    failed = [x for x in model["letters"] if x["failed"]]
    assert [x["name"] for x in failed] == ["CM16-0233904"]
    assert failed[0]["cost"]["reasks"] == 2
    cat = model["metrics"]["item.category"]
    assert (cat["correct"], cat["total"]) == (15, 16) and cat["low"] < 15 / 16 < cat["high"]
    assert model["category_confusion"]["diagnostic"]["surgery"] == 1
    assert data["majority_baseline"]["answers"]["item.decision"] == "Upheld"


def test_markdown_shows_runs_intervals_baselines_and_errors(written) -> None:
    ev, paths = written
    md = paths["markdown"].read_text()
    assert f"| {RUN} |" in md and "| rules-only |" in md
    # 15/16 with its Wilson interval rounded to whole percents: [72%, 99%] by hand.
    assert "93.8% (15/16) [72%–99%]" in md
    assert "majority answer" in md and "not leave-one-out" in md
    assert "Category confusion matrix" in md
    assert "CM16-0233904" in md and "never validated" in md
    # The planted category mistake sits beside its label.
    section = md.split("### CM16-0213037", 1)[1].split("###", 1)[0]
    assert "| item.category [item 1] | diagnostic |" in section and "surgery" in section
    assert "made up" in section


def test_letter_errors_line_up_runs_against_the_label(written) -> None:
    ev, _ = written
    rows = letter_errors(ev)["CM16-0213037"]
    cat = [r for r in rows if r["field"] == "item.category"]
    assert cat == [{"field": "item.category", "item": 0, "want": "diagnostic", "got": {RUN: "surgery"}}]
    # The rules do not read categories, so the rules-only run has no category error to show.
    assert "CM16-0232543" not in letter_errors(ev) or all(
        "rules-only" not in r["got"] for r in letter_errors(ev)["CM16-0232543"] if r["field"] == "item.category")


def test_html_is_self_contained_and_has_its_three_charts(written) -> None:
    _, paths = written
    page = paths["html"].read_text()
    parser = _Tags()
    parser.feed(page)
    assert parser.errors == [] and parser.stack == []
    assert parser.svgs == ["cost-chart", "accuracy-chart", "risk-coverage-chart"]
    assert parser.scripts == 0 and parser.fetches == []
    # One bar per (field, run) given: the model run has all 24 fields + 5 figures.
    acc = page.split('id="accuracy-chart"', 1)[1].split("</svg>", 1)[0]
    assert acc.count(f"<title>{RUN}: ") == 25 + 7  # every field (12 letter, 13 item) and the 7 summary figures
    cost = page.split('id="cost-chart"', 1)[1].split("</svg>", 1)[0]
    assert cost.count("<circle") == 2 * 2  # a point and a legend dot per run


def test_comparison_table_has_a_column_per_run(fake) -> None:
    _, root, settings = fake
    ev = evaluate(root, prompts=["imr-hybrid@1"], settings=settings)
    lines = comparison_table(ev).splitlines()
    assert lines[0].split()[:6] == ["field", "rules-only", "imr-hybrid@1", "×", "fake-1b", "majority"]
    cat = next(line for line in lines if line.startswith("item.category "))
    # the model run 15/16; the majority (diagnostic) 9 of 17 labels.
    assert cat.split()[-4:] == ["93.8%", "(15/16)", "52.9%", "(9/17)"]


def test_cli_writes_reports_and_prints_the_table(tmp_path: Path) -> None:
    root = copy_fixtures(tmp_path / "fx", FIVE[:2])
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["eval", "--rules-only", "--fixtures", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "item precision" in result.stdout and "rules-only" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.md", "results.json"]
    assert json.loads((out / "results.json").read_text())["letters"] == FIVE[:2]


def test_held_out_letters_are_counted_but_not_listed(tmp_path: Path) -> None:
    """The test split judges a change only while its items stay unread: its wrong answers count in
    every figure, but the reports, results.json and --errors list them only when asked to."""
    root = tmp_path / "fixtures"
    copy_fixtures(root / "dev", FIVE[:2])
    planted = "Planted wrong treatment name"
    plant_treatment(copy_fixtures(root / "test", FIVE[2:]), FIVE[2], planted)

    ev = evaluate(root, rules_only=True)
    assert ev.withheld == frozenset(FIVE[2:])
    treatment = ev.run("rules-only").split("test").metric("item.treatment")
    assert treatment is not None and treatment.correct < treatment.total  # counted
    assert not set(letter_errors(ev)) & ev.withheld  # not listed
    paths = write_report(ev, tmp_path / "report")
    for path in paths.values():
        assert planted not in path.read_text(encoding="utf-8"), path.name
    assert "letters of the held-out split are not listed" in paths["markdown"].read_text(encoding="utf-8")
    data = json.loads(paths["results"].read_text(encoding="utf-8"))
    assert data["withheld_letters"] == sorted(FIVE[2:])
    rows = [ls for run in data["runs"] for ls in run["letters"] if ls["name"] == FIVE[2]]
    assert rows and all(ls["errors"] == [] and ls["errors_withheld"] >= 1 for ls in rows)

    runner = CliRunner()
    hidden = runner.invoke(main, ["eval", "--rules-only", "--fixtures", str(root), "--errors", "-q"])
    assert planted not in hidden.output and "held-out split are not listed" in hidden.output
    shown = runner.invoke(main, ["eval", "--rules-only", "--fixtures", str(root), "--errors", "-q", "--show-test"])
    assert planted in shown.output

    ev = evaluate(root, rules_only=True, show_test=True)
    assert not ev.withheld
    assert any(row["want"] == planted for row in letter_errors(ev)[FIVE[2]])
