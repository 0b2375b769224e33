"""Hand-labelled fixtures: letters beside their labels, checked on load.

A fixture directory holds ``letters/`` (the letters, any readable type) and ``labels/``
(one ``<stem>.json`` per letter, an :class:`IMRRecord` as JSON). A label that does not
validate, a letter labelled twice, a label without a letter or a letter without a label
is an error, never skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .errors import ConfigError
from .reading import SUFFIXES
from .record import IMRRecord

__all__ = ["Fixture", "load_fixtures", "DEFAULT_FIXTURES"]

#: The project's own labelled letters (in a source checkout).
DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "evals" / "fixtures"


@dataclass(frozen=True)
class Fixture:
    """One labelled letter."""

    name: str
    letter: Path
    label: IMRRecord


def load_fixtures(directory: str | os.PathLike[str] = DEFAULT_FIXTURES) -> list[Fixture]:
    """Load and validate every fixture in ``directory``, sorted by name."""
    root = Path(directory)
    letters_dir, labels_dir = root / "letters", root / "labels"
    if not letters_dir.is_dir() or not labels_dir.is_dir():
        raise ConfigError("a fixture directory needs letters/ and labels/ folders", source=str(root))
    letters: dict[str, Path] = {}
    for path in sorted(letters_dir.iterdir()):
        if path.suffix.lower() not in SUFFIXES:
            continue
        if path.stem in letters:
            raise ConfigError(f"letter {path.stem!r} appears twice ({letters[path.stem].name}, {path.name})",
                              source=str(path))
        letters[path.stem] = path
    fixtures: list[Fixture] = []
    for path in sorted(labels_dir.glob("*.json")):
        if path.stem not in letters:
            raise ConfigError("label has no letter of the same name in letters/", source=str(path))
        try:
            label = IMRRecord.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise ConfigError(f"label does not validate against the record model:\n{exc}",
                              source=str(path)) from exc
        fixtures.append(Fixture(name=path.stem, letter=letters[path.stem], label=label))
    unlabelled = sorted(set(letters) - {f.name for f in fixtures})
    if unlabelled:
        raise ConfigError(f"letters without a label: {', '.join(unlabelled)}", source=str(root))
    if not fixtures:
        raise ConfigError("no fixtures found", source=str(root))
    return fixtures
