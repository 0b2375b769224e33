"""Run llama-cpp-python's OpenAI-compatible server as a child process.

:class:`LocalServer` starts ``python -m llama_cpp.server`` on a free loopback port, waits
until ``/v1/models`` answers, and stops the process when closed (it is a context manager,
and an ``atexit`` hook stops any server left running). :func:`shared_server` keeps one
server per model for the life of the process so that a batch does not reload the model for
every letter.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import ConfigError, ModelError
from .local_model import INSTALL_HINT, model_file

__all__ = ["LocalServer", "shared_server", "stop_shared_servers", "require_server_package"]

_STARTUP_TIMEOUT = 180.0


def require_server_package() -> None:
    """Raise :class:`ConfigError` naming the install command if the server is not installed."""
    for mod in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings"):
        if importlib.util.find_spec(mod) is None:
            raise ConfigError(
                f"the embedded model needs llama-cpp-python's server (module {mod!r} is missing); "
                f"install it with: {INSTALL_HINT}"
            )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalServer:
    """One llama.cpp server process serving one GGUF model on 127.0.0.1.

    ``model`` is a local model name (see :data:`llm_extract.local_model.LOCAL_MODELS`) or a
    path to a GGUF file; ``home`` is the data directory (assembled models, the server log).
    """

    def __init__(self, model: str, *, home: Path, n_ctx: int = 8192, port: int | None = None,
                 n_threads: int | None = None) -> None:
        self.model = model
        self.home = home
        self.n_ctx = n_ctx
        self.port = port
        self.n_threads = n_threads
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = home / "logs" / "llama_server.log"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible endpoint, e.g. ``http://127.0.0.1:38211/v1``."""
        if self.port is None:
            raise ModelError("the local server is not started", source=self.model)
        return f"http://127.0.0.1:{self.port}/v1"

    def running(self) -> bool:
        """True while the child process is alive."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> LocalServer:
        """Start the server and wait until it answers; idempotent while it runs."""
        if self.running():
            return self
        require_server_package()
        gguf = model_file(self.model, home=self.home)
        self.port = self.port or _free_port()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(gguf),
            "--model_alias", self.model,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            # Prompts hold letter text: keep llama.cpp's per-request printing off.
            "--verbose", "False",
        ]
        # llama-cpp-python's server generates with cpu_count // 2 threads unless told: on a
        # 2-core machine that is one core idle. Use every core for prompt and generation.
        threads = self.n_threads or os.cpu_count() or 1
        cmd += ["--n_threads", str(threads), "--n_threads_batch", str(threads)]
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            log.close()
        _live.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        url = f"http://127.0.0.1:{self.port}/v1/models"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ModelError(
                    f"the local model server exited with status {self.process.returncode} while starting; "
                    f"see {self.log_path}",
                    source=self.model,
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200 and json.loads(resp.read()).get("data") is not None:
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.25)
        raise ModelError(
            f"the local model server did not answer within {_STARTUP_TIMEOUT:.0f} s; see {self.log_path}",
            source=self.model,
        )

    def stop(self) -> None:
        """Stop the child process (terminate, then kill after 10 s)."""
        proc, self.process = self.process, None
        _live.discard(self)
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_live: set[LocalServer] = set()
_shared: dict[tuple[str, int, str, int | None], LocalServer] = {}  # (model, n_ctx, home, n_threads)
_lock = threading.Lock()


def shared_server(model: str, *, home: Path, n_ctx: int, n_threads: int | None = None) -> LocalServer:
    """A started server for ``model``, reused for the rest of the process."""
    key = (model, n_ctx, str(home), n_threads)
    with _lock:
        server = _shared.get(key)
        if server is None or not server.running():
            server = LocalServer(model, home=home, n_ctx=n_ctx, n_threads=n_threads)
            server.start()
            _shared[key] = server
        return server


@atexit.register
def stop_shared_servers() -> None:
    """Stop every server this process started (also runs at interpreter exit)."""
    for server in list(_live):
        server.stop()
    _shared.clear()
