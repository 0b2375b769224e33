"""A digest of every fixture letter's record, to prove a refactoring changed no output.

Writes one line per letter (``name  sha256-of-the-record``) for every letter under
``evals/fixtures/*/letters`` and ``tests/badinputs`` (rules only, or under ``--prompt`` with the
answers from ``--cache-dir``), the record serialised without the fields that change from run
to run (``provenance.seconds``). ``--compare OLD`` prints how many letters differ and, for dev
letters only, which top-level fields; held-out test letters are counted, never shown. The
source path is written relative to the checkout, so two worktrees of one commit agree.

    python evals/benchmarks/record_digest.py --out /tmp/before.txt
    ... change the code ...
    python evals/benchmarks/record_digest.py --out /tmp/after.txt --compare /tmp/before.txt
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from llm_extract import LlmExtractError, extract

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = {".pdf", ".txt", ".md", ".html", ".htm"}


def _letters() -> list[Path]:
    found = sorted(p for p in (ROOT / "evals" / "fixtures").glob("*/letters/*") if p.suffix.lower() in SUFFIXES)
    found += sorted(p for p in (ROOT / "tests" / "badinputs").rglob("*")
                    if p.is_file() and p.suffix.lower() in SUFFIXES)
    return found


def _record(path: Path, prompt: str | None, cache_dir: str | None) -> dict:
    try:
        rec = extract(path, rules_only=prompt is None, **({"prompt": prompt, "cache_dir": cache_dir} if prompt else {}))
    except LlmExtractError as exc:
        return {"error": type(exc).__name__, "message": exc.message}
    data = rec.model_dump(mode="json")
    data["provenance"].pop("seconds", None)
    # The path as read, relative, so that two checkouts of the same commit digest alike.
    data["provenance"]["source"] = str(path.relative_to(ROOT))
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--prompt", default=None)
    parser.add_argument("--cache-dir", default=None)
    args = parser.parse_args()
    lines, records = [], {}
    for path in _letters():
        name = str(path.relative_to(ROOT))
        rec = _record(path, args.prompt, args.cache_dir)
        records[name] = rec
        lines.append(f"{name}  {hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()}")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (args.out.with_suffix(".records.json")).write_text(json.dumps(records, sort_keys=True), encoding="utf-8")
    print(f"{len(lines)} letters digested into {args.out}")
    if args.compare:
        old = dict(line.split("  ") for line in args.compare.read_text(encoding="utf-8").splitlines() if line)
        new = dict(line.split("  ") for line in lines)
        differ = sorted(n for n in new if old.get(n) != new[n])
        print(f"{len(differ)} of {len(new)} letters differ from {args.compare}")
        old_records = json.loads(args.compare.with_suffix(".records.json").read_text(encoding="utf-8"))
        for name in differ:
            if "/test/" in name:
                continue  # held out: counted, never shown
            a, b = old_records.get(name, {}), records[name]
            fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            print(f"  {name}: {', '.join(fields)}")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
