"""Score the rules' diagnoses (``read_diagnoses``) per source: dev letters and written summaries.

Two sources of evidence, both dev (never the test split):

* ``dev``: the dev fixture letters; the span read is the case summary as the rules pass
  finds it (``read_rules(...).summary``), and the labels' ``diagnoses`` are the answer.
* ``written``: ``evals/summaries/*.json``, case summaries written apart from the letters
  (``[{id, summary, diagnoses, note}]``, see the README there); the whole summary is the span.

Matching is the evaluation's own (``match_diagnoses``: one to one, fuzzy). With ``--show``
each miss (labelled, not read) and extra (read, not labelled) is listed per letter. The
calibration table gives, per statement form, how many diagnoses the rules read, the share
that matched a label, and the confidence the rules gave them.

    PYTHONPATH=. python evals/benchmarks/score_diagnoses.py [--show] [--source dev|written]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from llm_extract.evaluation.fixtures import DEFAULT_FIXTURES, load_fixtures
from llm_extract.evaluation.scoring import match_diagnoses
from llm_extract.reading import read_letter
from llm_extract.rules.diagnoses import _FORM_CONFIDENCE, _LONG_WORDS, _SYMPTOM, Diagnosis, read_diagnoses
from llm_extract.rules.rules_pass import read_rules

SUMMARIES = Path(__file__).resolve().parents[1] / "summaries"
# The smoothing's prior: the diagnoses F1 on letters from outside the corpus (0.86, issue 18),
# rounded down, weighed as ten diagnoses. The evidence is what the rules were written from, so
# its raw precision is optimistic; the prior keeps a form seen a few times from reading as sure.
PRIOR = 0.85
PRIOR_WEIGHT = 10


def dev_cases() -> Iterator[tuple[str, list[Diagnosis], list[str]]]:
    """``(name, read, labelled)`` for each dev letter, the summary span found as the rules pass finds it."""
    for fx in load_fixtures(DEFAULT_FIXTURES / "dev"):
        letter = read_letter(fx.letter)
        summary = read_rules(letter).summary
        yield fx.name, read_diagnoses(letter.text, summary.start, summary.end), list(fx.label.diagnoses)


def written_cases() -> Iterator[tuple[str, list[Diagnosis], list[str]]]:
    """``(id, read, labelled)`` for each written summary; the whole summary is the span."""
    for path in sorted(SUMMARIES.glob("*.json")):
        for row in json.loads(path.read_text(encoding="utf-8")):
            text = row["summary"]
            yield str(row["id"]), read_diagnoses(text, 0, len(text)), list(row["diagnoses"])


def used(read: list[str], labelled: list[str]) -> list[bool]:
    """Which of ``read`` the evaluation's one-to-one match counts as right.

    ``match_diagnoses`` only counts, so this keeps its figure and finds the items behind it:
    drop each item in turn and keep it dropped while the count holds; what is left is a set
    of exactly the matched size. Called with the arguments swapped it marks the labels found.
    """
    total = match_diagnoses(read, labelled)
    keep = list(range(len(read)))
    for i in range(len(read)):
        rest = [k for k in keep if k != i]
        if match_diagnoses([read[k] for k in rest], labelled) == total:
            keep = rest
    return [i in keep for i in range(len(read))]


def score(name: str, cases: Iterator[tuple[str, list[Diagnosis], list[str]]], show: bool,
          calibration: dict[str, list[tuple[bool, float, str]]]) -> tuple[int, int, int]:
    """Print one source's figures; return ``(matched, read, labelled)`` and fill ``calibration``."""
    matched = n_read = n_label = 0
    for case, read, labelled in cases:
        texts = [d.text for d in read]
        m = match_diagnoses(texts, labelled)
        matched, n_read, n_label = matched + m, n_read + len(read), n_label + len(labelled)
        flags = used(texts, labelled)
        for d, ok in zip(read, flags, strict=True):
            calibration[d.form].append((ok, d.confidence, d.text))
        if show and (m < len(read) or m < len(labelled)):
            extras = [f"{d.text}  [{d.form} {d.confidence:.2f}]" for d, ok in zip(read, flags, strict=True) if not ok]
            misses = [w for w, ok in zip(labelled, used(labelled, texts), strict=True) if not ok]
            print(f"  {name}/{case}")
            for w in misses:
                print(f"    miss : {w}")
            for e in extras:
                print(f"    extra: {e}")
    _line(name, matched, n_read, n_label)
    return matched, n_read, n_label


def _line(name: str, matched: int, n_read: int, n_label: int) -> None:
    p = matched / n_read if n_read else 0.0
    r = matched / n_label if n_label else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    print(f"{name:<10}{n_label:>9}{n_read:>7}{matched:>9}{p:>11.1%}{r:>9.1%}{f:>7.3f}")


def smoothed(right: int, n: int) -> float:
    """The share right, pulled towards ``PRIOR`` as if ``PRIOR_WEIGHT`` more had been seen."""
    return (right + PRIOR * PRIOR_WEIGHT) / (n + PRIOR_WEIGHT)


def print_calibration(calibration: dict[str, list[tuple[bool, float, str]]]) -> None:
    """Per form: n, precision, the smoothed estimate, and the confidence the rules gave (mean).

    Then the same for symptom-like and long phrases against the rest, whose ratio is what
    ``_SYMPTOM_FACTOR`` and ``_LONG_FACTOR`` estimate.
    """
    print(f"\n{'form':<22}{'n':>5}{'right':>7}{'precision':>11}{'smoothed':>10}{'constant':>10}{'given':>8}")
    for form, rows in sorted(calibration.items(), key=lambda kv: -len(kv[1])):
        right = sum(ok for ok, _, _ in rows)
        given = sum(c for _, c, _ in rows) / len(rows)
        print(f"{form:<22}{len(rows):>5}{right:>7}{right / len(rows):>11.1%}{smoothed(right, len(rows)):>10.3f}"
              f"{_FORM_CONFIDENCE.get(form, float('nan')):>10.2f}{given:>8.2f}")
    rows = [r for form_rows in calibration.values() for r in form_rows]
    tests = {"symptom-like": lambda t: bool(_SYMPTOM.search(t)),
             f"> {_LONG_WORDS} words": lambda t: len(t.split()) > _LONG_WORDS}
    print(f"\n{'phrase':<22}{'n':>5}{'right':>7}{'smoothed':>10}{'rest n':>8}{'rest':>8}{'ratio':>8}")
    for name, test in tests.items():
        hit = [ok for ok, _, t in rows if test(t)]
        rest = [ok for ok, _, t in rows if not test(t)]
        a, b = smoothed(sum(hit), len(hit)), smoothed(sum(rest), len(rest))
        print(f"{name:<22}{len(hit):>5}{sum(hit):>7}{a:>10.3f}{len(rest):>8}{b:>8.3f}{a / b:>8.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list each source's misses and extras")
    parser.add_argument("--source", choices=["dev", "written"], help="score one source only")
    args = parser.parse_args()
    sources = {"dev": dev_cases, "written": written_cases}
    calibration: dict[str, list[tuple[bool, float, str]]] = defaultdict(list)
    totals = [0, 0, 0]
    header = f"{'source':<10}{'labelled':>9}{'read':>7}{'matched':>9}{'precision':>11}{'recall':>9}{'F1':>7}"
    if not args.show:
        print(header)
    for name, cases in sources.items():
        if args.source and name != args.source:
            continue
        if args.show:
            print(header)
        got = score(name, cases(), args.show, calibration)
        totals = [a + b for a, b in zip(totals, got, strict=True)]
    if not args.source:
        _line("all", *totals)
    print_calibration(calibration)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
