"""The HTTP extraction service and review page (``llm-extract serve``; the ``[serve]`` extra).

Not imported by ``import llm_extract``: the CLI imports it when ``serve`` or ``view`` runs.

    from llm_extract.serve import ServeConfig, create_app
    app = create_app(ServeConfig(rules_only=True, data_dir="/var/lib/llm-extract"))

Modules: :mod:`.app` (``create_app``: wires the routers, the error handlers and ``/static``);
the routers :mod:`.routes_extract`, :mod:`.routes_review` (the page, review, letters,
fixtures), :mod:`.routes_batches` and :mod:`.routes_operations` (health, readiness, metrics);
what they share: :mod:`.state` (the app state and the dependencies that hand it out, the
bearer check), :mod:`.incoming` (content type, body, form and options, read once),
:mod:`.uploads` (a letter request), :mod:`.worker` (extraction on a worker thread),
:mod:`.files` (the server's folders), :mod:`.problems` (problem+json errors);
:mod:`.schemas` (the pydantic request/response models behind the OpenAPI document),
:mod:`.jobs` (batch jobs over batch folders), :mod:`.metrics` (Prometheus text),
:mod:`.view` (the HTML review view shared by ``GET /`` and ``llm-extract view``; its
stylesheet and script are ``static/review.css`` and ``static/review.js``), :mod:`.cli`
(the two commands).
"""

from __future__ import annotations

from typing import Any

__all__ = ["ServeConfig", "create_app"]


def __getattr__(name: str) -> Any:  # lazy: FastAPI is imported only when the app is built
    if name == "ServeConfig":
        from .config import ServeConfig

        return ServeConfig
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
