"""Resume after a crash, a dead model server, torn lines; shards and merging."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from batch_helpers import ROOT, CountingExtract, fake_extract, read_jsonl, write_letters
from llm_extract.batch.outputs import merge_outputs
from llm_extract.batch.runner import Backoff, extract_batch
from llm_extract.batch.store import OutputStore
from llm_extract.errors import ModelError
from llm_extract.record import IMRRecord


# -- a tiny model server that can be killed --------------------------------------------------
class _ModelServer:
    """An HTTP endpoint that answers the fake extraction, counts requests, and can die."""

    def __init__(self, fail_first_with: int | None = None, fail_count: int = 0) -> None:
        self.requests = 0
        self.fail_first_with, self.fail_count = fail_first_with, fail_count
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                owner.requests += 1
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if owner.fail_first_with and owner.requests <= owner.fail_count:
                    self.send_response(owner.fail_first_with)
                    self.end_headers()
                    return
                letter = json.loads(body)
                from llm_extract.reading.letter import letter_from_text

                rec = fake_extract(letter_from_text(letter["text"], source=letter["source"]))
                data = rec.to_json().encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/extract"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def kill(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _client(server_url: list[str]):
    """An extract function that asks the server; transport failures become ModelError."""

    def extract(letter):
        req = urllib.request.Request(server_url[0], method="POST",
                                     data=json.dumps({"text": letter.text, "source": letter.source}).encode())
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return IMRRecord.from_json(resp.read())
        except urllib.error.HTTPError as exc:
            raise ModelError(f"the endpoint answered {exc.code}", source=letter.source, status=exc.code) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            raise ModelError(f"the endpoint is unreachable ({type(exc).__name__})", source=letter.source) from None

    return extract


def test_model_server_killed_mid_batch_then_resume_finishes(tmp_path: Path) -> None:
    paths = write_letters(tmp_path / "in", 12)
    out = tmp_path / "out"
    server = _ModelServer()
    url = [server.url]
    extract = _client(url)
    seen = 0

    def killing_extract(letter):
        nonlocal seen
        seen += 1
        if seen == 6:
            server.kill()  # the server dies while the batch is running
        return extract(letter)

    first = list(extract_batch(paths, out_dir=out, extract_fn=killing_extract, backoff=(0.0, 0.0)))
    done_first = [r.source for r in first if r.status == "done"]
    failed_first = [r.source for r in first if r.status == "failed"]
    assert len(done_first) == 5 and len(failed_first) == 7
    assert {r.error_type for r in first if r.status == "failed"} == {"ModelError"}
    assert len(read_jsonl(out / "records.jsonl")) == 5
    assert len(read_jsonl(out / "errors.jsonl")) == 7
    assert json.loads((out / "summary.json").read_text())["totals"]["failed"] == 7

    revived = _ModelServer()
    url[0] = revived.url
    try:
        second = list(extract_batch(paths, out_dir=out, extract_fn=extract))
    finally:
        revived.kill()
    assert sorted(r.source for r in second if r.status == "cached") == sorted(done_first)
    assert sorted(r.source for r in second if r.status == "done") == sorted(failed_first)
    assert revived.requests == 7  # finished letters cost no second model call
    lines = read_jsonl(out / "records.jsonl")
    assert sorted(ln["source"] for ln in lines) == sorted(map(str, paths))
    summary = json.loads((out / "summary.json").read_text())
    # The 7 error lines stay in the log, but they are resolved and no longer count.
    assert len(read_jsonl(out / "errors.jsonl")) == 7
    assert summary["totals"]["failed"] == 0 and summary["totals"]["letters"] == 12


class _FakeClock:
    """Time that only moves when the batch sleeps; records the sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_overloaded_endpoint_makes_the_batch_back_off(tmp_path: Path) -> None:
    paths = write_letters(tmp_path / "in", 5)
    server = _ModelServer(fail_first_with=429, fail_count=2)
    clock = _FakeClock()
    backoff = Backoff(0.1, 1.0, clock=clock)
    try:
        results = list(extract_batch(paths, extract_fn=_client([server.url]), backoff=backoff))
    finally:
        server.kill()
    assert [r.status for r in results] == ["failed", "failed", "done", "done", "done"]
    assert results[0].error_type == "ModelError"
    # One wait after each 429, the second twice the first; none once requests succeed.
    assert backoff.delays == [0.1, 0.2]
    assert clock.sleeps == pytest.approx([0.1, 0.2])
    assert backoff.delay == 0.0


def test_backoff_doubles_to_its_ceiling_and_resets_on_success() -> None:
    backoff = Backoff(1.0, 4.0, clock=_FakeClock())
    for _ in range(4):
        backoff.failed()
    assert backoff.delays == [1.0, 2.0, 4.0, 4.0]
    assert backoff.remaining() == 4.0
    backoff.succeeded()
    backoff.failed()
    assert backoff.delays[-1] == 1.0


_KILLED_RUN = """
import sys
sys.path[:0] = [{root!r}, {tests!r}]
from batch_helpers import slow_extract
from llm_extract.batch.runner import extract_batch
# One line per letter reported done (its record is fsynced by then); after the 8th the
# run holds here, mid-batch with work in flight, until the parent kills it.
for n, _ in enumerate(extract_batch([{folder!r}], out_dir={out!r}, extract_fn=slow_extract, concurrency=2), 1):
    print(n, flush=True)
    if n == 8:
        sys.stdin.readline()
"""


def test_run_killed_with_sigkill_and_resumed_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    paths = write_letters(tmp_path / "in", 40)
    out = tmp_path / "out"
    script = _KILLED_RUN.format(root=str(ROOT), tests=str(ROOT / "tests"), folder=str(tmp_path / "in"), out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    records = out / "records.jsonl"
    assert proc.stdout is not None
    for line in proc.stdout:  # blocks until the run reports a letter (or ends)
        if line.strip() == "8":
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    before = records.read_bytes()
    complete = before[: before.rfind(b"\n") + 1]
    n_before = complete.count(b"\n")
    assert 8 <= n_before < 40
    # A kill during a write leaves half a line: simulate the worst case on top.
    with records.open("ab") as f:
        f.write(b'{"source": "/half/written.txt", "sha256": "ab')

    fn = CountingExtract()
    results = list(extract_batch([tmp_path / "in"], out_dir=out, extract_fn=fn))

    assert len(fn.calls) == 40 - n_before  # what was reported done is not redone
    assert sum(r.status == "cached" for r in results) == n_before
    after = records.read_bytes()
    assert after.startswith(complete)  # finished work kept byte for byte
    lines = read_jsonl(records)  # fails on any torn line
    assert sorted(ln["source"] for ln in lines) == sorted(map(str, paths))  # all there, each once
    assert len({ln["sha256"] for ln in lines}) == 40
    # A third run has nothing left to do.
    fn3 = CountingExtract()
    third = list(extract_batch([tmp_path / "in"], out_dir=out, extract_fn=fn3))
    assert fn3.calls == [] and {r.status for r in third} == {"cached"}
    assert records.read_bytes() == after


def test_torn_last_line_is_dropped_on_open(tmp_path: Path) -> None:
    good = [{"source": f"s{i}", "path": f"/p/s{i}", "sha256": f"{i:064x}", "file": None,
             "duplicate_of": None, "record": json.loads(IMRRecord().to_json())} for i in range(2)]
    body = "".join(json.dumps(g) + "\n" for g in good).encode()
    (tmp_path / "records.jsonl").write_bytes(body + b'{"source": "s2", "sha')
    store = OutputStore(tmp_path)
    store.close()
    assert (tmp_path / "records.jsonl").read_bytes() == body
    assert store.torn_bytes == len(b'{"source": "s2", "sha')
    assert set(store.by_sha) == {f"{i:064x}" for i in range(2)}


def test_resume_notices_a_changed_file(tmp_path: Path) -> None:
    paths = write_letters(tmp_path / "in", 3)
    out = tmp_path / "out"
    list(extract_batch(paths, out_dir=out, extract_fn=fake_extract))
    paths[0].write_text(paths[0].read_text().replace("CM16-0000001", "CM16-0000099"))
    fn = CountingExtract()
    results = {r.source: r for r in extract_batch(paths, out_dir=out, extract_fn=fn)}
    assert fn.calls == [str(paths[0])]
    assert results[str(paths[0])].record.case_number == "CM16-0000099"


@pytest.mark.parametrize("by", ["text", "bytes"])
def test_shards_cover_every_input_exactly_once(tmp_path: Path, by: str) -> None:
    paths = write_letters(tmp_path / "in", 30)
    n = 3
    done: list[list[str]] = []
    for k in range(1, n + 1):
        out = tmp_path / f"shard{k}"
        run = extract_batch([tmp_path / "in"], out_dir=out, extract_fn=fake_extract, shard=f"{k}/{n}:{by}")
        got = [r.source for r in run]
        assert run.summary.other_shard == 30 - len(got)
        done.append(got)
        # A resumed shard skips the other shards' letters again and does no new work.
        again = extract_batch([tmp_path / "in"], out_dir=out, extract_fn=fake_extract, shard=f"{k}/{n}:{by}")
        assert sorted(r.source for r in again) == sorted(got) and again.summary.done == 0
    everything = [s for shard in done for s in shard]
    assert sorted(everything) == sorted(map(str, paths))  # union is all, no overlap
    assert all(done)  # 30 letters over 3 shards: none empty

    merged = tmp_path / "merged"
    summary = merge_outputs([tmp_path / f"shard{k}" for k in range(1, n + 1)], merged)
    assert summary["totals"]["letters"] == 30
    with (merged / "letters.csv").open() as f:
        assert sorted(r["source"] for r in csv.DictReader(f)) == sorted(map(str, paths))
    # Merging again adds nothing.
    merge_outputs([tmp_path / f"shard{k}" for k in range(1, n + 1)], merged)
    assert len(read_jsonl(merged / "records.jsonl")) == 30


def test_merge_keeps_only_failures_no_shard_resolved(tmp_path: Path) -> None:
    paths = write_letters(tmp_path / "in", 4)

    def fails_on_first(letter):
        if letter.source == str(paths[0]):
            raise ModelError("down", source=letter.source)
        return fake_extract(letter)

    list(extract_batch(paths, out_dir=tmp_path / "a", extract_fn=fails_on_first))
    list(extract_batch(paths[:1], out_dir=tmp_path / "b", extract_fn=fake_extract))
    list(extract_batch(paths[1:], out_dir=tmp_path / "c", extract_fn=fails_on_first))
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["totals"]["failed"] == 1
    merged = merge_outputs([tmp_path / "a", tmp_path / "b"], tmp_path / "m")
    assert merged["totals"] == {**merged["totals"], "letters": 4, "failed": 0}


def test_a_touched_but_unchanged_file_is_not_redone_or_relogged(tmp_path: Path) -> None:
    paths = write_letters(tmp_path / "in", 2)
    out = tmp_path / "out"
    list(extract_batch(paths, out_dir=out, extract_fn=fake_extract))
    before = (out / "records.jsonl").read_bytes()
    os.utime(paths[0], ns=(1_000_000_000, 1_000_000_000))  # new mtime, same text
    fn = CountingExtract()
    results = list(extract_batch(paths, out_dir=out, extract_fn=fn))
    assert fn.calls == [] and [r.status for r in results] == ["cached", "cached"]
    assert (out / "records.jsonl").read_bytes() == before
