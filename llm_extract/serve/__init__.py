"""The HTTP extraction service and review page (``llm-extract serve``; the ``[serve]`` extra).

Not imported by ``import llm_extract``: the CLI imports it when ``serve`` or ``view`` runs.

    from llm_extract.serve import ServeConfig, create_app
    app = create_app(ServeConfig(rules_only=True, data_dir="/var/lib/llm-extract"))

Modules: :mod:`.app` (the FastAPI app), :mod:`.schemas` (the pydantic request/response
models behind the OpenAPI document), :mod:`.jobs` (batch jobs over batch folders),
:mod:`.metrics` (Prometheus text), :mod:`.view` (the HTML review view shared by ``GET /``
and ``llm-extract view``), :mod:`.cli` (the two commands).
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
