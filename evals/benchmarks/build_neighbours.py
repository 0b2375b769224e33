"""Write the labelled request table that :mod:`llm_extract.rules.neighbours` answers from.

Sources, all dev evidence (never the test split):

- the dev fixtures' items (``evals/fixtures/dev/``), origin ``dev:<label stem>``, each row
  carrying its letter's ``Letter.sha256`` so that a letter is never answered from its own
  label;
- every ``evals/wordings/*.json`` row, origin ``wordings:<file stem>``;
- the conventions poll (``evals/conventions/``), origin ``conventions:wordings``: its five
  readers give a category but no drug class, so a wording is kept where three or more
  readers agree on a category other than ``pharmaceutical`` (a pharmaceutical row without
  its class would teach the neighbours a null class); its treatment is the most common
  reading.

Identical (request, category, drug_class) rows are written once (the first origin in the
order above, which is sorted, wins); the file is sorted, so rebuilding from the same
sources gives the same bytes.

    python evals/benchmarks/build_neighbours.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from llm_extract.evaluation.fixtures import load_fixtures
from llm_extract.reading import read_letter

EVALS = Path(__file__).resolve().parents[1]
OUTPUT = EVALS.parent / "llm_extract" / "data" / "labelled_requests.jsonl"
_FIELDS = ("request", "treatment", "category", "drug_class", "origin", "letter_sha256", "case_number")


def _row(request: str, treatment: str | None, category: str, drug_class: str | None,
         origin: str, sha: str | None, case_number: str | None = None) -> dict[str, str | None]:
    values = (request, treatment or request, category, drug_class, origin, sha, case_number)
    return dict(zip(_FIELDS, values, strict=True))


def dev_rows() -> list[dict[str, str | None]]:
    """One row per labelled dev item with a category."""
    rows = []
    # Only the dev split is loaded: the held-out split is never read here.
    for fx in load_fixtures(EVALS / "fixtures" / "dev"):
        sha = read_letter(fx.letter).sha256
        for item in fx.label.items:
            if item.category is None:
                continue
            rows.append(_row(item.request, item.treatment, item.category.value,
                             item.drug_class.value if item.drug_class else None, f"dev:{fx.name}", sha,
                             fx.label.case_number))
    return rows


def wording_rows() -> list[dict[str, str | None]]:
    """Every written wording."""
    rows = []
    for path in sorted((EVALS / "wordings").glob("*.json")):
        for r in json.loads(path.read_text(encoding="utf-8")):
            rows.append(_row(r["request"], r["treatment"], r["category"], r["drug_class"],
                             f"wordings:{path.stem}", None))
    return rows


def poll_rows() -> list[dict[str, str | None]]:
    """The poll's wordings whose readers agree on a non-pharmaceutical category."""
    folder = EVALS / "conventions"
    wordings = json.loads((folder / "wordings.json").read_text(encoding="utf-8"))
    readers = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("reader-*.json"))]
    rows = []
    for i, request in enumerate(wordings):
        (category, votes), = Counter(r[i]["category"] for r in readers).most_common(1)
        if votes < 3 or category == "pharmaceutical":
            continue
        treatment = Counter(r[i]["treatment"] for r in readers if r[i]["category"] == category).most_common(1)[0][0]
        rows.append(_row(request, treatment, category, None, "conventions:wordings", None))
    return rows


def build() -> str:
    """The file's text: deduplicated, sorted rows, one JSON object a line."""
    seen: set[tuple[str, str, str | None]] = set()
    kept = []
    for row in dev_rows() + wording_rows() + poll_rows():
        key = (row["request"], row["category"], row["drug_class"])
        if key not in seen:
            seen.add(key)
            kept.append(row)
    kept.sort(key=lambda r: (r["request"].casefold(), r["request"], r["category"], r["drug_class"] or "",
                             r["origin"]))
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n" for r in kept)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed file is not what the sources give")
    args = parser.parse_args()
    text = build()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{OUTPUT.name} is up to date ({text.count(chr(10))} rows)")
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    origins = Counter(json.loads(line)["origin"].split(":")[0] for line in text.splitlines())
    print(f"wrote {text.count(chr(10))} rows to {OUTPUT} ({', '.join(f'{k} {v}' for k, v in sorted(origins.items()))})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
