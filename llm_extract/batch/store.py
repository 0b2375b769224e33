"""The output folder of a batch job: crash-safe append logs and the resume index.

``records.jsonl`` holds one line per finished letter::

    {"source": "corpus/CM16-0213037.pdf", "path": "/abs/corpus/CM16-0213037.pdf",
     "sha256": "<hash of the normalised text>", "file": {"size": 81234, "mtime_ns": ...},
     "duplicate_of": null, "finished": "2025-01-01T12:00:00+00:00", "record": {...}}

A letter whose normalised text equals one already done is not extracted again: its line has
``"record": null`` and ``"duplicate_of"`` naming the source that holds the record (same
``sha256``). Tables and statistics count each distinct letter once.

``errors.jsonl`` holds one line per failed attempt (``source``, ``path``, ``sha256`` when
the text could be read, ``error_type``, ``message``, ``status``). A later success for the
same path or hash resolves it; :attr:`OutputStore.current_failures` holds only the open ones.

Each line is written with one ``write`` call, then flushed and fsynced before the letter is
reported done, so a ``kill -9`` can tear at most the last line; opening the store drops a
torn last line. Lines are never rewritten, so a resumed run adds and never duplicates.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..record import IMRRecord

__all__ = ["OutputStore", "FileKey", "RECORDS", "ERRORS", "iter_letters", "iter_lines", "repair_tail"]

RECORDS = "records.jsonl"
ERRORS = "errors.jsonl"
log = logging.getLogger("llm_extract.batch")


@dataclass(frozen=True)
class FileKey:
    """What a finished file looked like: unchanged size and mtime means unchanged letter."""

    sha256: str
    size: int | None
    mtime_ns: int | None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def repair_tail(path: Path) -> int:
    """Drop a torn last line (no trailing newline) left by a killed writer; return bytes cut."""
    if not path.exists():
        return 0
    with path.open("rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return 0
        # Walk back in blocks to the last complete line.
        pos = size
        cut = 0
        while pos > 0:
            step = min(1 << 16, pos)
            pos -= step
            f.seek(pos)
            block = f.read(step)
            nl = block.rfind(b"\n")
            if nl >= 0:
                cut = pos + nl + 1
                break
        f.truncate(cut)
        f.flush()
        os.fsync(f.fileno())
        return size - cut


def iter_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(byte offset, parsed line)`` for each complete, valid JSON line of a log.

    A torn last line and unparsable lines are skipped with a warning, never raised: one
    damaged line must not make a finished corpus unreadable.
    """
    if not path.exists():
        return
    offset = 0
    with path.open("rb") as f:
        for raw in f:
            start, offset = offset, offset + len(raw)
            if not raw.endswith(b"\n"):
                log.warning("%s: ignoring a torn last line at byte %d", path, start)
                break
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except ValueError:
                log.warning("%s: ignoring an unreadable line at byte %d", path, start)
                continue
            if isinstance(data, dict):
                yield start, data


class OutputStore:
    """Append-only records and errors logs in one folder, with the index a resume needs."""

    def __init__(self, out_dir: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.dir = Path(out_dir)
        self.fsync = fsync
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the output folder ({exc.strerror})", source=str(out_dir)) from exc
        self.records_path = self.dir / RECORDS
        self.errors_path = self.dir / ERRORS
        self.torn_bytes = repair_tail(self.records_path) + repair_tail(self.errors_path)
        #: absolute path -> how it looked when finished (lets a resume skip re-reading it)
        self.by_path: dict[str, FileKey] = {}
        #: text hash -> (offset of the line holding its record, that line's source)
        self.by_sha: dict[str, tuple[int, str]] = {}
        #: path or hash -> last error line, for those not resolved by a later success
        self._failures: dict[str, dict[str, Any]] = {}
        self._load()
        self._rec_fd = os.open(self.records_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._err_fd = os.open(self.errors_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._rec_size = os.fstat(self._rec_fd).st_size

    # -- reading -------------------------------------------------------------------------
    def _load(self) -> None:
        for offset, line in iter_lines(self.records_path):
            self._index(offset, line)
        for _, line in iter_lines(self.errors_path):
            key = line.get("path") or line.get("source")
            if key and not self._resolved(line):
                self._failures[key] = line

    def _index(self, offset: int, line: dict[str, Any]) -> None:
        sha = line.get("sha256")
        if not isinstance(sha, str):
            return
        if line.get("record") is not None and sha not in self.by_sha:
            self.by_sha[sha] = (offset, str(line.get("source")))
        path = line.get("path")
        if path:
            info = line.get("file") or {}
            self.by_path[path] = FileKey(sha, info.get("size"), info.get("mtime_ns"))
        for key in (path, line.get("source"), sha):
            if key:
                self._failures.pop(key, None)

    def resolved(self, err: dict[str, Any]) -> bool:
        """True when a finished record covers the input of this error line."""
        return self._resolved(err)

    def _resolved(self, err: dict[str, Any]) -> bool:
        path, sha = err.get("path"), err.get("sha256")
        return bool((path and path in self.by_path) or (sha and sha in self.by_sha))

    @property
    def current_failures(self) -> list[dict[str, Any]]:
        """Error lines not resolved by a later success, one per failing input."""
        return [e for e in self._failures.values() if not self._resolved(e)]

    def known(self, path: str, size: int | None, mtime_ns: int | None) -> FileKey | None:
        """The finished entry for ``path`` when the file is unchanged since, else ``None``."""
        key = self.by_path.get(path)
        if key is None or key.size != size or key.mtime_ns != mtime_ns:
            return None
        return key

    def has_path(self, path: str) -> bool:
        """True when some line (record or duplicate) already names this path."""
        return path in self.by_path

    def load_record(self, sha256: str) -> IMRRecord | None:
        """Read back the record stored for a text hash (``None`` if there is none)."""
        entry = self.by_sha.get(sha256)
        if entry is None:
            return None
        with self.records_path.open("rb") as f:
            f.seek(entry[0])
            line = json.loads(f.readline())
        return IMRRecord.model_validate(line["record"])

    # -- writing -------------------------------------------------------------------------
    def _append(self, fd: int, data: dict[str, Any]) -> None:
        payload = (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        view = memoryview(payload)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        if self.fsync:
            os.fsync(fd)

    def add_record(
        self,
        *,
        source: str,
        path: str | None,
        sha256: str,
        record: IMRRecord | None,
        file: dict[str, int] | None = None,
        duplicate_of: str | None = None,
    ) -> None:
        """Append a finished letter (or a duplicate pointing at one) and index it."""
        self.append_line({
            "source": source,
            "path": path,
            "sha256": sha256,
            "file": file,
            "duplicate_of": duplicate_of,
            "finished": _now(),
            # Going through JSON keeps dates and enums in the record's own serialised form;
            # "record" stays the last key (readers spot duplicate lines by their ending).
            "record": json.loads(record.to_json()) if record is not None else None,
        })

    def append_line(self, line: dict[str, Any]) -> None:
        """Append one records line as is (used by merges) and index it."""
        offset = self._rec_size
        self._append(self._rec_fd, line)
        self._rec_size = os.fstat(self._rec_fd).st_size
        self._index(offset, line)

    def add_error(
        self,
        *,
        source: str,
        path: str | None,
        sha256: str | None,
        error_type: str,
        message: str,
        status: int | None = None,
    ) -> None:
        """Append a failed attempt; it stays a current failure until a success resolves it."""
        self.append_error_line({
            "source": source,
            "path": path,
            "sha256": sha256,
            "error_type": error_type,
            "message": message,
            "status": status,
            "time": _now(),
        })

    def append_error_line(self, line: dict[str, Any]) -> None:
        """Append one errors line as is (used by merges)."""
        self._append(self._err_fd, line)
        self._failures[line.get("path") or str(line.get("source"))] = line

    def close(self) -> None:
        """Close both logs (everything written is already on disk)."""
        for fd in (self._rec_fd, self._err_fd):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> OutputStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_letters(out_dirs: Path | Sequence[Path]) -> Iterator[tuple[dict[str, Any], dict[str, Any], list[str]]]:
    """Yield ``(line, record, duplicate sources)`` once per distinct letter in the folders.

    Two streaming passes: a cheap one for duplicate lines (only those are parsed), then the
    records. The first record seen for a hash wins; later ones are counted as duplicates.
    """
    dirs = [Path(out_dirs)] if isinstance(out_dirs, (str, os.PathLike)) else [Path(d) for d in out_dirs]
    dups: dict[str, list[str]] = defaultdict(list)
    for d in dirs:
        path = d / RECORDS
        if not path.exists():
            continue
        with path.open("rb") as f:
            for raw in f:
                # The record is the last key, so a duplicate line ends like this.
                if raw.endswith(b'"record":null}\n'):
                    try:
                        line = json.loads(raw)
                    except ValueError:
                        continue
                    dups[line.get("sha256", "")].append(str(line.get("source")))
    seen: set[str] = set()
    for d in dirs:
        for _, line in iter_lines(d / RECORDS):
            sha, record = line.get("sha256"), line.get("record")
            if not isinstance(record, dict) or not isinstance(sha, str):
                continue
            if sha in seen:
                dups[sha].append(str(line.get("source")))
                continue
            seen.add(sha)
            yield line, record, dups.get(sha, [])
