"""How far two annotators agree on item treatment, category and drug class, and where the rules stand.

``evals/agreement/<split>-second-annotator.json`` holds a second, independent reading of every
labelled item (request and MAXIMUS line only; the annotator saw neither the labels nor the
code). Agreement between the fixtures' labels and that reading is the ceiling a rule or model
can be expected to reach; the rules are scored against both readings. Only counts are printed,
never an item, so the test split's items stay unread.

    python evals/benchmarks/annotator_agreement.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from llm_extract.rules.guideline_topics import place
from llm_extract.rules.treatment import treatment_name

EVALS = Path(__file__).resolve().parents[1]


def _lenient(value: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (value or "").lower()).strip()


def _same(field: str, a: str | None, b: str | None) -> bool:
    return _lenient(a) == _lenient(b) if field == "treatment" else a == b


def main() -> int:
    fields = ("treatment", "category", "drug_class")
    print(f"{'split':<6}{'items':>6}  {'field':<11}{'label~second':>14}{'rules~label':>13}{'rules~second':>14}")
    for split in ("dev", "test"):
        second_path = EVALS / "agreement" / f"{split}-second-annotator.json"
        if not second_path.exists():
            continue
        second = {row["id"]: row for row in json.loads(second_path.read_text(encoding="utf-8"))}
        counts = {f: [0, 0, 0] for f in fields}
        n = 0
        for path in sorted((EVALS / "fixtures" / split / "labels").glob("*.json")):
            label = json.loads(path.read_text(encoding="utf-8"))
            for i, item in enumerate(label["items"]):
                other = second[f"{path.stem}#{i}"]
                kind = place(item["request"], item["maximus_guideline"])
                rules = {"category": kind.category.value if kind else None,
                         "drug_class": kind.drug_class.value if kind and kind.drug_class else None}
                rules["treatment"] = treatment_name(item["request"], rules["category"])
                n += 1
                for f in fields:
                    counts[f][0] += _same(f, item[f], other[f])
                    counts[f][1] += _same(f, rules[f], item[f])
                    counts[f][2] += _same(f, rules[f], other[f])
        for f in fields:
            a, b, c = counts[f]
            print(f"{split:<6}{n:>6}  {f:<11}{a / n:>14.1%}{b / n:>13.1%}{c / n:>14.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
