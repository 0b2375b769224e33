"""The options of a batch job, held once: :class:`BatchOptions`, and the back-off it carries.

:func:`~llm_extract.batch.runner.extract_batch`, :func:`~llm_extract.batch.runner.aextract_batch`
and :func:`~llm_extract.batch.ray.extract_batch_ray` take the same keywords (documented in the
README); each builds one frozen :class:`BatchOptions` from them, which checks them once (output
formats, shard, extract function and its keywords, back-off) and is what the runners read.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from ..errors import ConfigError
from ..reading.letter import Letter
from ..record import IMRRecord
from .inputs import Shard, parse_shard
from .outputs import check_formats, pyarrow_modules

__all__ = ["BatchOptions", "Backoff", "Clock", "SystemClock", "ExtractFn", "default_extract", "check_extract_kwargs"]

ExtractFn = Callable[[Letter], IMRRecord]


def default_extract(letter: Letter, *, rules_only: bool, **kwargs: Any) -> IMRRecord:
    # Imported late: the pipeline pulls in the model stack, which a rules-only or injected
    # batch does not need, and a broken optional piece must fail per letter, not at import.
    from ..pipeline import extract

    return extract(letter, rules_only=rules_only, **kwargs)


def check_extract_kwargs(kwargs: dict[str, Any]) -> None:
    """Reject options the installed pipeline does not take, once, instead of once per letter."""
    if not kwargs:
        return
    import inspect

    from ..pipeline import extract

    params = inspect.signature(extract).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    unknown = sorted(set(kwargs) - set(params))
    if unknown:
        raise ConfigError(f"extract() does not take {', '.join(unknown)}")


class Clock(Protocol):
    """What :class:`Backoff` needs of time; tests pass a fake that records instead of sleeping."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class Backoff:
    """How long new work waits after the endpoint said it is overloaded or down.

    Each retryable failure waits ``low`` seconds, doubling up to ``high``; a success resets
    it. ``delays`` records every wait chosen.
    """

    def __init__(self, low: float = 1.0, high: float = 60.0, *, clock: Clock | None = None) -> None:
        self.low, self.high = low, high
        self.clock: Clock = clock or SystemClock()
        self.delay = 0.0
        self.not_before = 0.0
        self.delays: list[float] = []

    def failed(self) -> None:
        self.delay = min(self.high, max(self.low, self.delay * 2))
        self.not_before = self.clock.monotonic() + self.delay
        self.delays.append(self.delay)

    def succeeded(self) -> None:
        self.delay = 0.0

    def remaining(self) -> float:
        """Seconds still to wait before new work may start (0 or less: none)."""
        return self.not_before - self.clock.monotonic()


@dataclass(frozen=True)
class BatchOptions:
    """Everything a batch job is told besides its inputs, checked once when it is made.

    The fields are :func:`~llm_extract.batch.runner.extract_batch`'s keywords, in the forms
    the callers give them (``shard`` as ``"K/N"``, ``backoff`` as ``(low, high)``); after
    construction ``shard`` is a :class:`~llm_extract.batch.inputs.Shard` or None, ``formats``
    a checked tuple, ``backoff`` a :class:`Backoff`, and :attr:`extract` the one-letter
    function every worker calls. Raises :class:`~llm_extract.errors.ConfigError` for options
    that cannot work (an unknown format, a missing ``[parquet]`` extra with an output folder,
    ``extract_fn`` together with ``extract()`` keywords, keywords ``extract()`` does not take,
    ``concurrency`` below 1).
    """

    out_dir: str | os.PathLike[str] | None = None
    rules_only: bool = False
    concurrency: int = 1
    executor: Literal["thread", "process"] = "thread"
    shard: str | Shard | None = None
    formats: Sequence[str] = ("jsonl", "csv")
    extract_fn: ExtractFn | None = None
    fsync: bool = True
    backoff: tuple[float, float] | Backoff = (1.0, 60.0)
    stop_after_failures: int | None = None
    progress: bool = False
    #: Keywords for :func:`llm_extract.extract` (``model=``, ``prompt=``...), unless ``extract_fn``.
    extract_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        formats = tuple(check_formats(self.formats))
        if "parquet" in formats and self.out_dir is not None:
            pyarrow_modules()  # a missing extra fails now, not after hours of extraction
        if self.extract_fn is not None and self.extract_kwargs:
            raise ConfigError(f"extract_fn replaces extract(); cannot also pass {', '.join(self.extract_kwargs)}")
        if self.extract_fn is None:
            check_extract_kwargs(dict(self.extract_kwargs))
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {self.concurrency}")
        # Frozen: the normalised forms are set once, here.
        object.__setattr__(self, "formats", formats)
        object.__setattr__(self, "shard", parse_shard(self.shard))
        if not isinstance(self.backoff, Backoff):
            object.__setattr__(self, "backoff", Backoff(*self.backoff))
        object.__setattr__(self, "extract_kwargs", dict(self.extract_kwargs))

    @property
    def extract(self) -> ExtractFn:
        """The function each letter goes through: ``extract_fn``, or :func:`llm_extract.extract`."""
        if self.extract_fn is not None:
            return self.extract_fn
        return functools.partial(default_extract, rules_only=self.rules_only, **self.extract_kwargs)

    @property
    def out_path(self) -> Path | None:
        """``out_dir`` as a path, or None for a job that writes nothing."""
        return Path(self.out_dir) if self.out_dir is not None else None
