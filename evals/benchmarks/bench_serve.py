"""Load benchmark of the HTTP service on loopback (rules-only; no model).

Starts ``llm-extract serve --rules-only`` as a child process on a free 127.0.0.1 port,
warms it up, then sends N requests at concurrency C (multipart uploads of the seed
letters, round robin; ``--json`` sends their text as JSON instead) and prints requests/s,
p50/p95/p99 latency, errors, and the server's RSS at the start and end of the run.

    python evals/benchmarks/bench_serve.py [--requests 500] [--concurrency 16] [--workers 2] [--json]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

LETTERS = Path(__file__).resolve().parents[1] / "fixtures" / "dev" / "letters"
SEEDS = ["CM16-0213037.pdf", "000_f466aacbb234c4d7.txt", "002_9bc453546c16a93c.md",
         "001_e427a7d9878cdb2d.txt", "004_5b182d2c9df6dc4d.md"]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="the server's --workers")
    ap.add_argument("--json", action="store_true", help="send JSON {text} instead of file uploads")
    args = ap.parse_args()

    port = free_port()
    data = tempfile.mkdtemp(prefix="bench-serve-")
    cmd = [sys.executable, "-m", "llm_extract", "serve", "--rules-only", "--port", str(port),
           "--workers", str(args.workers), "--queue-size", str(args.concurrency * 2),
           "--data-dir", data, "--log-level", "warning"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                print("server did not start:", proc.stderr.read().decode() if proc.stderr else "", file=sys.stderr)
                return 1
            time.sleep(0.1)
        bodies = [(name, (LETTERS / name).read_bytes()) for name in SEEDS]
        texts = [(LETTERS / name).read_text(encoding="utf-8") for name in SEEDS if not name.endswith(".pdf")]

        client = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=args.concurrency))

        def one(i: int) -> tuple[float, int]:
            t0 = time.perf_counter()
            if args.json:
                r = client.post(base + "/v1/extract", json={"text": texts[i % len(texts)]})
            else:
                name, body = bodies[i % len(bodies)]
                r = client.post(base + "/v1/extract", files={"file": (name, body)})
            return time.perf_counter() - t0, r.status_code

        for i in range(len(bodies) * 4):  # warm-up: imports, first PDFs, connection pool
            one(i)
        rss_start = rss_mib(proc.pid)
        started = time.perf_counter()
        with cf.ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(one, range(args.requests)))
        wall = time.perf_counter() - started
        rss_end = rss_mib(proc.pid)
        lat = sorted(r[0] for r in results)
        errors = sum(1 for r in results if r[1] != 200)
        q = statistics.quantiles(lat, n=100)
        metrics = client.get(base + "/metrics").text
        ok_metric = 'llm_extract_letters_total{mode="rules",outcome="ok"}'
        ok_line = next(ln for ln in metrics.splitlines() if ln.startswith(ok_metric))
        body = "JSON text" if args.json else "multipart uploads"
        print(f"{args.requests} requests ({body} of {len(texts) if args.json else len(SEEDS)} seed letters"
              f"{'' if args.json else ', 1 in 5 a PDF'}), concurrency {args.concurrency},"
              f" server --workers {args.workers},"
              f" {os.cpu_count()} CPU(s)")
        print(f"requests/s      {args.requests / wall:8.1f}")
        print(f"latency p50     {q[49] * 1000:8.1f} ms")
        print(f"latency p95     {q[94] * 1000:8.1f} ms")
        print(f"latency p99     {q[98] * 1000:8.1f} ms")
        print(f"errors          {errors:8d}   (statuses: {sorted({r[1] for r in results})})")
        print(f"server RSS      {rss_start:8.1f} MiB at start, {rss_end:.1f} MiB at end")
        print(f"server metrics  {ok_line}")
        return 1 if errors else 0
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    sys.exit(main())
