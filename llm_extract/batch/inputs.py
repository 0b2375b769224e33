"""What a batch job reads: input expansion (files, folders, globs, manifests) and shards.

Inputs are expanded lazily, one path at a time, so a job over a million letters never holds
the list of them in memory. Nothing here opens a letter; reading happens in the workers.
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import ConfigError
from ..reading.letter import SUFFIXES, Letter

__all__ = ["Shard", "iter_inputs", "parse_shard", "file_sha256"]

InputLike = str | os.PathLike[str] | Letter
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``: owns the letters whose hash falls in it.

    ``by="text"`` keys on the normalised text's hash (the resume key), so identical letters
    always land in the same shard and are extracted once across the fleet; it costs every
    worker a read of every letter. ``by="bytes"`` keys on the file's raw bytes: nearly free,
    but two copies of one letter in different formats may land in different shards.
    """

    index: int
    count: int
    by: Literal["text", "bytes"] = "text"

    def __post_init__(self) -> None:
        if self.count < 1 or not 1 <= self.index <= self.count:
            raise ConfigError(f"shard {self.index}/{self.count} is not between 1/N and N/N")

    def owns(self, sha256_hex: str) -> bool:
        """True when a letter with this hash belongs to this shard."""
        # 64 bits of a uniform hash split evenly enough for any realistic worker count.
        return int(sha256_hex[:16], 16) % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}" + (":bytes" if self.by == "bytes" else "")


def parse_shard(spec: str | Shard | None) -> Shard | None:
    """Parse ``"K/N"`` (1-based, e.g. ``"2/4"``) or ``"K/N:bytes"`` into a :class:`Shard`."""
    if spec is None or isinstance(spec, Shard):
        return spec
    text, _, by = spec.strip().partition(":")
    k, sep, n = text.partition("/")
    if not sep or not k.strip().isdigit() or not n.strip().isdigit():
        raise ConfigError(f"--shard expects K/N such as 1/4, got {spec!r}")
    if by not in ("", "text", "bytes"):
        raise ConfigError(f"--shard key must be 'text' or 'bytes', got {by!r}")
    return Shard(int(k), int(n), "bytes" if by == "bytes" else "text")


def file_info(path: str) -> dict[str, int] | None:
    """Size and modification time of a file, the resume index's fast key (None if unreadable)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hash of a file's raw bytes (the cheap shard key)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _walk(folder: Path) -> Iterator[str]:
    # Sorted per directory so two runs (and two shard workers) see the same order.
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if Path(name).suffix.lower() in SUFFIXES and not name.startswith("."):
                yield os.path.join(root, name)


def _manifest(path: Path) -> Iterator[InputLike]:
    """Lines of a manifest: one input per line; blank lines and ``#`` comments skipped.

    Relative paths are relative to the manifest's folder, so a manifest can travel with
    the corpus it lists.
    """
    try:
        f = path.open(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot open the manifest ({exc.strerror})") from exc
    with f:
        for line in f:
            entry = line.strip()
            if not entry or entry.startswith("#"):
                continue
            if not os.path.isabs(entry):
                entry = os.path.join(path.parent, entry)
            yield from iter_inputs([entry])


def iter_inputs(inputs: Iterable[InputLike] | InputLike) -> Iterator[InputLike]:
    """Expand inputs lazily into letter paths (and :class:`Letter` objects passed as is).

    An input is a file, a folder (searched recursively for known letter suffixes), a glob
    (``corpus/**/*.pdf``), or ``@manifest.txt``: a file listing one input per line. A path
    that does not exist is passed through so the batch reports it as a failure.
    """
    if isinstance(inputs, (str, os.PathLike, Letter)):
        inputs = [inputs]
    for item in inputs:
        if isinstance(item, Letter):
            yield item
            continue
        text = os.fspath(item)
        if text.startswith("@") and not os.path.exists(text):
            yield from _manifest(Path(text[1:]))
        elif os.path.isdir(text):
            yield from _walk(Path(text))
        elif not os.path.exists(text) and _GLOB_CHARS & set(text):
            for match in sorted(glob.iglob(text, recursive=True)):
                if os.path.isdir(match):
                    yield from _walk(Path(match))
                else:
                    yield match
        else:
            yield text
