"""The server's own folders as the API sees them: --batch-root folders, --letters-dir letters,
review uploads and the fixtures folder. Every name from a request is checked to stay inside
its folder (no "..", no absolute path, no symbolic link out of it)."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from llm_extract import IMRRecord

from ..reading import SUFFIXES
from .config import ServeConfig
from .jobs import LETTER_SUFFIXES
from .problems import ProblemError
from .schemas import FixtureSaved, LetterFile, LetterList

__all__ = ["MAX_LISTED", "allowed_folder", "list_letters", "allowed_letter", "read_limited", "prune",
           "write_fixture"]

#: The letter formats by file suffix: the reading layer's one table.
_KINDS = SUFFIXES
#: At most this many letters are listed by GET /v1/letters.
MAX_LISTED = 5000


def allowed_folder(config: ServeConfig, folder: str) -> Path:
    """The batch folder ``folder`` names (relative to --batch-root, or absolute inside it)."""
    root = config.batch_root
    if root is None:
        raise ProblemError(403, "Forbidden", "Server-side folders are not allowed",
                           "start the server with --batch-root (or LLM_EXTRACT_BATCH_ROOT) to allow them")
    if "\x00" in folder:
        raise ProblemError(422, "ValidationError", "Invalid request", "folder must not contain NUL")
    path = Path(folder)
    resolved = (path if path.is_absolute() else root / path).resolve()
    if resolved != root and root not in resolved.parents:
        raise ProblemError(403, "Forbidden", "Folder outside the allowed root", "the folder must be under --batch-root")
    if not resolved.is_dir():
        raise ProblemError(422, "InputError", "No such folder", "the folder does not exist under --batch-root")
    return resolved


def list_letters(root: Path) -> LetterList:
    """Letter files under ``root`` (hidden ones skipped, symbolic links not followed out of it)."""
    found: list[LetterFile] = []
    truncated = False
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fname in sorted(filenames):
            suffix = Path(fname).suffix.lower()
            if fname.startswith(".") or suffix not in _KINDS:
                continue
            path = Path(dirpath) / fname
            try:
                resolved = path.resolve()
                if root not in resolved.parents or not resolved.is_file():
                    continue
                size = resolved.stat().st_size
            except OSError:
                continue
            if len(found) >= MAX_LISTED:
                truncated = True
                break
            found.append(LetterFile(name=path.relative_to(root).as_posix(), size=size, kind=_KINDS[suffix]))
        if truncated:
            break
    found.sort(key=lambda f: f.name)
    return LetterList(letters=found, truncated=truncated)


def allowed_letter(config: ServeConfig, name: str) -> tuple[Path, str]:
    """The file ``name`` (relative to --letters-dir) names, and its name; never a path outside it."""
    root = config.letters_dir
    if root is None:
        raise ProblemError(403, "Forbidden", "No letters folder", "start the server with --letters-dir")
    parts = name.replace("\\", "/").split("/")
    if ("\x00" in name or name.startswith("/") or any(p in ("", ".", "..") for p in parts)
            or Path(name).is_absolute() or ":" in parts[0]):
        raise ProblemError(403, "Forbidden", "Not a letter name",
                           "name a letter as GET /v1/letters lists it (relative to --letters-dir)")
    path = root.joinpath(*parts)
    if path.suffix.lower() not in _KINDS:
        raise ProblemError(415, "UnsupportedMediaType", "Unsupported letter type",
                           f"a letter must be one of {', '.join(LETTER_SUFFIXES)}")
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        raise ProblemError(404, "NotFound", "No such letter", "no such letter under --letters-dir") from None
    if root not in resolved.parents:  # a symbolic link out of the folder
        raise ProblemError(403, "Forbidden", "Letter outside the letters folder",
                           "the letter must be under --letters-dir")
    if any(p.startswith(".") for p in parts) or not resolved.is_file():
        raise ProblemError(404, "NotFound", "No such letter", "no such letter under --letters-dir")
    return resolved, "/".join(parts)


def read_limited(path: Path, limit: int) -> bytes:
    """The letter's bytes, or 413 over ``limit`` (404 when it cannot be read)."""
    try:
        if path.stat().st_size > limit:
            raise ProblemError(413, "PayloadTooLarge", "Letter too large", f"the limit is {limit:,} bytes")
        return path.read_bytes()
    except OSError:
        raise ProblemError(404, "NotFound", "No such letter", "the letter could not be read") from None


def prune(folder: Path, max_age: float) -> None:
    """Drop review uploads older than ``max_age`` seconds (letters are health information)."""
    cutoff = time.time() - max_age
    for path in folder.glob("*"):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()


def write_fixture(root: Path, name: str, upload: Path, label: IMRRecord, overwrite: bool) -> FixtureSaved:
    """Write ``letters/<name>.<ext>`` and ``labels/<name>.json`` under ``root``; 409 when the name
    is taken (unless ``overwrite``) or another label has the same case number."""
    letters, labels = root / "letters", root / "labels"
    letters.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    label_path = labels / f"{name}.json"
    others = [p for p in letters.iterdir() if p.stem == name]
    if not overwrite and (label_path.exists() or others):
        raise ProblemError(409, "Conflict", "A fixture of that name exists", "choose another name or set overwrite")
    if label.case_number:
        for path in labels.glob("*.json"):
            if path.stem == name:
                continue
            try:
                other = json.loads(path.read_text(encoding="utf-8")).get("case_number")
            except (OSError, ValueError, AttributeError):
                continue
            if other == label.case_number:
                raise ProblemError(409, "Conflict", "That letter is already a fixture",
                                   f"{path.name} labels case {label.case_number}")
    for p in others:
        p.unlink()
    letter_path = letters / f"{name}{upload.suffix}"
    letter_path.write_bytes(upload.read_bytes())
    data = label.model_dump(mode="json", exclude={"evidence": True, "warnings": True, "provenance": True,
                                                  "items": {"__all__": {"evidence"}}})
    tmp = label_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, label_path)
    return FixtureSaved(name=name, letter=f"letters/{letter_path.name}", label=f"labels/{label_path.name}")
