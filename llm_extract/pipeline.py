"""The entry point: one letter in, one validated :class:`IMRRecord` out.

The model stack (instructor, openai, the answer cache) is imported inside the functions that
need it, so ``extract(..., rules_only=True)`` and ``import llm_extract`` never load it.
"""

from __future__ import annotations

import os
import threading
import time
from typing import TYPE_CHECKING

from .errors import InputError
from .reading import Letter, letter_from_text, read_letter
from .record import IMRRecord
from .rules import read_rules

if TYPE_CHECKING:
    from .model.cache import AnswerCache
    from .model.client import ModelClient
    from .model.settings import Settings

__all__ = ["extract", "load", "model_client", "answer_cache"]


def load(letter: str | os.PathLike[str] | Letter | None = None, *, text: str | None = None,
         source: str | None = None) -> Letter:
    """Turn what a caller passes into a :class:`Letter`.

    A :class:`Letter` is used as is; a string or path-like is always a path, read from disk
    (even one whose name holds a line break); letter text is passed as ``text=`` (named
    ``source``, default ``"<text>"``). Nothing is guessed.
    """
    if (letter is None) == (text is None):
        raise TypeError("pass either a letter (a path or a Letter) or text=..., not both or neither")
    if text is not None:
        return letter_from_text(text, source=source or "<text>")
    if isinstance(letter, Letter):
        return letter
    if isinstance(letter, (str, os.PathLike)):
        if not os.fspath(letter).strip():
            raise InputError("an empty path", source=repr(os.fspath(letter)))
        return read_letter(letter)
    raise TypeError(f"a letter is a path or a Letter, not {type(letter).__name__}; "
                    "pass letter text as extract(text=...)")


def extract(
    letter: str | os.PathLike[str] | Letter | None = None,
    *,
    text: str | None = None,
    source: str | None = None,
    timeout: float | None = None,
    rules_only: bool = False,
    model: str | None = None,
    prompt: str = "imr-hybrid",
    base_url: str | None = None,
    api_key: str | None = None,
    settings: Settings | None = None,
    no_cache: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> IMRRecord:
    """Extract one IMR record from a letter: a path, a :class:`Letter`, or ``text=`` the text.

    A string positional is always a path; letter text goes in ``text=`` (``source=`` names
    it in errors and provenance). ``timeout`` is the seconds to wait for one model answer
    (else ``LLM_EXTRACT_TIMEOUT``, else 300).

    With ``rules_only=True`` only the deterministic layout pass runs and no model is called.
    Otherwise the deterministic pass runs first and the model (``prompt``, default
    ``imr-hybrid``) fills what the rules cannot give. The model is reached through
    ``settings`` if given, else ``model``/``base_url``/``api_key``/``cache_dir`` and the
    environment (see :class:`~llm_extract.settings.Settings`); with no base URL anywhere
    the embedded local model is started. ``no_cache=True`` bypasses the answer cache.

    Raises :class:`~llm_extract.errors.InputError` for a letter that cannot be read or is
    not an IMR determination letter, :class:`~llm_extract.errors.ModelError` when the model
    endpoint fails, :class:`~llm_extract.errors.ConfigError` for unusable settings, and
    :class:`~llm_extract.errors.ExtractionError` (with ``rules_record``, ``last_answer`` and
    ``usage``) when no model answer validates.
    """
    started = time.perf_counter()
    doc = load(letter, text=text, source=source)
    rules = read_rules(doc)
    record = rules.record
    if not rules_only:
        from .model.model_pass import run_model_pass
        from .model.prompts import load_prompt
        from .model.settings import Settings

        if settings is None:
            settings = Settings.resolve(model=model, base_url=base_url, api_key=api_key, cache_dir=cache_dir,
                                        timeout=timeout)
        record = run_model_pass(
            doc,
            rules,
            prompt=load_prompt(prompt),
            client=model_client(settings),
            cache=None if no_cache else answer_cache(settings.cache_dir),
        )
    record.provenance.seconds = time.perf_counter() - started
    return record


_clients: dict[Settings, ModelClient] = {}
_caches: dict[str, AnswerCache] = {}
_lock = threading.Lock()


def model_client(settings: Settings) -> ModelClient:
    """The process's client for ``settings`` (reused, so the local server starts once)."""
    from .model.client import ModelClient

    with _lock:
        client = _clients.get(settings)
        if client is None:
            client = _clients[settings] = ModelClient(settings)
        return client


def answer_cache(directory: str | os.PathLike[str]) -> AnswerCache:
    """The process's answer cache in ``directory`` (opened once)."""
    from .model.cache import AnswerCache

    key = os.fspath(directory)
    with _lock:
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = AnswerCache(key)
        return cache
