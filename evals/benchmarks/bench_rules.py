"""Benchmark the deterministic pass over a folder of letters (default: the shared corpus).

Prints letters/s for PDF to normalised text and for text to record, separately, on one
core (this process). Target for text to record: >= 500 letters/s.

    python evals/benchmarks/bench_rules.py [FOLDER] [--repeat N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from llm_extract.pipeline import extract
from llm_extract.reading.letter import letter_from_text, pdf_text, pdf_text_pdfium, pdf_text_pypdf
from llm_extract.rules import extract_rules
from llm_extract.rules.drugs import find_drug

DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "dwc"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=20, help="passes of text to record")
    args = parser.parse_args()
    paths = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in {".pdf", ".txt", ".md", ".html"})
    if not paths:
        print(f"no letters in {args.folder}", file=sys.stderr)
        return 1

    t0 = time.perf_counter()
    raws = [pdf_text(p, str(p)) if p.suffix.lower() == ".pdf" else p.read_text(encoding="utf-8")
            for p in paths]
    read_s = time.perf_counter() - t0

    pdfs = [p for p in paths if p.suffix.lower() == ".pdf"]
    for name, reader in (("pypdf", pdf_text_pypdf), ("pypdfium2", pdf_text_pdfium)):
        t0 = time.perf_counter()
        for p in pdfs:
            reader(p, str(p))
        secs = time.perf_counter() - t0
        print(f"PDF to text with {name:<10} {len(pdfs) / secs:8.1f} letters/s ({len(pdfs)} PDFs, {secs:.2f} s)")
    # The drug dictionary loads once per process, on the first request the word lists cannot
    # place (about 2 s); it is timed apart so the rate below is the steady one.
    t0 = time.perf_counter()
    find_drug("Zorvolex")
    print(f"drug dictionary load (once per process): {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    for p in paths:
        extract(p, rules_only=True)
    secs = time.perf_counter() - t0
    print(f"PDF to record, rules-only, end to end (1 process): {len(paths) / secs:8.1f} letters/s")

    items = 0
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        for raw in raws:
            items += len(extract_rules(letter_from_text(raw)).items)
    rules_s = time.perf_counter() - t0
    n = len(raws) * args.repeat

    print(f"letters: {len(raws)} from {args.folder}")
    print(f"PDF/file to raw text:            {len(raws) / read_s:8.1f} letters/s ({read_s:.2f} s)")
    print(f"raw text to record (normalise + rules): {n / rules_s:8.1f} letters/s "
          f"({rules_s / n * 1000:.2f} ms/letter, {args.repeat} passes, {items // args.repeat} items/pass)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
