"""Score the rules' treatment, category and drug class on request wordings written apart from the letters.

Each file in ``evals/wordings/`` is a list of ``{request, treatment, category, drug_class}``
written by an annotator from general knowledge of utilization-review paperwork, without
seeing the fixtures or the code (see the README there). The rules were checked against
these, so they are dev evidence, not a held-out test; the test split stays where a change
is judged. Treatment is compared leniently (case and punctuation), as the evaluation does.

    python evals/benchmarks/score_wordings.py [--show FIELD] [FILE ...]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from llm_extract.rules.lexicon import classify
from llm_extract.rules.treatment import treatment_name

FOLDER = Path(__file__).resolve().parents[1] / "wordings"


def _lenient(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (value or "").lower()).strip()


def score(path: Path, show: str | None) -> tuple[int, int, int, int]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    right = {"treatment": 0, "category": 0, "drug_class": 0}
    for row in rows:
        kind = classify(row["request"])
        got = {
            "category": kind.category.value if kind else None,
            "drug_class": kind.drug_class.value if kind and kind.drug_class else None,
        }
        got["treatment"] = treatment_name(row["request"], got["category"])
        for field in right:
            ok = (_lenient(got[field]) == _lenient(row[field])) if field == "treatment" else got[field] == row[field]
            right[field] += ok
            if show == field and not ok:
                print(f"  {row['request']!r}: got {got[field]!r}, written {row[field]!r}")
    return len(rows), right["treatment"], right["category"], right["drug_class"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--show", choices=["treatment", "category", "drug_class"], help="list the misses of one field")
    args = parser.parse_args()
    files = args.files or sorted(FOLDER.glob("*.json"))
    print(f"{'set':<22}{'requests':>9}{'treatment':>12}{'category':>11}{'drug_class':>12}")
    totals = [0, 0, 0, 0]
    for path in files:
        n, t, c, d = score(path, args.show)
        totals = [a + b for a, b in zip(totals, (n, t, c, d), strict=True)]
        print(f"{path.stem:<22}{n:>9}{t / n:>12.1%}{c / n:>11.1%}{d / n:>12.1%}")
    n, t, c, d = totals
    print(f"{'all':<22}{n:>9}{t / n:>12.1%}{c / n:>11.1%}{d / n:>12.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
