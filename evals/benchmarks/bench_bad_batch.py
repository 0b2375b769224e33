"""A batch of N letters with 5% bad inputs mixed in (a script, not a test).

Builds the letters with tests/badinputs/make_corpus.py (distinct copies of the seed
letters, each with its own case number, and every class of bad input), runs a rules-only
``extract_batch`` over them and prints whether every good letter was extracted exactly once
and every bad one logged in errors.jsonl with its error type, and how long it took.

    python evals/benchmarks/bench_bad_batch.py [--count 1000] [--bad-share 0.05]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from badinputs.make_corpus import build_batch  # noqa: E402 - after tests/ is put on sys.path
from llm_extract import extract_batch  # noqa: E402 - after tests/ is put on sys.path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--bad-share", type=float, default=0.05)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_bad_batch_") as tmp:
        d = Path(tmp)
        good, bad = build_batch(d / "in", count=args.count, bad_share=args.bad_share)
        started = time.perf_counter()
        for _ in extract_batch([d / "in"], out_dir=d / "out", rules_only=True, concurrency=2,
                               formats=("jsonl",)):
            pass
        seconds = time.perf_counter() - started
        records = [json.loads(line) for line in (d / "out" / "records.jsonl").read_text().splitlines()]
        errors = [json.loads(line) for line in (d / "out" / "errors.jsonl").read_text().splitlines()]
        done = sorted(r["source"] for r in records if r.get("record"))
        once = done == sorted(map(str, good))
        logged = {Path(e["source"]).name for e in errors} == {p.name for p in bad}
        print(f"{len(good)} good, {len(bad)} bad inputs; {len(done)} records, every good letter exactly once: "
              f"{once}; {len(errors)} errors.jsonl lines, every bad input logged: {logged}; "
              f"error types {sorted({e['error_type'] for e in errors})}; {seconds:.1f} s")
        return 0 if once and logged else 1


if __name__ == "__main__":
    sys.exit(main())
