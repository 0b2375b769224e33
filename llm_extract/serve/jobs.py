"""Batch jobs of the service, each backed by an ordinary batch output folder.

A job lives in ``<data_dir>/batches/<id>/``: ``job.json`` (its options, inputs and state),
``inputs/`` (uploaded letters, when the job was posted with files) and ``out/`` (the batch
folder written by :func:`llm_extract.extract_batch`: ``records.jsonl``, ``errors.jsonl``,
``items.csv``, ``summary.json``...). Jobs run one at a time on a worker thread. A server
that stops mid-job leaves ``state: running`` behind; the next server queues it again and
``extract_batch`` resumes it (letters already in ``records.jsonl`` are skipped).
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
import logging
import os
import queue
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import llm_extract
from llm_extract.reading import SUFFIXES

__all__ = ["JobManager", "LETTER_SUFFIXES", "JOB_ID"]

log = logging.getLogger("llm_extract.serve")

#: The letter files a batch folder is searched for (the library reads these types).
LETTER_SUFFIXES = tuple(SUFFIXES)
JOB_ID = r"^[0-9a-f]{32}$"
_COUNTS = ("done", "cached", "duplicate", "failed")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def count_letters(inputs: list[str]) -> int:
    n = 0
    for item in inputs:
        p = Path(item)
        if p.is_file():
            n += p.suffix.lower() in LETTER_SUFFIXES
        elif p.is_dir():
            n += sum(1 for f in p.rglob("*") if f.is_file() and f.suffix.lower() in LETTER_SUFFIXES)
    return n


class JobManager:
    """Creates, runs, resumes and reports batch jobs under ``root``."""

    def __init__(self, root: Path, *, extract_kwargs: Callable[[dict[str, Any]], dict[str, Any]],
                 concurrency: int = 2, on_result: Callable[[str], None] | None = None) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self._extract_kwargs = extract_kwargs
        self._concurrency = concurrency
        self._on_result = on_result
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._live: dict[str, dict[str, Any]] = {}  # counts of the running job
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Queue every job a previous server left unfinished, then start the worker."""
        self._queue = queue.Queue()
        for job in sorted(self._all(), key=lambda j: j["created"]):
            if job["state"] in ("queued", "running"):
                self._queue.put(job["id"])
        self._stop.clear()
        self._thread = threading.Thread(target=self._worker, name="llm-extract-batches", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    # -- jobs ----------------------------------------------------------------------------
    def create(self, *, inputs: list[str] | None = None, files: list[tuple[str, bytes]] | None = None,
               options: dict[str, Any]) -> dict[str, Any]:
        """A new queued job over server-side ``inputs`` or uploaded ``files`` (name, bytes)."""
        job_id = uuid.uuid4().hex
        folder = self.root / job_id
        (folder / "out").mkdir(parents=True)
        if files is not None:
            in_dir = folder / "inputs"
            in_dir.mkdir()
            for i, (name, data) in enumerate(files):
                # Uploaded names are reduced to a safe base name; a number keeps them apart.
                safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(name).name)[:120]
                (in_dir / f"{i:05d}_{safe}").write_bytes(data)
            inputs = [str(in_dir)]
        job = {"id": job_id, "created": _now(), "state": "queued", "finished": None, "error": None,
               "inputs": inputs or [], "options": options, "counts": {}, "errors_by_type": {},
               "total": count_letters(inputs or [])}
        _write_json(folder / "job.json", job)
        self._queue.put(job_id)
        return job

    def get(self, job_id: str) -> dict[str, Any] | None:
        path = self.root / job_id / "job.json"
        if not path.is_file():
            return None
        job = json.loads(path.read_text(encoding="utf-8"))
        with self._lock:
            live = self._live.get(job_id)
            if live is not None:
                job["counts"] = dict(live["counts"])
                job["errors_by_type"] = dict(live["errors_by_type"])
        summary = self.out_dir(job_id) / "summary.json"
        if summary.is_file():
            try:
                job["totals"] = json.loads(summary.read_text(encoding="utf-8")).get("totals")
            except (OSError, ValueError):
                job["totals"] = None
        return job

    def list(self) -> list[dict[str, Any]]:
        jobs = [self.get(j["id"]) for j in self._all()]
        return sorted((j for j in jobs if j), key=lambda j: j["created"], reverse=True)

    def out_dir(self, job_id: str) -> Path:
        return self.root / job_id / "out"

    def _all(self) -> builtins.list[dict[str, Any]]:  # builtins: the method above is named list
        jobs = []
        for path in self.root.glob("*/job.json"):
            try:
                jobs.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                log.warning("unreadable job file %s", path)
        return jobs

    def _save(self, job: dict[str, Any]) -> None:
        _write_json(self.root / job["id"] / "job.json", job)

    # -- the worker ----------------------------------------------------------------------
    def _worker(self) -> None:
        while not self._stop.is_set():
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                self._run(job_id)
            except Exception as exc:  # a job's failure never stops the worker
                log.error("batch %s failed: %s", job_id, type(exc).__name__)

    def _run(self, job_id: str) -> None:
        job = json.loads((self.root / job_id / "job.json").read_text(encoding="utf-8"))
        if job["state"] in ("finished", "failed"):
            return
        job["state"] = "running"
        self._save(job)
        counts = {k: 0 for k in _COUNTS}
        errors: dict[str, int] = {}
        with self._lock:
            self._live[job_id] = {"counts": counts, "errors_by_type": errors}
        stopped = False
        try:
            run = llm_extract.extract_batch(
                job["inputs"], out_dir=self.out_dir(job_id), concurrency=self._concurrency,
                **self._extract_kwargs(job["options"]))
            with run:
                for result in run:
                    with self._lock:
                        counts[result.status] = counts.get(result.status, 0) + 1
                        if result.error_type:
                            errors[result.error_type] = errors.get(result.error_type, 0) + 1
                    if self._on_result is not None:
                        self._on_result(result.status)
                    if self._stop.is_set():
                        stopped = True
                        break
            job["state"] = "running" if stopped else "finished"
        except llm_extract.LlmExtractError as exc:
            job["state"], job["error"] = "failed", f"{type(exc).__name__}: {exc.message}"
        finally:
            with self._lock:
                self._live.pop(job_id, None)
            job["counts"], job["errors_by_type"] = counts, errors
            if job["state"] != "running":
                job["finished"] = _now()
            self._save(job)
