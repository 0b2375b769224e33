"""One letter's extraction on a worker thread, and its failure as the HTTP problem it answers.

The event loop never extracts: :func:`run` hands the work to ``AppState.executor()`` and
gives back the queue place :meth:`AppState.reserve` took, whatever happens.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import llm_extract
from llm_extract import ConfigError, ExtractionError, IMRRecord, InputError, Letter, LlmExtractError, ModelError

from .incoming import Options
from .problems import ProblemError
from .state import AppState

__all__ = ["run"]


@dataclass
class _Outcome:
    """What the worker thread hands back: the letter read (if it was), and a record or an error.

    ``rules_record`` is the deterministic pass alone, made when the model endpoint failed
    (a :class:`ModelError`), for the 502/504 to carry; an :class:`ExtractionError` brings its own.
    """

    letter: Letter | None
    record: IMRRecord | None = None
    error: Exception | None = None
    rules_record: IMRRecord | None = None


def _extract_now(state: AppState, make_letter: Callable[[], Letter], opts: Options) -> _Outcome:
    """Runs on a worker thread; never raises."""
    metrics = state.metrics
    with state.lock:
        metrics.inflight += 1
        metrics.queued = max(0, state.pending - metrics.inflight)
    started = time.perf_counter()
    letter: Letter | None = None
    mode = "rules" if opts.rules_only else "model"
    try:
        letter = make_letter()
        if opts.rules_only:
            record = llm_extract.extract(letter, rules_only=True)
        else:
            settings = state.settings if not opts.model else state.config.model_settings(opts.model)
            record = llm_extract.extract(letter, prompt=opts.prompt, settings=settings)
        prov = record.provenance
        metrics.letter(mode=mode, outcome="ok", seconds=time.perf_counter() - started,
                       prompt_tokens=prov.prompt_tokens, completion_tokens=prov.completion_tokens,
                       model_calls=prov.model_calls)
        return _Outcome(letter, record=record)
    except Exception as exc:
        cost = exc.cost if isinstance(exc, ExtractionError) else None
        metrics.letter(mode=mode, outcome="failed", seconds=time.perf_counter() - started,
                       error_type=type(exc).__name__,
                       prompt_tokens=cost.prompt_tokens if cost else 0,
                       completion_tokens=cost.completion_tokens if cost else 0)
        rules = None
        if isinstance(exc, ModelError) and letter is not None:
            try:
                rules = llm_extract.extract(letter, rules_only=True)
            except LlmExtractError:
                rules = None
        return _Outcome(letter, error=exc, rules_record=rules)
    finally:
        with state.lock:
            metrics.inflight -= 1


def _is_timeout(exc: ModelError) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if "Timeout" in type(seen).__name__:
            return True
        seen = seen.__cause__
    return "did not answer within" in exc.message


def _problem_of(outcome: _Outcome, source: str | None) -> Exception:
    """The answer to a failed extraction: a :class:`ProblemError`, or the error itself when it
    is not one of the library's (the app's 500 handler answers it)."""
    exc = outcome.error
    assert exc is not None
    if isinstance(exc, InputError):
        return ProblemError(422, "InputError", "Not a readable IMR letter", exc.message, source=source)
    if isinstance(exc, ExtractionError):
        rules = exc.rules_record if isinstance(exc.rules_record, IMRRecord) else None
        return ProblemError(502, "ExtractionError", "The model's answer never validated", exc.message,
                            source=source, rules_record=rules)
    if isinstance(exc, ModelError):
        if _is_timeout(exc):
            return ProblemError(504, "ModelError", "The model endpoint timed out", exc.message,
                                source=source, rules_record=outcome.rules_record)
        return ProblemError(502, "ModelError", "The model endpoint failed", exc.message,
                            source=source, rules_record=outcome.rules_record)
    if isinstance(exc, ConfigError):
        return ProblemError(400, "ConfigError", "Unusable settings", exc.message, source=source)
    if isinstance(exc, LlmExtractError):
        return ProblemError(422, type(exc).__name__, "Extraction failed", exc.message, source=source)
    return exc


async def run(state: AppState, make_letter: Callable[[], Letter], opts: Options,
              source: str | None) -> tuple[Letter, IMRRecord]:
    """Extract on a worker thread (a queue place already reserved); the letter and its record,
    or the failure's :class:`ProblemError`."""
    loop = asyncio.get_running_loop()
    try:
        outcome = await loop.run_in_executor(state.executor(), _extract_now, state, make_letter, opts)
    finally:
        state.release()
    if outcome.error is not None:
        raise _problem_of(outcome, source)
    assert outcome.letter is not None and outcome.record is not None
    return outcome.letter, outcome.record
