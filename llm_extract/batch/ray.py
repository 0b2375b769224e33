"""Batch jobs on a Ray cluster: the same output folder as :func:`extract_batch`, many machines.

    from llm_extract.batch.ray import extract_batch_ray
    summary = extract_batch_ray(["corpus/"], out_dir="out/", rules_only=True, address="auto")

The driver (this process) expands the inputs, skips the files its output folder already
holds (the same resume index as the local batch), and sends the rest to Ray tasks in chunks
of ``chunk_size`` letters. Each task reads its letters, runs the rules pass and, unless
``rules_only``, the model pass with at most ``in_flight`` requests to the endpoint at once
(threads in the worker), and returns the records as JSON. Only the driver writes: records,
duplicates (same normalised text, by sha256) and errors go through
:class:`~llm_extract.batch.store.OutputStore`, then the tables, ``summary.json`` and the
statistics are rebuilt exactly as by the local batch.

A worker that dies (killed, out of memory, node lost) fails its task with a system error;
Ray runs the task again (``max_retries``). Nothing is written until a task's result reaches
the driver, and the driver settles each letter once by its text hash, so a retried task can
neither lose nor double a letter. Up to ``max_tasks_in_flight`` tasks are outstanding, so the
driver never holds the corpus in memory.

Ray is the optional ``[ray]`` extra; nothing here is imported by the local batch.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..reading.letter import Letter, read_letter
from ..record import IMRRecord
from .inputs import InputLike, file_info, iter_inputs
from .options import BatchOptions
from .runner import BatchSummary
from .runner import describe_failure as _describe
from .store import OutputStore

__all__ = ["extract_batch_ray", "ray_module"]

log = logging.getLogger("llm_extract.batch")

ExtractFn = Callable[[Letter], IMRRecord]
# One letter's outcome from a worker: (index in chunk, sha256 or None, record JSON or None,
# (error type, message, status) or None).
_Outcome = tuple[int, str | None, str | None, tuple[str, str, int | None] | None]


def ray_module() -> Any:
    """The ``ray`` package, or a :class:`ConfigError` naming the extra to install."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("--engine ray needs the ray extra: pip install 'llm-extract[ray]'") from exc
    return ray


def _one(entry: tuple[str, str | None, Letter | None], extract_fn: ExtractFn, index: int) -> _Outcome:
    source, path, letter = entry
    sha: str | None = None
    try:
        if letter is None:
            # Read by absolute path (a worker's folder is not the driver's); the record
            # names the source as given, as in the local batch.
            letter = dataclasses.replace(read_letter(path or source), source=source)
        sha = letter.sha256
        return index, sha, extract_fn(letter).to_json(), None
    except Exception as exc:  # one letter's failure is data, never a task failure
        return index, sha, None, _describe(exc)


def _work_chunk(chunk: list[tuple[str, str | None, Letter | None]], extract_fn: ExtractFn,
                in_flight: int) -> list[_Outcome]:
    """Body of one Ray task: read and extract a chunk of letters, ``in_flight`` at a time."""
    if in_flight <= 1 or len(chunk) == 1:
        return [_one(e, extract_fn, i) for i, e in enumerate(chunk)]
    with cf.ThreadPoolExecutor(max_workers=min(in_flight, len(chunk))) as pool:
        return list(pool.map(_one, chunk, [extract_fn] * len(chunk), range(len(chunk))))


def _init_ray(ray: Any, address: str | None, num_cpus: int | None) -> None:
    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False)


def extract_batch_ray(
    inputs: Iterable[InputLike] | InputLike,
    *,
    out_dir: str | os.PathLike[str],
    rules_only: bool = False,
    address: str | None = None,
    num_cpus: int | None = None,
    in_flight: int = 1,
    chunk_size: int = 8,
    max_tasks_in_flight: int | None = None,
    max_retries: int = 3,
    formats: Sequence[str] = ("jsonl", "csv"),
    extract_fn: ExtractFn | None = None,
    fsync: bool = True,
    progress: bool = False,
    **extract_kwargs: Any,
) -> BatchSummary:
    """Run a batch on Ray into ``out_dir`` (same contract and resume as the local batch).

    ``address``: a running cluster (``"auto"``, ``"ray://head:10001"``); without one a local
    Ray instance is started (``num_cpus`` CPUs), unless Ray is already initialised.
    ``in_flight``: model requests each task keeps open at once (choose it from the
    endpoint's capacity, see the README). ``chunk_size``: letters per task (amortises Ray's
    per-task overhead, a few ms). ``max_retries``: re-runs of a task whose worker died.
    ``extract_fn`` and ``extract_kwargs`` as for :func:`~llm_extract.batch.runner.extract_batch`.
    """
    ray = ray_module()
    # The keywords the local batch shares, checked the same way (BatchOptions).
    options = BatchOptions(out_dir=out_dir, rules_only=rules_only, formats=formats, extract_fn=extract_fn,
                           fsync=fsync, progress=progress, extract_kwargs=extract_kwargs)
    formats, extract_fn = options.formats, options.extract
    if in_flight < 1 or chunk_size < 1:
        raise ConfigError("in_flight and chunk_size must be at least 1")
    _init_ray(ray, address, num_cpus)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    limit = max_tasks_in_flight or max(2, 2 * cpus)
    remote = ray.remote(num_cpus=1, max_retries=max_retries, retry_exceptions=False)(_work_chunk)
    fn_ref = ray.put(extract_fn)

    summary = BatchSummary()
    started = time.perf_counter()
    out = Path(out_dir)
    store = OutputStore(out, fsync=fsync)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit="letter", dynamic_ncols=True, smoothing=0.1)
    pending: dict[Any, list[tuple[str, str | None, dict[str, int] | None]]] = {}
    completed = False

    def settle(ref: Any) -> None:
        meta = pending.pop(ref)
        try:
            outcomes = ray.get(ref)
        except Exception as exc:  # retries exhausted: every letter of the chunk failed
            etype, message, status = _describe(exc)
            outcomes = [(i, None, None, (etype, f"the Ray task failed: {message}", status)) for i in range(len(meta))]
        for index, sha, rec_json, err in sorted(outcomes, key=lambda o: o[0]):
            source, path, info = meta[index]
            if err is not None or rec_json is None:
                etype, message, status = err or ("InternalError", "no record", None)
                store.add_error(source=source, path=path, sha256=sha, error_type=etype, message=message, status=status)
                log.warning("%s: %s: %s", source, etype, message)
                summary.failed += 1
                summary.errors_by_type[etype] += 1
            else:
                assert sha is not None
                primary = store.by_sha.get(sha)
                if primary is not None:
                    if path and store.has_path(path):
                        summary.cached += 1  # the same file again: nothing new
                    else:
                        store.add_record(source=source, path=path, sha256=sha, record=None,
                                         file=info, duplicate_of=primary[1])
                        summary.duplicate += 1
                else:
                    store.add_record(source=source, path=path, sha256=sha,
                                     record=IMRRecord.model_validate_json(rec_json), file=info)
                    summary.done += 1
            if bar is not None:
                bar.update(1)

    def wait_one() -> None:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            settle(ref)

    def chunks() -> Iterator[tuple[list[tuple[str, str | None, Letter | None]],
                                   list[tuple[str, str | None, dict[str, int] | None]]]]:
        seen: set[str] = set()
        work: list[tuple[str, str | None, Letter | None]] = []
        meta: list[tuple[str, str | None, dict[str, int] | None]] = []
        for item in iter_inputs(inputs):
            summary.seen += 1
            if isinstance(item, Letter):
                work.append((item.source, None, item))
                meta.append((item.source, None, None))
            else:
                source = os.fspath(item)
                path = os.path.abspath(source)
                if path in seen:
                    summary.seen -= 1
                    continue
                seen.add(path)
                info = file_info(path)
                if info is not None and store.known(path, info["size"], info["mtime_ns"]) is not None:
                    summary.cached += 1
                    if bar is not None:
                        bar.update(1)
                    continue
                work.append((source, path, None))
                meta.append((source, path, info))
            if len(work) >= chunk_size:
                yield work, meta
                work, meta = [], []
        if work:
            yield work, meta

    try:
        for work, meta in chunks():
            while len(pending) >= limit:
                wait_one()
            pending[remote.remote(work, fn_ref, in_flight)] = meta
        while pending:
            wait_one()
        completed = True
    finally:
        summary.seconds = time.perf_counter() - started
        if bar is not None:
            bar.close()
        store.close()
        for ref in list(pending):
            ray.cancel(ref, force=True)
    if completed:
        from .outputs import write_outputs

        write_outputs(out, formats=formats, run=summary.as_dict())
    return summary
