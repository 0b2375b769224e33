"""Operations: GET /healthz (up), GET /readyz (ready for letters), GET /metrics (Prometheus)."""

from __future__ import annotations

import asyncio
import importlib.util
import urllib.error
import urllib.request
from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

import llm_extract

from .problems import ProblemError, only
from .schemas import Health, Problem, Ready
from .state import AUTH, State

__all__ = ["router"]

router = APIRouter()


@router.get("/healthz", response_model=Health, tags=["operations"])
async def healthz() -> Health:
    """The process is up."""
    return Health(version=llm_extract.__version__)


@router.get("/readyz", response_model=Ready, tags=["operations"],
            responses={503: {"model": Problem, "description": "The model endpoint does not answer"}})
async def readyz(state: State) -> Any:
    """Ready for letters: always in rules-only mode; else the model endpoint's /models answers."""
    if state.config.rules_only:
        return Ready(ready=True, mode="rules-only", detail="deterministic pass only")
    settings = state.settings
    assert settings is not None
    if settings.base_url is None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise ProblemError(503, "NotReady", "Not ready",
                               "no endpoint configured and the embedded model is not installed ([local] extra)")
        return Ready(ready=True, mode="embedded", detail="the embedded model starts on the first model request")
    ok, detail = await asyncio.to_thread(_probe_models, settings.base_url, settings.api_key)
    if not ok:
        raise ProblemError(503, "NotReady", "Not ready", detail)
    return Ready(ready=True, mode="endpoint", detail=detail)


@router.get("/metrics", dependencies=AUTH, tags=["operations"], response_class=PlainTextResponse,
            responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                             "description": "Prometheus text format 0.0.4"}, **only(401)})
async def metrics(state: State) -> PlainTextResponse:
    """Letters, failures by type, the latency histogram, tokens, queue (Prometheus text)."""
    return PlainTextResponse(state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")


def _probe_models(base_url: str, api_key: str | None) -> tuple[bool, str]:
    # The operator configures base_url (an http(s) model endpoint); no request names it.
    req = urllib.request.Request(base_url.rstrip("/") + "/models")  # noqa: S310 - see above
    if api_key:
        req.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(req, timeout=3) as resp:  # noqa: S310 - the operator's endpoint
            return 200 <= resp.status < 300, f"{base_url}/models answered HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{base_url}/models answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"{base_url}/models did not answer ({type(exc).__name__})"
