"""The Ray engine against the local batch: same records, same folder, no lost or doubled letter.

Starts one local Ray instance for the module (2 CPUs, loopback, no dashboard). Skipped when
the ``[ray]`` extra is not installed, and the corpus tests when ../shared/corpus/dwc is absent.
"""

from __future__ import annotations

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from llm_extract.batch import extract_batch
from llm_extract.pipeline import extract

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")

from llm_extract.batch.ray import extract_batch_ray  # noqa: E402 - only once the [ray] extra is known to be installed

CORPUS = ROOT.parent / "shared" / "corpus" / "dwc"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Any:
    import sys

    # The test's extractor classes travel by value: workers cannot import the test module.
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
             _node_ip_address="127.0.0.1")
    yield
    ray.shutdown()


def _lines(out: Path) -> dict[str, dict[str, Any]]:
    """records.jsonl by source, timing and write time removed."""
    result: dict[str, dict[str, Any]] = {}
    for raw in (out / "records.jsonl").read_text(encoding="utf-8").splitlines():
        line = json.loads(raw)
        assert line["source"] not in result, f"{line['source']} written twice"
        line.pop("finished")
        if line["record"]:
            line["record"]["provenance"].pop("seconds", None)
        result[line["source"]] = line
    return result


def _local(paths: list[str], out: Path, **kw: Any) -> None:
    for _ in extract_batch(paths, out_dir=out, **kw):
        pass


@needs_corpus
def test_rules_only_corpus_equals_local_batch(tmp_path: Path) -> None:
    paths = sorted(str(p) for p in CORPUS.glob("*.pdf"))
    assert len(paths) == 140
    _local(paths, tmp_path / "local", rules_only=True)
    summary = extract_batch_ray(paths, out_dir=tmp_path / "ray", rules_only=True, chunk_size=10)
    assert (summary.done, summary.failed, summary.duplicate) == (140, 0, 0)
    assert _lines(tmp_path / "ray") == _lines(tmp_path / "local")
    for name in ("letters.csv", "items.csv"):  # same rows (written in finishing order; timings differ)
        rows = [sorted(r.rsplit(",", 1)[0] for r in (tmp_path / d / name).read_text().splitlines())
                for d in ("ray", "local")]
        assert rows[0] == rows[1]
    s_ray = json.loads((tmp_path / "ray" / "summary.json").read_text())
    s_loc = json.loads((tmp_path / "local" / "summary.json").read_text())
    assert s_ray["totals"] == s_loc["totals"]
    # Resume: nothing is extracted again.
    again = extract_batch_ray(paths, out_dir=tmp_path / "ray", rules_only=True)
    assert (again.cached, again.done) == (140, 0)
    assert len(_lines(tmp_path / "ray")) == 140


class _Dies:
    """An extractor whose worker process dies on its first attempt at one letter."""

    def __init__(self, marker: Path, victim: str) -> None:
        self.marker, self.victim = marker, victim

    def __call__(self, letter: Any) -> Any:
        if letter.source.endswith(self.victim) and not self.marker.exists():
            self.marker.write_text("died once")
            os._exit(1)  # the worker process is gone; Ray retries its task
        return extract(letter, rules_only=True)


@needs_corpus
def test_killed_worker_loses_and_doubles_nothing(tmp_path: Path) -> None:
    paths = sorted(str(p) for p in CORPUS.glob("*.pdf"))[:24]
    victim = Path(paths[9]).name
    marker = tmp_path / "died"
    summary = extract_batch_ray(paths, out_dir=tmp_path / "ray", chunk_size=4, max_retries=2,
                                extract_fn=_Dies(marker, victim))
    assert marker.exists(), "the worker never died"
    assert (summary.done, summary.failed, summary.duplicate) == (24, 0, 0)
    lines = _lines(tmp_path / "ray")
    assert sorted(lines) == paths
    _local(paths, tmp_path / "local", rules_only=True)
    assert lines == _lines(tmp_path / "local")


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    text = " ".join(str(m.get("content")) for m in body.get("messages", []))
    # One answer entry per item the prompt lists; the fake model knows nothing more.
    n = max(1, text.count('"index"'))
    content = {"items": [{"index": i, "treatment": "fake treatment", "category": "other", "drug_class": None}
                         for i in range(1, n + 1)], "diagnoses": []}
    return {"id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": body.get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(content)}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        payload = json.dumps(_answer(body)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_endpoint() -> Any:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_model_run_against_fake_endpoint_equals_local(tmp_path: Path, fake_endpoint: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "fake")
    letters = sorted(str(p) for p in (ROOT / "evals" / "fixtures").rglob("letters/*.pdf"))[:6]
    assert letters
    kw = {"base_url": fake_endpoint, "model": "fake-model", "no_cache": True}
    _local(letters, tmp_path / "local", **kw)
    summary = extract_batch_ray(letters, out_dir=tmp_path / "ray", in_flight=2, chunk_size=3, **kw)
    assert summary.done + summary.failed == len(letters)
    ray_lines, local_lines = _lines(tmp_path / "ray"), _lines(tmp_path / "local")
    assert ray_lines == local_lines
    assert any(line["record"]["provenance"].get("model") == "fake-model" for line in ray_lines.values())
