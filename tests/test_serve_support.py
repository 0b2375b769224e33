"""Shared pieces of the service tests: seed letters and a fake OpenAI-compatible endpoint."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

LETTERS = Path(__file__).resolve().parent.parent / "evals" / "fixtures" / "dev" / "letters"
PDF = LETTERS / "CM16-0213037.pdf"
TXT = LETTERS / "000_f466aacbb234c4d7.txt"
MD = LETTERS / "002_9bc453546c16a93c.md"


@contextlib.contextmanager
def fake_endpoint(mode: str, *, sleep: float = 3.0, hold: threading.Event | None = None,
                  log: list[str] | None = None) -> Iterator[str]:
    """A loopback OpenAI-compatible server: ``mode`` "error" answers 500 to completions,
    "slow" sleeps before answering, "ok" only answers /models, "invalid" answers every
    completion with a valid HTTP 200 chat completion whose content never validates.
    In "slow" mode with ``hold``, a completion waits for ``hold`` (set on exit; ``sleep`` at
    most), and ``log`` gets "received" and "answered" for each, so a test can tell that a
    reply came before the endpoint answered any request, by order, not by a clock. Yields its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.endswith("/models") and mode != "down":
                self._json(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
            else:
                self._json(500, {"error": {"message": "down"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if mode == "slow":
                if log is not None:
                    log.append("received")
                if hold is not None:
                    hold.wait(sleep)  # answers after ``sleep`` at most, or when released
                else:
                    time.sleep(sleep)
                if log is not None:
                    log.append("answered")
            if mode == "invalid":
                self._json(200, {
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": 0, "model": "fake",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": "I cannot answer in JSON, sorry."}}],
                    "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}})
                return
            self._json(500, {"error": {"message": "boom", "type": "server_error"}})

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        if hold is not None:
            hold.set()  # release the requests still held, so their threads end
        server.shutdown()
        server.server_close()
