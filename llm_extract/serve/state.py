"""The app's shared state (config, metrics, extraction threads, the queue, batch jobs) and the
dependencies through which every router reaches it."""

from __future__ import annotations

import concurrent.futures as cf
import hmac
import threading
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .config import ServeConfig
from .jobs import JobManager
from .metrics import Metrics
from .problems import ProblemError

__all__ = ["AppState", "get_state", "State", "authorised", "AUTH"]


class AppState:
    """The app's moving parts, created with the app; ``app.state.serve`` holds it."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.metrics = Metrics()
        self._executor: cf.ThreadPoolExecutor | None = None
        self.pending = 0
        self.lock = threading.Lock()
        self.settings = None if config.rules_only else config.model_settings()
        self.data_dir = config.data_dir
        self.uploads = self.data_dir / "uploads"
        self.tmp = self.data_dir / "tmp"
        for folder in (self.uploads, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        self.jobs = JobManager(self.data_dir / "batches", extract_kwargs=self.batch_kwargs,
                               concurrency=config.batch_concurrency, on_result=self.metrics.batch_letter)

    def executor(self) -> cf.ThreadPoolExecutor:
        """The extraction threads (made again after a lifespan shut them down)."""
        with self.lock:
            if self._executor is None:
                self._executor = cf.ThreadPoolExecutor(max_workers=self.config.workers,
                                                       thread_name_prefix="llm-extract")
            return self._executor

    def shutdown(self) -> None:
        """Stop the extraction threads, dropping the letters still queued."""
        with self.lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def batch_kwargs(self, options: dict[str, Any]) -> dict[str, Any]:
        """``extract_batch`` arguments for a job's stored options."""
        if options.get("rules_only"):
            return {"rules_only": True}
        return {"rules_only": False, "prompt": options.get("prompt") or self.config.prompt,
                "settings": self.config.model_settings(options.get("model"))}

    def reserve(self) -> None:
        """Take a place in the extraction queue, or 429 when ``workers + queue_size`` are taken."""
        config = self.config
        with self.lock:
            if self.pending >= config.workers + config.queue_size:
                self.metrics.rejected += 1
                raise ProblemError(429, "QueueFull", "Too many letters in progress",
                                   "the extraction queue is full; retry later",
                                   headers={"Retry-After": str(config.retry_after)})
            self.pending += 1
            self.metrics.queued = self.pending - self.metrics.inflight

    def release(self) -> None:
        """Give back a place taken by :meth:`reserve`."""
        with self.lock:
            self.pending -= 1
            self.metrics.queued = max(0, self.pending - self.metrics.inflight)


def get_state(request: Request) -> AppState:
    """The dependency that hands an endpoint the app's :class:`AppState`."""
    state: AppState = request.app.state.serve
    return state


#: An endpoint parameter annotated ``State`` receives the app's state.
State = Annotated[AppState, Depends(get_state)]

_bearer = HTTPBearer(auto_error=False, description="Required when the server has LLM_EXTRACT_API_TOKEN set.")


async def authorised(state: State, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
    """401 unless the request carries the server's bearer token (when one is set)."""
    token = state.config.api_token
    if not token:
        return
    given = creds.credentials if creds is not None else ""
    if not hmac.compare_digest(given.encode(), token.encode()):
        raise ProblemError(401, "Unauthorized", "Missing or wrong bearer token",
                           headers={"WWW-Authenticate": 'Bearer realm="llm-extract"'})


#: ``dependencies=AUTH`` on an operation that needs the token.
AUTH = [Depends(authorised)]
