"""Hand-labelled fixtures: letters beside their labels, checked on load.

A fixture directory holds ``letters/`` (the letters, any readable type) and ``labels/``
(one ``<stem>.json`` per letter, an :class:`IMRRecord` as JSON). A label that does not
validate, a letter labelled twice (two label files for one name, whatever their case, or
two labels with the same case number), a label without a letter, a letter without a label
or a file in ``labels/`` that is not a ``.json`` label is an error, never skipped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..errors import ConfigError
from ..reading.letter import SUFFIXES
from ..record import IMRRecord

__all__ = ["Fixture", "load_fixtures", "DEFAULT_FIXTURES"]

#: The project's own labelled letters (in a source checkout).
DEFAULT_FIXTURES = Path(__file__).resolve().parents[2] / "evals" / "fixtures"


@dataclass(frozen=True)
class Fixture:
    """One labelled letter."""

    name: str
    letter: Path
    label: IMRRecord
    #: The split the letter belongs to (``dev``, ``test``...): the folder it was loaded from.
    split: str = ""


def load_fixtures(directory: str | os.PathLike[str] = DEFAULT_FIXTURES) -> list[Fixture]:
    """Load and validate every fixture in ``directory``, sorted by split, then name.

    ``directory`` is one split (it holds ``letters/`` and ``labels/``) or a folder of splits
    (``dev/``, ``test/``, each holding both). A letter labelled in two splits is an error:
    a test letter that is also a dev letter is no longer held out.
    """
    root = Path(directory)
    if (root / "letters").is_dir() or (root / "labels").is_dir():
        return _load_split(root, root.name)
    splits = sorted(p for p in root.iterdir() if (p / "letters").is_dir()) if root.is_dir() else []
    if not splits:
        raise ConfigError("a fixture directory needs letters/ and labels/ folders, or split folders holding them",
                          source=str(root))
    fixtures: list[Fixture] = []
    seen: dict[str, str] = {}
    for split in splits:
        for fx in _load_split(split, split.name):
            key = fx.label.case_number or fx.name
            if key in seen:
                raise ConfigError(f"letter {key} is in two splits ({seen[key]}, {split.name})", source=str(split))
            seen[key] = split.name
            fixtures.append(fx)
    return fixtures


def _load_split(root: Path, split: str) -> list[Fixture]:
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
    labels: dict[str, Path] = {}
    for path in sorted(labels_dir.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        if path.suffix.lower() != ".json":
            # A label saved as .yaml or .txt would otherwise vanish from the evaluation.
            raise ConfigError("not a label: labels are <letter name>.json files", source=str(path))
        # Compared case-blind: X.json and x.JSON label the same letter on a case-blind disk.
        key = path.stem.casefold()
        if key in labels:
            raise ConfigError(f"letter {path.stem!r} is labelled twice ({labels[key].name}, {path.name})",
                              source=str(path))
        labels[key] = path
    fixtures: list[Fixture] = []
    case_numbers: dict[str, str] = {}
    for path in labels.values():
        if path.stem not in letters:
            raise ConfigError("label has no letter of the same name in letters/", source=str(path))
        try:
            label = IMRRecord.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            raise ConfigError(f"label does not validate against the record model:\n{exc}",
                              source=str(path)) from exc
        if label.case_number is not None:
            # Two letter files with one case number are one letter labelled twice; scoring it
            # twice would weigh it double.
            other = case_numbers.setdefault(label.case_number, path.stem)
            if other != path.stem:
                raise ConfigError(f"letter {label.case_number} is labelled twice ({other}, {path.stem})",
                                  source=str(path))
        fixtures.append(Fixture(name=path.stem, letter=letters[path.stem], label=label, split=split))
    unlabelled = sorted(set(letters) - {f.name for f in fixtures})
    if unlabelled:
        raise ConfigError(f"letters without a label: {', '.join(unlabelled)}", source=str(root))
    if not fixtures:
        raise ConfigError("no fixtures found", source=str(root))
    return fixtures
