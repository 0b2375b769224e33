"""The embedded server's threads: seconds per open question at 1 thread and at every core.

Starts the embedded llama.cpp server once per thread count and asks the imr-hybrid@3 open
questions of the given fixture letters (those that need a call), twice each: the first time
cold, the second with the prompt already in the server's KV cache (prefix reuse). Prints
seconds per request and tokens per second; nothing is cached on disk.

    python evals/benchmarks/bench_threads.py [--threads 1,2] [--letters N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from llm_extract import read_letter
from llm_extract.model.client import ModelClient, Usage
from llm_extract.model.open_pass import open_answer_model, open_questions, render_questions
from llm_extract.model.prompts import load_prompt
from llm_extract.model.settings import Settings
from llm_extract.rules import read_rules

ROOT = Path(__file__).resolve().parents[2]


def open_letters(limit: int) -> list:
    out = []
    for split in ("dev",):
        for path in sorted((ROOT / "evals" / "fixtures" / split / "letters").iterdir()):
            letter = read_letter(path)
            rules = read_rules(letter)
            q = open_questions(rules.record, rules.summary)
            if not q.empty:
                out.append((letter, rules.record, q))
            if len(out) >= limit:
                return out
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", default=f"1,{os.cpu_count()}")
    ap.add_argument("--letters", type=int, default=4)
    args = ap.parse_args()
    prompt = load_prompt("imr-hybrid@3")
    letters = open_letters(args.letters)
    print(f"{len(letters)} letters with open questions; cores: {os.cpu_count()}")
    for threads in [int(t) for t in args.threads.split(",")]:
        settings = Settings.resolve(threads=threads, constrain=False, cache_dir="/tmp/bench-threads-unused")
        client = ModelClient(settings)
        cold, warm, tps = [], [], []
        for letter, record, q in letters:
            messages = prompt.render(questions=render_questions(letter.text, record, q))
            model = open_answer_model(q.items, q.diagnoses)
            context = {"text": letter.text, "summary": q.summary, "indices": list(q.items)}
            for bucket in (cold, warm):
                usage = Usage()
                started = time.perf_counter()
                try:
                    client.ask(messages, model, context=dict(context), source=letter.source, usage=usage)
                except Exception as exc:  # a failed answer still costs the time measured
                    print(f"  {letter.source}: {type(exc).__name__}")
                seconds = time.perf_counter() - started
                bucket.append(seconds)
                if bucket is cold:
                    tps.append(usage.completion_tokens / seconds if seconds else 0.0)
        print(f"threads={threads}: cold {statistics.mean(cold):.1f} s/request, "
              f"repeat (prefix in KV cache) {statistics.mean(warm):.1f} s/request, "
              f"{statistics.mean(tps):.1f} completion tokens/s (cold)")
        from llm_extract.model.local_server import stop_shared_servers

        stop_shared_servers()


if __name__ == "__main__":
    main()
