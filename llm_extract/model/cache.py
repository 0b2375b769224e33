"""A disk cache of model answers, so that re-running a letter makes no model call.

The key covers everything that can change an answer: the model, the endpoint, the prompt's
``name@version``, the record schema version, the hash of the normalised letter text, the
sampling parameters and the part of the letter asked about (for per-item calls). Change any
of them and the next run asks the model again. The cached value is the validated answer as
JSON plus the usage it cost, never the raw letter text.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import diskcache

from ..errors import ConfigError
from ..record import SCHEMA_VERSION
from .settings import Settings

__all__ = ["AnswerCache", "cache_key", "question_key"]


def cache_key(
    *,
    model: str,
    endpoint: str,
    prompt: str,
    text_sha256: str,
    sampling: dict[str, Any],
    part: str = "all",
    mode: str = "json",
) -> str:
    """A stable hex key for one model question; see the module docstring."""
    payload = {
        "model": model,
        "endpoint": endpoint,
        "prompt": prompt,
        "schema": SCHEMA_VERSION,
        "text": text_sha256,
        "sampling": sampling,
        "part": part,
        "mode": mode,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def question_key(settings: Settings, *, endpoint: str, prompt: str, text_sha256: str, part: str) -> str:
    """:func:`cache_key` for one question asked under ``settings`` (the one place it is built)."""
    return cache_key(model=settings.model, endpoint=endpoint, prompt=prompt, text_sha256=text_sha256,
                     sampling=settings.sampling(), part=part,
                     # A schema-constrained answer can differ from a free one: a key of its own.
                     mode=settings.mode + ("+schema" if settings.wants_constraint() else ""))


class AnswerCache:
    """Answers by :func:`cache_key`, stored with :mod:`diskcache` under ``directory``."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        try:
            self._cache = diskcache.Cache(str(self.directory))
        except OSError as exc:
            raise ConfigError(f"cannot open the answer cache: {exc}", source=str(self.directory)) from exc

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry (``{"answer": ..., "usage": ...}``) or None."""
        value = self._cache.get(key)
        return value if isinstance(value, dict) else None

    def put(self, key: str, answer: dict[str, Any], usage: dict[str, int],
            extra: dict[str, Any] | None = None) -> None:
        """Store one validated answer, what it cost, and what else was read from it (``extra``)."""
        entry: dict[str, Any] = {"answer": answer, "usage": usage}
        if extra:
            entry["extra"] = extra
        self._cache.set(key, entry)

    def clear(self) -> None:
        """Remove every cached answer."""
        self._cache.clear()

    def close(self) -> None:
        """Close the underlying database."""
        self._cache.close()

    def __len__(self) -> int:
        return len(self._cache)
