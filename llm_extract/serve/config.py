"""The service's settings: one frozen :class:`ServeConfig`, built by ``llm-extract serve``."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from llm_extract import ConfigError, Settings

__all__ = ["ServeConfig", "default_data_dir"]


def default_data_dir() -> Path:
    """``$LLM_EXTRACT_HOME/serve`` or ``~/.cache/llm_extract/serve``."""
    home = os.environ.get("LLM_EXTRACT_HOME")
    if home:
        return Path(home).expanduser() / "serve"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "llm_extract" / "serve"


@dataclass(frozen=True)
class ServeConfig:
    """Everything the app needs; every field has a safe default (loopback, no CORS)."""

    #: Batch jobs (``batches/<id>/``) and uploads kept for review (``uploads/``).
    data_dir: Path = field(default_factory=default_data_dir)
    #: Only folders under this root may be named by POST /v1/batches; None: none may.
    batch_root: Path | None = None
    #: Where the review page saves corrected records as fixtures (letters/ + labels/).
    fixtures_dir: Path | None = None
    #: Letters the review page may pick by name (GET /v1/letters); None: upload only.
    letters_dir: Path | None = None
    #: Every request runs the deterministic pass only (no model is ever called).
    rules_only: bool = False
    #: How the model is reached (None: resolved from the environment on first use).
    settings: Settings | None = None
    prompt: str = "imr-hybrid"
    #: Bearer token for /v1 and /metrics; None: no authentication.
    api_token: str | None = field(default=None, repr=False)
    max_upload_bytes: int = 20 * 1024 * 1024
    #: Extractions running at once (threads) and waiting beyond them before 429.
    workers: int = 2
    queue_size: int = 32
    #: Seconds a 429 asks the client to wait.
    retry_after: int = 2
    #: Origins allowed by CORS; empty: no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    #: Review uploads (kept so a reviewed letter can be saved as a fixture) older than this
    #: are deleted when the server starts.
    keep_uploads_hours: float = 24.0
    #: Threads of one batch job.
    batch_concurrency: int = 2

    def __post_init__(self) -> None:
        if self.workers < 1 or self.queue_size < 0:
            raise ConfigError("workers must be >= 1 and queue_size >= 0")
        if self.max_upload_bytes < 1:
            raise ConfigError("max_upload_bytes must be positive")
        object.__setattr__(self, "data_dir", Path(self.data_dir).expanduser())
        if self.batch_root is not None:
            object.__setattr__(self, "batch_root", Path(self.batch_root).expanduser().resolve())
        if self.letters_dir is not None:
            object.__setattr__(self, "letters_dir", Path(self.letters_dir).expanduser().resolve())
        if self.fixtures_dir is not None:
            object.__setattr__(self, "fixtures_dir", Path(self.fixtures_dir).expanduser())

    def model_settings(self, model: str | None = None) -> Settings:
        """The settings for one request (``model`` replaces the configured model name)."""
        base = self.settings if self.settings is not None else Settings.resolve()
        return base.replace(model=model) if model else base
