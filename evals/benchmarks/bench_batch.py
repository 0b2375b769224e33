"""Benchmark the batch machinery against the extraction it drives (figures, no asserts).

Rules-only (default): in the same process and run, times

* the rules-only pass on its own: ``extract(path, rules_only=True)`` in a plain loop, so
  it includes reading the PDF, which dominates;
* ``extract_batch`` end to end over the same files into a fresh output folder (fsync per
  record, tables, summary and chart included), at concurrency 1, and with ``--processes``
  on every core;
* a resumed run over the finished folder (nothing to extract).

and prints letters/s for each and the ratio batch / own pass (target >= 80%). Each timing
is the best of ``--rounds`` rounds, alternating, so neither gets a warmer page cache.

With ``--model`` it instead runs the model pass against the configured endpoint (the
embedded local server by default) over ``--limit`` letters at concurrency 1 and 4 and
prints letters/s and tokens per letter, then re-runs over the finished folder and prints
how many model calls that made (should be 0).

    python evals/benchmarks/bench_batch.py [FOLDER] [--rounds 3]
    python evals/benchmarks/bench_batch.py [FOLDER] --model [--limit 8] [--model-name qwen2.5-coder-0.5b]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from llm_extract.batch import extract_batch
from llm_extract.pipeline import extract
from llm_extract.reading import SUFFIXES

DEFAULT = Path("../shared/corpus/dwc")


def _paths(folder: Path, limit: int | None) -> list[Path]:
    paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES)
    return paths[:limit] if limit else paths


def _own_pass(paths: list[Path]) -> float:
    t0 = time.perf_counter()
    for p in paths:
        extract(p, rules_only=True)
    return time.perf_counter() - t0


def _batch(paths: list[Path], out: Path, **kwargs: object) -> tuple[float, dict]:
    t0 = time.perf_counter()
    run = extract_batch(paths, out_dir=out, **kwargs)
    for _ in run:
        pass
    return time.perf_counter() - t0, run.summary.as_dict()


def rules_only(paths: list[Path], rounds: int) -> None:
    n = len(paths)
    own: list[float] = []
    batch1: list[float] = []
    batchp: list[float] = []
    resume: list[float] = []
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        for r in range(rounds):
            own.append(_own_pass(paths))
            secs, s = _batch(paths, Path(tmp) / f"c1_{r}", rules_only=True)
            assert s["done"] == n - s["failed"] - s["duplicate"], s
            batch1.append(secs)
            secs, _ = _batch(paths, Path(tmp) / f"c1_{r}", rules_only=True)
            resume.append(secs)
            if cores > 1:
                secs, _ = _batch(paths, Path(tmp) / f"cp_{r}", rules_only=True, concurrency=cores,
                                 executor="process")
                batchp.append(secs)
    best_own = min(own)
    print(f"letters: {n} (rules-only, PDF reading included everywhere; best of {rounds} rounds)")
    print(f"rules-only pass on its own (1 core):       {n / best_own:7.1f} letters/s")
    print(f"extract_batch, concurrency 1:              {n / min(batch1):7.1f} letters/s "
          f"= {100 * best_own / min(batch1):.0f}% of the pass on its own (target >= 80%)")
    if batchp:
        print(f"extract_batch, {cores} processes:               {n / min(batchp):7.1f} letters/s "
              f"= {100 * best_own / min(batchp):.0f}% of the pass on its own")
    print(f"resumed over the finished folder:          {n / min(resume):7.1f} letters/s (nothing extracted)")
    # The PDF reader before (pypdf) and after (PDFium), and the Ray engine on the same inputs.
    from llm_extract.reading.letter import pdf_text_pdfium, pdf_text_pypdf

    pdfs = [p for p in paths if p.suffix.lower() == ".pdf"]
    for name, reader in (("pypdf (before)", pdf_text_pypdf), ("pypdfium2 (after)", pdf_text_pdfium)):
        t0 = time.perf_counter()
        for p in pdfs:
            reader(p, str(p))
        print(f"PDF reader {name:<18}             {len(pdfs) / (time.perf_counter() - t0):7.1f} letters/s")
    try:
        import ray

        from llm_extract.batch.ray import extract_batch_ray
    except ImportError:
        print("Ray engine: skipped (pip install -e '.[ray]')")
        return
    ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False)
    with tempfile.TemporaryDirectory(prefix="bench_ray_") as tmp:
        times = []
        for r in range(rounds):
            t0 = time.perf_counter()
            extract_batch_ray(paths, out_dir=Path(tmp) / f"r{r}", rules_only=True, chunk_size=10)
            times.append(time.perf_counter() - t0)
    ray.shutdown()
    print(f"Ray engine, local Ray with {cores} CPUs:        {n / min(times):7.1f} letters/s "
          f"(local batch, {cores} processes: {n / min(batchp) if batchp else n / min(batch1):.1f})")


def model(paths: list[Path], limit: int, model_name: str | None) -> None:
    paths = paths[:limit]
    with tempfile.TemporaryDirectory(prefix="bench_batch_model_") as tmp:
        for conc in (1, 4):
            out = Path(tmp) / f"c{conc}"
            # A fresh answer cache per run: otherwise the second run is served from cache.
            extra = {"model": model_name} if model_name else {}
            secs, s = _batch(paths, out, concurrency=conc, no_cache=True, **extra)
            tokens = 0
            done = 0
            for line in (out / "records.jsonl").read_text().splitlines():
                rec = json.loads(line).get("record")
                if rec:
                    prov = rec["provenance"]
                    tokens += prov["prompt_tokens"] + prov["completion_tokens"]
                    done += 1
            print(f"model pass, concurrency {conc}: {len(paths) / secs:6.3f} letters/s, "
                  f"{tokens / max(done, 1):.0f} tokens/letter, {s['done']} done, {s['failed']} failed")
        calls = 0

        def counting(letter):
            nonlocal calls
            calls += 1
            return extract(letter, **({"model": model_name} if model_name else {}))

        _, s = _batch(paths, Path(tmp) / "c4", extract_fn=counting)
        print(f"re-run over the finished folder: {calls} model calls, {s['cached']} cached")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", action="store_true", help="benchmark the model pass instead")
    parser.add_argument("--limit", type=int, default=8, help="letters for --model")
    parser.add_argument("--model-name", default=None, help="model for --model (default: the settings')")
    args = parser.parse_args()
    paths = _paths(args.folder, None)
    if not paths:
        print(f"no letters in {args.folder}", file=sys.stderr)
        return 1
    if args.model:
        model(paths, args.limit, args.model_name)
    else:
        rules_only(paths, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
