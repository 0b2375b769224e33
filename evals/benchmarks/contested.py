"""Items whose request words and guideline topic name different categories: who decides best?

For every item with a ``category_contested`` warning, on each split, counts how often each
policy gives the labelled category: the words always (the rules' old default), the topic
always, the labelled neighbours where they side with one reading and the words otherwise
(today's rules-only record), and, with ``--prompt``, the full pipeline (neighbours, then the
model choosing between the two readings), read from the answer cache when it holds the
answers (``--cache-dir``; set it to an evaluation's cache to make no model call).

Counts only: the held-out test split's items are not listed.

    python evals/benchmarks/contested.py [--prompt imr-hybrid@4 --cache-dir DIR]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

from llm_extract import extract, read_letter
from llm_extract.evaluation.fixtures import load_fixtures
from llm_extract.evaluation.scoring import align_items
from llm_extract.rules import read_rules

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
_SAYS = re.compile(r"words say (\w+); the MAXIMUS guideline's topic says (\w+)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default=None, help="also score the full pipeline under this prompt")
    parser.add_argument("--cache-dir", default=None, help="answer cache for --prompt")
    args = parser.parse_args()
    print(f"{'split':<6}{'items':>6}{'words':>8}{'topic':>8}{'neighbours':>12}{'pipeline':>10}")
    for split in ("dev", "test"):
        right: Counter[str] = Counter()
        total = 0
        for fx in load_fixtures(FIXTURES / split):
            letter = read_letter(fx.letter)
            rules = read_rules(letter).record
            full = (extract(letter, prompt=args.prompt, cache_dir=args.cache_dir)
                    if args.prompt else None)
            for i, j in align_items(rules.items, fx.label.items):
                warning = next((w for w in rules.warnings if w.code == "category_contested"
                                and w.field == f"items.{i}.category"), None)
                if warning is None:
                    continue
                m = _SAYS.search(warning.message)
                if m is None:
                    continue
                want = fx.label.items[j].category.value if fx.label.items[j].category else None
                total += 1
                right["words"] += m.group(1) == want
                right["topic"] += m.group(2) == want
                right["neighbours"] += rules.items[i].category is not None and rules.items[i].category.value == want
                if full is not None:
                    got = full.items[i].category
                    right["pipeline"] += got is not None and got.value == want
        cells = [f"{right[k]}/{total}" for k in ("words", "topic", "neighbours")]
        cells.append(f"{right['pipeline']}/{total}" if args.prompt else "–")
        print(f"{split:<6}{total:>6}{cells[0]:>8}{cells[1]:>8}{cells[2]:>12}{cells[3]:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
