"""Batch extraction: many letters in, one crash-safe output folder out.

:func:`extract_batch` streams inputs, runs up to ``concurrency`` extractions at a time, and
yields one :class:`BatchResult` per input as it finishes. With ``out_dir`` every finished
letter is appended to ``records.jsonl`` (fsynced before it is reported), failures to
``errors.jsonl``, and at the end the tables and ``summary.json`` are rebuilt from the logs.
Running the same job again skips letters already done (by the hash of their normalised
text) and retries the failed ones. See :mod:`llm_extract.batch.store` for the layout.

A bad letter never stops the batch: every exception of one extraction becomes an error
line naming the file and the reason (never the letter's text).
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import functools
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, ParamSpec

from pydantic import ValidationError

from ..errors import LlmExtractError, ModelError, redact
from ..reading.letter import Letter, read_letter
from ..record import IMRRecord
from .inputs import InputLike, Shard, file_info, file_sha256, iter_inputs
from .options import (
    Backoff,
    BatchOptions,
    Clock,
    ExtractFn,
    SystemClock,
    check_extract_kwargs,  # noqa: F401 - re-exported from the name's old home
    default_extract,  # noqa: F401 - re-exported from the name's old home
)
from .store import OutputStore

__all__ = ["BatchResult", "BatchRun", "BatchSummary", "BatchOptions", "Backoff", "Clock", "SystemClock",
           "extract_batch", "aextract_batch"]

log = logging.getLogger("llm_extract.batch")

Status = Literal["done", "cached", "duplicate", "failed"]
_MISSING = object()
_P = ParamSpec("_P")


@dataclass
class BatchResult:
    """The outcome for one input letter.

    ``status`` is ``done`` (extracted in this run), ``cached`` (found finished in the output
    folder), ``duplicate`` (same normalised text as ``duplicate_of``, not extracted again)
    or ``failed`` (``error_type`` and ``error`` say why).
    """

    source: str
    status: Status
    sha256: str | None = None
    error_type: str | None = None
    error: str | None = None
    duplicate_of: str | None = None
    _record: IMRRecord | None = field(default=None, repr=False)
    _loader: Callable[[], IMRRecord | None] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True unless the letter failed."""
        return self.status != "failed"

    @property
    def record(self) -> IMRRecord | None:
        """The letter's record (read back from the output folder on first use when cached)."""
        if self._record is None and self._loader is not None:
            self._record = self._loader()
            self._loader = None
        return self._record


@dataclass
class BatchSummary:
    """Counts of one run; ``aborted`` names the reason when the run stopped early."""

    seen: int = 0
    done: int = 0
    cached: int = 0
    duplicate: int = 0
    failed: int = 0
    other_shard: int = 0
    seconds: float = 0.0
    aborted: str | None = None
    errors_by_type: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def letters_per_second(self) -> float:
        """Inputs handled per second of wall time (done, cached, duplicate and failed)."""
        handled = self.done + self.cached + self.duplicate + self.failed
        return handled / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain-data form for ``summary.json``."""
        return {
            "seen": self.seen, "done": self.done, "cached": self.cached,
            "duplicate": self.duplicate, "failed": self.failed, "other_shard": self.other_shard,
            "seconds": round(self.seconds, 3), "letters_per_second": round(self.letters_per_second, 3),
            "aborted": self.aborted, "errors_by_type": dict(self.errors_by_type),
        }


@dataclass
class _Task:
    source: str
    path: str | None
    letter: Letter | None
    file: dict[str, int] | None = None


@dataclass
class _Outcome:
    task: _Task
    kind: Literal["done", "failed", "duplicate", "other_shard"]
    sha256: str | None = None
    record: IMRRecord | None = None
    error: BaseException | None = None
    described: tuple[str, str, int | None] | None = None  # (type, message, status) from a process


def _describe(exc: BaseException) -> tuple[str, str, int | None]:
    """(type, message, HTTP status) of a failure, without echoing the letter's text."""
    status = getattr(exc, "status", None) if isinstance(exc, ModelError) else None
    if isinstance(exc, LlmExtractError):
        return type(exc).__name__, exc.message, status
    if isinstance(exc, ValidationError):
        # Pydantic's own message quotes input values, which may be letter text.
        parts = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)]
        return "ValidationError", "; ".join(parts)[:500], None
    return type(exc).__name__, redact((str(exc).splitlines() or [""])[0][:300]), None


def _retryable(out: _Outcome) -> bool:
    """Failures that say the endpoint is overloaded or down: back off before the next one."""
    if out.described is not None:
        etype, _, status = out.described
    elif isinstance(out.error, ModelError):
        etype, status = "ModelError", out.error.status
    else:
        return False
    return etype == "ModelError" and (status is None or status == 429 or status >= 500)


class BatchRun:
    """An iterator of :class:`BatchResult`; after it is exhausted ``summary`` holds the counts.

    Use it as a context manager (or exhaust it) so an early ``break`` closes the logs.
    """

    def __init__(self, inputs: Iterable[InputLike] | InputLike, options: BatchOptions, *,
                 total: int | None = None) -> None:
        self.options = options
        self.summary = BatchSummary()
        self.out_dir = options.out_path
        self._inputs = inputs
        self._extract = options.extract
        self._concurrency = options.concurrency
        self._executor_kind = options.executor
        self._shard = options.shard if isinstance(options.shard, Shard) else None
        self._formats = tuple(options.formats)
        self._fsync = options.fsync
        self.backoff = options.backoff if isinstance(options.backoff, Backoff) else Backoff(*options.backoff)
        self._stop_after = options.stop_after_failures
        self._progress = options.progress
        self._total = total
        self._lock = threading.Lock()
        # Hashes being extracted now, so a second copy waits for the first instead of
        # costing another model call; and, without an output folder, the hashes done.
        self._claimed: dict[str, str] = {}
        self._done_mem: dict[str, str] = {}
        self._failed_sha: dict[str, tuple[str, str, str, int | None]] = {}
        self._store: OutputStore | None = None
        self._gen = self._run()

    # -- iterator protocol ---------------------------------------------------------------
    def __iter__(self) -> BatchRun:
        return self

    def __next__(self) -> BatchResult:
        return next(self._gen)

    def close(self) -> None:
        """Stop early: in-flight work is abandoned (not reported done), logs are closed."""
        self._gen.close()

    def __enter__(self) -> BatchRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- per-letter work (runs in worker threads or processes) ---------------------------
    def _done_source(self, sha: str) -> str | None:
        if self._store is not None:
            entry = self._store.by_sha.get(sha)
            return entry[1] if entry else None
        return self._done_mem.get(sha)

    def _work(self, task: _Task) -> _Outcome:
        sha: str | None = None
        try:
            if not _owns_file(self._shard, task):
                return _Outcome(task, "other_shard")
            letter = task.letter if task.letter is not None else read_letter(task.source)
            sha = letter.sha256
            if self._shard is not None and self._shard.by == "text" and not self._shard.owns(sha):
                return _Outcome(task, "other_shard", sha)
            with self._lock:
                if self._done_source(sha) is not None or sha in self._claimed:
                    return _Outcome(task, "duplicate", sha)
                self._claimed[sha] = task.source
            return _Outcome(task, "done", sha, record=self._extract(letter))
        except Exception as exc:  # one letter's failure, whatever it is, is recorded, never raised
            return _Outcome(task, "failed", sha, error=exc)

    # -- the driver (runs in the caller's thread) ----------------------------------------
    def _tasks(self) -> Iterator[_Task | BatchResult]:
        """Expand inputs into tasks; files unchanged since they finished become results."""
        seen: set[str] = set()
        for item in iter_inputs(self._inputs):
            self.summary.seen += 1
            if isinstance(item, Letter):
                yield _Task(item.source, None, item)
                continue
            source = os.fspath(item)
            path = os.path.abspath(source)
            if path in seen:  # the same file named twice (a folder and a glob overlapping)
                self.summary.seen -= 1
                continue
            seen.add(path)
            info = file_info(path)
            store = self._store
            if store is not None and info is not None:
                key = store.known(path, info["size"], info["mtime_ns"])
                if key is not None:
                    if self._shard is not None and self._shard.by == "text" and not self._shard.owns(key.sha256):
                        self.summary.other_shard += 1
                        continue
                    yield self._cached(source, key.sha256)
                    continue
            yield _Task(source, path, None, info)

    def _cached(self, source: str, sha: str) -> BatchResult:
        store = self._store
        assert store is not None
        entry = store.by_sha.get(sha)
        dup_of = entry[1] if entry and entry[1] != source else None
        self.summary.cached += 1
        return BatchResult(source, "cached", sha, duplicate_of=dup_of,
                           _loader=functools.partial(store.load_record, sha))

    def _finish(self, out: _Outcome, waiting: dict[str, list[_Task]]) -> list[BatchResult]:
        """Write one outcome (and any duplicates that waited on it); return their results."""
        task, sha, store = out.task, out.sha256, self._store
        if out.kind == "other_shard":
            self.summary.other_shard += 1
            return []
        if out.kind == "duplicate" and sha is not None:
            primary = self._done_source(sha)
            if primary is not None:
                return [self._duplicate(task, sha, primary)]
            if sha in self._failed_sha:  # the first copy failed before this one was settled
                first, etype, message, status = self._failed_sha[sha]
                return [self._failed(task, sha, etype, f"same text as {first}, which failed: {message}", status)]
            waiting[sha].append(task)  # the first copy is still in flight: answer when it lands
            return []
        if out.kind == "done" and sha is not None and out.record is not None:
            with self._lock:
                primary = self._done_source(sha)
            if primary is not None:  # a process worker cannot see claims; settle it here
                return [self._duplicate(task, sha, primary)]
            if store is not None:
                store.add_record(source=task.source, path=task.path, sha256=sha, record=out.record, file=task.file)
            with self._lock:
                self._done_mem[sha] = task.source
                self._claimed.pop(sha, None)
            self.summary.done += 1
            results = [BatchResult(task.source, "done", sha, _record=out.record)]
            for dup in waiting.pop(sha, []):
                results.append(self._duplicate(dup, sha, task.source))
            return results
        # failed
        etype, message, status = out.described or _describe(out.error or RuntimeError("no record"))
        results = [self._failed(task, sha, etype, message, status)]
        if sha is not None:
            self._failed_sha[sha] = (task.source, etype, message, status)
            with self._lock:
                if self._claimed.get(sha) == task.source:
                    del self._claimed[sha]
            for dup in waiting.pop(sha, []):
                results.append(self._failed(dup, sha, etype, f"same text as {task.source}, which failed: {message}",
                                            status))
        return results

    def _duplicate(self, task: _Task, sha: str, primary: str) -> BatchResult:
        store = self._store
        if store is not None and task.path and store.has_path(task.path):
            # The same file again (touched, or read back in another run): nothing new.
            return self._cached(task.source, sha)
        if store is not None:
            store.add_record(source=task.source, path=task.path, sha256=sha, record=None,
                             file=task.file, duplicate_of=primary)
        self.summary.duplicate += 1
        loader = functools.partial(store.load_record, sha) if store is not None else None
        return BatchResult(task.source, "duplicate", sha, duplicate_of=primary, _loader=loader)

    def _failed(self, task: _Task, sha: str | None, etype: str, message: str, status: int | None) -> BatchResult:
        if self._store is not None:
            self._store.add_error(source=task.source, path=task.path, sha256=sha, error_type=etype,
                                  message=message, status=status)
        log.warning("%s: %s: %s", task.source, etype, message)
        self.summary.failed += 1
        self.summary.errors_by_type[etype] += 1
        return BatchResult(task.source, "failed", sha, error_type=etype, error=message)

    def _make_executor(self) -> cf.Executor | None:
        if self._concurrency == 1:
            return None  # inline: no thread hop per letter for the CPU-bound rules pass
        if self._executor_kind == "process":
            return cf.ProcessPoolExecutor(max_workers=self._concurrency)
        return cf.ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="llm-extract")

    def _run(self) -> Generator[BatchResult, None, None]:
        started = time.perf_counter()
        self._open_store()
        bar = _progress_bar(self._total) if self._progress else None
        dispatch = _Dispatch(self, bar)
        completed = False
        try:
            yield from dispatch.run()
            completed = True
        finally:
            dispatch.shutdown(wait=completed)
            self.summary.seconds = time.perf_counter() - started
            if bar is not None:
                bar.close()
            if self._store is not None:
                self._store.close()
        if self.out_dir is not None and completed:
            from .outputs import write_outputs

            write_outputs(self.out_dir, formats=self._formats, run=self.summary.as_dict())

    def _open_store(self) -> None:
        """Open the output folder's logs, if there is one (dropping a torn last line)."""
        if self.out_dir is None:
            return
        self._store = OutputStore(self.out_dir, fsync=self._fsync)
        if self._store.torn_bytes:
            log.warning("%s: dropped a torn last line (%d bytes) left by an interrupted run",
                        self.out_dir, self._store.torn_bytes)

    def _submit(self, executor: cf.Executor, task: _Task) -> cf.Future[_Outcome]:
        if isinstance(executor, cf.ProcessPoolExecutor):
            return executor.submit(_process_work, task, self._extract, self._shard)
        return executor.submit(self._work, task)


class _Dispatch:
    """One run's scheduling: feed tasks to the executor, keep the queue short, back off after
    overload, stop after too many failures in a row, and settle each outcome as it lands."""

    def __init__(self, run: BatchRun, bar: Any) -> None:
        self.batch = run
        self.bar = bar
        self.executor = run._make_executor()
        self.pending: dict[cf.Future[_Outcome], _Task] = {}
        self.waiting: dict[str, list[_Task]] = defaultdict(list)
        # Keep the queue short: enough to keep workers busy, never the whole corpus.
        self.max_pending = 2 * run._concurrency
        self.fails_in_a_row = 0

    def run(self) -> Iterator[BatchResult]:
        """Every task's result, in the order they settle; then any duplicate left waiting."""
        run = self.batch
        for task in run._tasks():
            if isinstance(task, BatchResult):
                self._tick()
                yield task
                continue
            if run._stop_after and self.fails_in_a_row >= run._stop_after:
                run.summary.aborted = f"{self.fails_in_a_row} failures in a row"
                log.error("stopping: %s; run the same command again to resume", run.summary.aborted)
                break
            yield from self._back_off()
            if self.executor is None:
                yield from self._settle([run._work(task)])
                continue
            while len(self.pending) >= self.max_pending:
                yield from self._wait_some()
            self.pending[self._submit(task)] = task
        while self.pending:
            yield from self._wait_some()
        for sha, tasks in self.waiting.items():  # defensive: nothing may vanish unreported
            for t in tasks:
                yield run._failed(t, sha, "InternalError", "duplicate left unsettled", None)

    def shutdown(self, *, wait: bool) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=wait, cancel_futures=True)

    def _tick(self) -> None:
        if self.bar is not None:
            _tick(self.bar, self.batch.summary)

    def _back_off(self) -> Iterator[BatchResult]:
        """Back off after an overloaded or unreachable endpoint, still collecting the results
        of the requests already in flight."""
        backoff = self.batch.backoff
        while (wait_for := backoff.remaining()) > 0:
            if self.pending:
                yield from self._wait_some(timeout=wait_for)
            else:
                backoff.clock.sleep(wait_for)

    def _submit(self, task: _Task) -> cf.Future[_Outcome]:
        assert self.executor is not None
        try:
            return self.batch._submit(self.executor, task)
        except cf.BrokenExecutor:
            # A worker process died (e.g. out of memory): its letters were recorded
            # as failed; start a fresh pool for the rest.
            log.warning("a worker process died; starting new ones")
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self.batch._make_executor()
            assert self.executor is not None
            return self.batch._submit(self.executor, task)

    def _wait_some(self, timeout: float | None = None) -> Iterator[BatchResult]:
        done, _ = cf.wait(self.pending, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        outs = []
        for fut in done:
            task = self.pending.pop(fut)
            try:
                outs.append(fut.result())
            except Exception as exc:  # a process worker that could not even return
                outs.append(_Outcome(task, "failed", error=exc))
        yield from self._settle(outs)

    def _settle(self, outs: Iterable[_Outcome]) -> Iterator[BatchResult]:
        backoff = self.batch.backoff
        for out in outs:
            if out.kind == "failed":
                self.fails_in_a_row += 1
                if _retryable(out):
                    backoff.failed()
            elif out.kind == "done":
                self.fails_in_a_row = 0
                backoff.succeeded()
            for res in self.batch._finish(out, self.waiting):
                self._tick()
                yield res


def _owns_file(shard: Shard | None, task: _Task) -> bool:
    """The cheap shard test on raw bytes; True when it does not apply or cannot be made."""
    if shard is None or shard.by != "bytes" or task.path is None:
        return True
    try:
        return shard.owns(file_sha256(task.path))
    except OSError:
        return True  # unreadable: let the reader report it by name


def _process_work(task: _Task, extract_fn: ExtractFn, shard: Shard | None) -> _Outcome:
    """Worker-process body: read and extract; duplicates are settled by the parent."""
    sha: str | None = None
    try:
        if not _owns_file(shard, task):
            return _Outcome(task, "other_shard")
        letter = task.letter if task.letter is not None else read_letter(task.source)
        sha = letter.sha256
        if shard is not None and shard.by == "text" and not shard.owns(sha):
            return _Outcome(task, "other_shard", sha)
        return _Outcome(task, "done", sha, record=extract_fn(letter))
    except Exception as exc:
        # Only the description crosses the process boundary: exceptions do not all pickle.
        return _Outcome(task, "failed", sha, described=_describe(exc))


def _progress_bar(total: int | None) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, unit="letter", dynamic_ncols=True, smoothing=0.1)


def _tick(bar: Any, s: BatchSummary) -> None:
    bar.update(1)
    bar.set_postfix(done=s.done, cached=s.cached, dup=s.duplicate, failed=s.failed, refresh=False)


def count_inputs(inputs: Iterable[InputLike] | InputLike) -> int:
    """Number of letters the inputs expand to (a directory walk; no letter is opened)."""
    return sum(1 for _ in iter_inputs(inputs))


def extract_batch(
    inputs: Iterable[InputLike] | InputLike,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    rules_only: bool = False,
    concurrency: int = 1,
    executor: Literal["thread", "process"] = "thread",
    shard: str | Shard | None = None,
    formats: Sequence[str] = ("jsonl", "csv"),
    extract_fn: ExtractFn | None = None,
    fsync: bool = True,
    backoff: tuple[float, float] | Backoff = (1.0, 60.0),
    stop_after_failures: int | None = None,
    progress: bool = False,
    **extract_kwargs: Any,
) -> BatchRun:
    """Extract many letters; return an iterator of :class:`BatchResult` as each finishes.

    ``inputs``: paths, folders (recursive), globs, ``@manifest`` files or :class:`Letter`
    objects, in any mix, read lazily. ``out_dir``: where records, errors, tables and
    ``summary.json`` go; a second run with the same folder resumes. ``concurrency``: up to N
    extractions in flight (threads by default, since model calls wait on the network;
    ``executor="process"`` for the CPU-bound rules-only pass on many cores). ``shard``:
    ``"K/N"`` to take only this worker's share of the inputs. ``formats``: any of
    ``jsonl``, ``csv``, ``parquet``. ``extract_fn``: replaces :func:`llm_extract.extract`
    (one :class:`Letter` in, one record out); other keyword arguments go to
    :func:`llm_extract.extract` (``model=``, ``prompt=``, ...). After a failure that says
    the endpoint is overloaded or down (429, 5xx, unreachable) new work waits ``backoff``
    seconds, doubling up to its maximum (or a :class:`Backoff`, e.g. with a test clock).
    ``stop_after_failures``: stop after that many failures in a row (the run is resumable).
    """
    options = BatchOptions(
        out_dir=out_dir, rules_only=rules_only, concurrency=concurrency, executor=executor, shard=shard,
        formats=formats, extract_fn=extract_fn, fsync=fsync, backoff=backoff,
        stop_after_failures=stop_after_failures, progress=progress, extract_kwargs=extract_kwargs,
    )
    total = None
    if progress and isinstance(inputs, (list, tuple, str, os.PathLike)):
        total = count_inputs(inputs)
    return BatchRun(inputs, options, total=total)


def _keywords_of(like: Callable[_P, Any]) -> Callable[[Callable[..., AsyncIterator[BatchResult]]],
                                                       Callable[_P, AsyncIterator[BatchResult]]]:
    """Give the decorated function ``like``'s parameters (for type checkers and ``help()``),
    so that the batch's keywords are written once, in :func:`extract_batch`."""
    import inspect

    def give(fn: Callable[..., AsyncIterator[BatchResult]]) -> Callable[_P, AsyncIterator[BatchResult]]:
        fn.__signature__ = inspect.signature(like).replace(  # type: ignore[attr-defined]  # a function attribute inspect reads
            return_annotation=inspect.signature(fn).return_annotation)
        return fn

    return give


@_keywords_of(extract_batch)
async def aextract_batch(inputs: Iterable[InputLike] | InputLike, **keywords: Any) -> AsyncIterator[BatchResult]:
    """Async variant of :func:`extract_batch` (same arguments): ``async for r in ...``.

    The batch runs on a worker thread, one result at a time, so the event loop stays free
    and the queue between them never grows past one result. The keywords are
    :func:`extract_batch`'s (its signature is this one's); the rest go to
    :func:`llm_extract.extract` (``model=``, ``prompt=``, ...), as there.
    """
    run = extract_batch(inputs, **keywords)
    try:
        while True:
            result = await asyncio.to_thread(next, run, _MISSING)
            if result is _MISSING:
                return
            yield result  # type: ignore[misc]  # narrowed from the _MISSING sentinel above
    finally:
        await asyncio.to_thread(run.close)


# Shared with the Ray engine (llm_extract.batch.ray); default_extract and
# check_extract_kwargs now live in .options and are still importable from here.
describe_failure = _describe
