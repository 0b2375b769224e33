"""Where the model pass sends its requests, and how: one frozen :class:`Settings`.

Each value is resolved in this order: an explicit argument, then the environment, then the
default. With no base URL anywhere the embedded local model is used (see
:mod:`llm_extract.local_server`). The API key never appears in ``repr``/``str`` output so
that a settings object can be logged or put in an error message safely.

Environment variables read:

* ``LLM_EXTRACT_BASE_URL``, then ``OPENAI_BASE_URL``: an OpenAI-compatible endpoint
* ``LLM_EXTRACT_MODEL``: model name (a name the endpoint knows, or a local model name/GGUF path)
* ``OPENAI_API_KEY``: the key sent to the endpoint (never shown in an error message)
* ``LLM_EXTRACT_TIMEOUT``: seconds to wait for one model answer (default 300)
* ``LLM_EXTRACT_CACHE_DIR``: where model answers are cached
* ``LLM_EXTRACT_HOME``: root of the per-user data (assembled models, server logs, cache)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, register_secret

__all__ = ["Settings", "DEFAULT_LOCAL_MODEL", "MODES", "data_home"]

#: The embedded model used when no endpoint is configured.
DEFAULT_LOCAL_MODEL = "qwen2.5-coder-1.5b"
#: instructor modes this project supports; llama.cpp's server only takes ``json``.
MODES = ("json", "json_schema", "tools", "md_json")


def data_home(env: Mapping[str, str] | None = None) -> Path:
    """Root of the per-user data: ``$LLM_EXTRACT_HOME`` or ``~/.cache/llm_extract``."""
    env = os.environ if env is None else env
    home = env.get("LLM_EXTRACT_HOME")
    if home:
        return Path(home).expanduser()
    xdg = env.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "llm_extract"


@dataclass(frozen=True)
class Settings:
    """Everything the model pass needs to reach a model. Build it with :meth:`resolve`."""

    base_url: str | None = None
    # repr=False: the key must never reach a log line or an error message.
    api_key: str | None = field(default=None, repr=False)
    model: str = DEFAULT_LOCAL_MODEL
    timeout: float = 300.0
    max_retries: int = 3
    max_reasks: int = 2
    cache_dir: Path = field(default_factory=lambda: data_home() / "answers")
    temperature: float = 0.0
    seed: int = 0
    n_ctx: int = 8192
    max_tokens: int = 1536
    mode: str = "json"
    #: Threads for the embedded server (None: every core; llama-cpp-python alone uses half).
    threads: int | None = None
    #: Send the answer's JSON schema as a decoding constraint where the endpoint proves (by a
    #: self-test request) that it applies it; off, or not applied, means plain JSON mode.
    #: None means: on for the embedded llama.cpp server, off for other endpoints unless asked.
    constrain: bool | None = None
    #: Ask for the answer tokens' log-probabilities, which set the confidence of the model's
    #: values. None means: on for the embedded llama.cpp server (it returns them), off for other
    #: endpoints unless asked (not every OpenAI-compatible server accepts the parameter).
    logprobs: bool | None = None

    def __post_init__(self) -> None:
        register_secret(self.api_key)  # never shown in an error message (errors.redact)
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be positive, got {self.timeout}")
        if self.max_retries < 0 or self.max_reasks < 0:
            raise ConfigError("max_retries and max_reasks must be >= 0")
        if self.n_ctx < 512:
            raise ConfigError(f"n_ctx must be at least 512, got {self.n_ctx}")
        if self.mode not in MODES:
            raise ConfigError(f"unknown mode {self.mode!r}; expected one of {', '.join(MODES)}")
        if self.base_url is not None and not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        if not self.model:
            raise ConfigError("model must not be empty")

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.name != "api_key"
        )
        key = "'***'" if self.api_key else "None"
        return f"Settings({shown}, api_key={key})"

    __str__ = __repr__

    @property
    def is_local(self) -> bool:
        """True when no endpoint is configured and the embedded model will be started."""
        return self.base_url is None

    def wants_constraint(self) -> bool:
        """Whether to send the answer schema as a decoding constraint (see ``constrain``)."""
        if self.mode != "json":
            return False
        return self.constrain if self.constrain is not None else self.base_url is None

    def wants_logprobs(self) -> bool:
        """Whether to ask for token log-probabilities (see ``logprobs``)."""
        return self.logprobs if self.logprobs is not None else self.base_url is None

    def sampling(self) -> dict[str, Any]:
        """The sampling parameters sent with every request (and part of the cache key)."""
        return {"temperature": self.temperature, "seed": self.seed, "max_tokens": self.max_tokens}

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def resolve(
        cls,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        model: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Resolve settings: arguments first, then the environment, then the defaults.

        ``overrides`` sets any other field (``timeout``, ``max_retries``, ``max_reasks``,
        ``temperature``, ``seed``, ``n_ctx``, ``max_tokens``, ``mode``); ``None`` values are
        ignored so that callers can pass their optional arguments straight through.
        """
        env = os.environ if env is None else env
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
        url = base_url or env.get("LLM_EXTRACT_BASE_URL") or env.get("OPENAI_BASE_URL") or None
        values["base_url"] = url.rstrip("/") if url else None
        values["api_key"] = api_key or env.get("OPENAI_API_KEY") or None
        if "timeout" not in values and env.get("LLM_EXTRACT_TIMEOUT"):
            raw = env["LLM_EXTRACT_TIMEOUT"]
            try:
                values["timeout"] = float(raw)
            except ValueError:
                raise ConfigError(f"LLM_EXTRACT_TIMEOUT must be a number of seconds, got {raw!r}") from None
        values["model"] = model or env.get("LLM_EXTRACT_MODEL") or DEFAULT_LOCAL_MODEL
        cache = cache_dir or env.get("LLM_EXTRACT_CACHE_DIR")
        values["cache_dir"] = Path(cache).expanduser() if cache else data_home(env) / "answers"
        return cls(**values)
