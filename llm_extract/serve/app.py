"""The HTTP extraction service: a FastAPI app over the public ``llm_extract`` API.

Every extraction runs on a worker thread (``ServeConfig.workers``), never on the event
loop; at most ``workers + queue_size`` letters are accepted at once and the next gets 429
with ``Retry-After``. Errors are ``application/problem+json`` naming the error type. Logs
carry method, route, status and milliseconds only: never letter text, never a token.

:func:`create_app` wires the routers (``routes_extract``, ``routes_review``, ``routes_batches``,
``routes_operations``), which reach the app's :class:`~.state.AppState` through dependencies,
and serves the review page's stylesheet and script from ``static/`` at ``/static``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

import llm_extract

from . import routes_batches, routes_extract, routes_operations, routes_review
from .config import ServeConfig
from .files import prune
from .problems import ProblemError, install_handlers
from .schemas import PROBLEM_JSON, BatchFolder, ExtractText, Problem, ReviewLetter
from .state import AppState
from .view import STATIC_DIR

__all__ = ["create_app", "ProblemError"]

log = logging.getLogger("llm_extract.serve")


def create_app(config: ServeConfig | None = None) -> FastAPI:
    """Build the service's app (see :class:`ServeConfig` for what can be set)."""
    config = config or ServeConfig()
    state = AppState(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(prune, state.uploads, config.keep_uploads_hours * 3600)
        state.jobs.start()
        try:
            yield
        finally:
            await asyncio.to_thread(state.jobs.stop)
            state.shutdown()

    app = FastAPI(
        title="llm_extract",
        version=llm_extract.__version__,
        summary="Validated, source-grounded records from California IMR determination letters.",
        lifespan=lifespan,
    )
    app.state.serve = state
    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"])
    install_handlers(app)

    @app.middleware("http")
    async def _log_requests(request: Request, call_next: Callable[[Request], Any]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", None) or "other"
        state.metrics.request(route, response.status_code)
        # Path template only: no query string, no headers, no body.
        log.info("%s %s %d %.1f ms", request.method, route, response.status_code,
                 (time.perf_counter() - started) * 1000)
        return response

    # This order is the order of the paths in the OpenAPI document.
    for module in (routes_extract, routes_review, routes_batches, routes_operations):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]  # FastAPI's documented override
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every error answer as problem+json and the request models that
    the operations read by hand (``openapi_extra``) listed among the schemas."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    comps = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ExtractText, BatchFolder, ReviewLetter, Problem):
        extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in extra.pop("$defs", {}).items():
            comps.setdefault(name, sub)
        comps.setdefault(model.__name__, extra)
    for path in schema.get("paths", {}).values():
        for op in path.values():
            for code, resp in op.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:
                    resp["content"] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for unused in ("HTTPValidationError", "ValidationError"):
        comps.pop(unused, None)
    app.openapi_schema = schema
    return schema
