"""The rules' word lists, read from ``vocab/<name>.toml`` and validated on load.

A vocabulary file holds a description and named groups of terms, in the order they are read::

    description = "What the words are for."

    [groups.muscle_relaxant]
    terms = ["baclofen", "muscle relaxant[s]", "psycholog*"]
    # Only what terms cannot say, each with a comment saying why.
    patterns = ['tylenol\\s*(?:no\\.?\\s*|#\\s*)[234]']

A term is a word or phrase, not a regular expression. Letters, digits and punctuation stand
for themselves (case is ignored); a space stands for any run of whitespace; ``[text]`` is
optional text (``cream[s]``, ``x[-]ray[s]``, ``compound[ed]``); ``*`` stands for any letters,
none included (``rehab*`` reads "rehab", "rehabilitation"; ``*otomy`` any word ending so). ``patterns`` are regular
expressions, read after the group's terms, for the few words terms cannot express. A group
may also list ``early_terms`` and ``early_patterns``: words its reader tries at an earlier
point of its order (see :mod:`lexicon`), kept in the same group so a category is defined once.

The module that reads a vocabulary adds the boundaries around a group and decides the order
in which groups are tried; the files only say which words belong together. Unknown keys, a
value of the wrong type, an empty term, a term listed in two groups of one file, or a group
defined twice (which TOML itself refuses) are a :class:`~llm_extract.errors.ConfigError`
naming the file, so a typo fails on load rather than silently matching nothing.

The files live in the repository's top-level ``vocab/`` folder, beside ``prompts/``; a built
wheel carries them as ``llm_extract/_vocab`` (see ``pyproject.toml``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["Group", "Vocabulary", "compile_term", "load_vocabulary", "load_vocabulary_file", "vocab_dir"]

_FILE_KEYS = {"description", "groups"}
_GROUP_KEYS = {"terms", "patterns", "early_terms", "early_patterns"}
# A term's own syntax: an optional part, a word that goes on, and a run of spaces.
_TERM_TOKEN = re.compile(r"\[([^\[\]]*)\]|\*|\s+|[^\[\]*\s]")


def compile_term(term: str) -> str:
    """The regular expression (no boundaries) a term stands for; ValueError if it is malformed."""
    if not term.strip() or term != term.strip():
        raise ValueError("a term must be non-empty, without leading or trailing spaces")
    out: list[str] = []
    at = 0
    while at < len(term):
        m = _TERM_TOKEN.match(term, at)
        if m is None:
            raise ValueError(f"unbalanced '[' or ']' in term {term!r}")
        token = m.group(0)
        if m.group(1) is not None:
            if not m.group(1):
                raise ValueError(f"empty [] in term {term!r}")
            out.append(f"(?:{_literal(m.group(1))})?")
        elif token == "*":
            out.append(r"\w*")
        else:
            out.append(_literal(token))
        at = m.end()
    return "".join(out)


def _literal(text: str) -> str:
    return r"\s+".join(re.escape(word) for word in re.split(r"\s+", text)) if text.strip() else r"\s+"


@dataclass(frozen=True)
class Group:
    """One group of a vocabulary: its terms (as written) and its regular-expression patterns."""

    name: str
    terms: tuple[str, ...]
    patterns: tuple[str, ...] = ()
    #: Words the reader tries at an earlier point of its order than the group's other terms
    #: (a referral is evaluation and management before anything else is read).
    early_terms: tuple[str, ...] = ()
    early_patterns: tuple[str, ...] = ()

    def regex(self, *, early: bool = False) -> str:
        """The terms compiled, then the patterns, as one non-capturing alternation without boundaries.

        ``early`` gives the early terms and patterns instead; an empty part matches nothing.
        """
        terms, patterns = (self.early_terms, self.early_patterns) if early else (self.terms, self.patterns)
        alternatives = [compile_term(t) for t in terms] + list(patterns)
        return "(?:" + "|".join(alternatives) + ")" if alternatives else "(?!)"


@dataclass(frozen=True)
class Vocabulary:
    """A validated vocabulary file: its groups in the order the file lists them."""

    name: str
    description: str
    groups: dict[str, Group]
    path: str = ""

    def __getitem__(self, name: str) -> Group:
        try:
            return self.groups[name]
        except KeyError:
            raise ConfigError(f"vocabulary {self.name!r} has no group {name!r}", source=self.path or None) from None


def vocab_dir() -> Path:
    """The folder the vocabulary files are read from: the repository's, else the installed copy."""
    pkg = Path(__file__).resolve().parents[1]  # the llm_extract package folder
    for folder in (pkg.parent / "vocab", pkg / "_vocab"):
        if folder.is_dir():
            return folder
    raise ConfigError("no vocabulary folder found (vocab/ or llm_extract/_vocab/)")


def _strings(value: object, where: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings", source=source)
    return tuple(value)


def read_toml(path: Path, keys: Collection[str], kind: str) -> dict[str, Any]:
    """The TOML file at ``path``, which must hold exactly the top-level ``keys``.

    ``kind`` names the file in errors ("vocabulary file", "prompt file"); the prompt loader
    shares this check. An unreadable file, unknown keys and missing keys are a
    :class:`ConfigError` naming the file.
    """
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        # TOML refuses a table or key defined twice; the message names the line.
        raise ConfigError(f"cannot read {kind}: {exc}", source=source) from exc
    unknown, missing = set(data) - set(keys), set(keys) - set(data)
    if unknown:
        raise ConfigError(f"unknown keys in {kind}: {', '.join(sorted(unknown))}", source=source)
    if missing:
        raise ConfigError(f"missing keys in {kind}: {', '.join(sorted(missing))}", source=source)
    return data


def load_vocabulary_file(path: str | Path) -> Vocabulary:
    """Load and validate one vocabulary file (every term and pattern compiles)."""
    path = Path(path)
    source = str(path)
    data = read_toml(path, _FILE_KEYS, "vocabulary file")
    if not isinstance(data["description"], str) or not data["description"].strip():
        raise ConfigError("'description' must be a non-empty string", source=source)
    if not isinstance(data["groups"], dict) or not data["groups"]:
        raise ConfigError("'groups' must be a table of groups", source=source)
    groups: dict[str, Group] = {}
    seen: dict[str, str] = {}  # a term (lower case, spaces as one) -> where the file lists it
    for name, body in data["groups"].items():
        where = f"groups.{name}"
        if not isinstance(body, dict):
            raise ConfigError(f"{where} must be a table with 'terms'", source=source)
        bad = set(body) - _GROUP_KEYS
        if bad:
            raise ConfigError(f"unknown keys in {where}: {', '.join(sorted(bad))}", source=source)
        parts = {key: _strings(body.get(key, []), f"{where}.{key}", source) for key in sorted(_GROUP_KEYS)}
        if not any(parts.values()):
            raise ConfigError(f"{where} lists no terms", source=source)
        for part in ("early_terms", "terms"):
            for term in parts[part]:
                try:
                    compile_term(term)
                except ValueError as exc:
                    raise ConfigError(f"{where}.{part}: {exc}", source=source) from None
                key = " ".join(term.lower().split())
                if key in seen:
                    raise ConfigError(f"term {term!r} is listed in {seen[key]} and {where}.{part}", source=source)
                seen[key] = f"{where}.{part}"
        for pattern in parts["early_patterns"] + parts["patterns"]:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{where}.patterns: {pattern!r} is not a regular expression: {exc}",
                                  source=source) from None
        groups[name] = Group(name, parts["terms"], parts["patterns"], parts["early_terms"], parts["early_patterns"])
    return Vocabulary(path.stem, data["description"], groups, source)


@cache
def load_vocabulary(name: str) -> Vocabulary:
    """The shipped vocabulary ``name`` (``vocab/<name>.toml``), loaded once."""
    path = vocab_dir() / f"{name}.toml"
    if not path.is_file():
        raise ConfigError(f"unknown vocabulary {name!r}", source=str(path))
    return load_vocabulary_file(path)
