"""The one error hierarchy of ``llm_extract``.

Every error the library raises on purpose is a subclass of :class:`LlmExtractError`::

    LlmExtractError
    ├── ConfigError       settings that cannot work (bad URL, unknown model, missing extra)
    ├── InputError        a letter that cannot be read or is not an IMR letter
    ├── ModelError        the model endpoint failed (down, slow, refused, bad reply)
    └── ExtractionError   the model answered but its answer never validated

Each error carries the ``source`` it is about (a file path or a letter name) so that a
batch job can report which letter failed and why without logging the letter's text.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from .cost import Cost

__all__ = ["LlmExtractError", "ConfigError", "InputError", "ModelError", "ExtractionError",
           "redact", "register_secret"]

#: Anything that looks like a bearer key ("sk-...", "Bearer ...") is never shown.
_KEY_LIKE = re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_\-]{6,}|(?<=Bearer )[A-Za-z0-9_\-.=]{6,}", re.I)
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(secret: str | None) -> None:
    """Remember a configured secret (the API key) so that :func:`redact` hides it everywhere."""
    if secret and len(secret) >= 4:
        with _secrets_lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    """``text`` with every configured secret and every key-like token replaced by ``***``."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "***")
    return _KEY_LIKE.sub("***", text)


class LlmExtractError(Exception):
    """Base class of every error raised by ``llm_extract``."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        # A server's message may echo the request's key: no error ever carries it.
        message = redact(str(message))
        self.message = message
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class ConfigError(LlmExtractError):
    """The settings cannot work: a bad endpoint, a missing optional extra, a bad prompt file."""


class InputError(LlmExtractError):
    """The letter cannot be read, is empty, too long, or is not an IMR determination letter."""


class ModelError(LlmExtractError):
    """The model endpoint failed: not reachable, timed out, or refused the request."""

    def __init__(self, message: str, *, source: str | None = None, status: int | None = None) -> None:
        self.status = status
        super().__init__(message, source=source)


class ExtractionError(LlmExtractError):
    """The model answered, but no answer validated after every re-ask.

    ``last_answer`` holds the last raw answer, ``cost`` the tokens and calls spent on all
    attempts (a :class:`~llm_extract.cost.Cost`), and ``rules_record`` the record the
    deterministic pass produced on its own. ``usage=`` (a mapping with ``calls``) is still
    accepted in place of ``cost=``, and :attr:`usage` still reads as that mapping.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        last_answer: str | None = None,
        cost: Cost | None = None,
        usage: Mapping[str, int] | None = None,
        rules_record: Any = None,
    ) -> None:
        self.last_answer = last_answer
        self.cost = cost if cost is not None else Cost.model_validate(dict(usage or {}))
        self.rules_record = rules_record
        super().__init__(message, source=source)

    @property
    def usage(self) -> dict[str, int]:
        """The tokens and calls spent, in the older mapping shape (``prompt_tokens``, ``calls``...)."""
        return self.cost.usage_dict()
