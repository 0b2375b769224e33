"""Versioned prompt files: ``prompts/imr/<kind>.v<N>.toml``, validated on load.

A prompt file holds exactly these keys::

    name = "imr-hybrid"        # what users pass as ``prompt=``
    version = 1                # bumped on any change; recorded as ``name@version``
    description = "..."
    answer = "hybrid"          # which answer model the reply is validated against
    variables = ["letter", ...]
    system = "..."             # string.Template text ($name placeholders)
    user = "..."

Unknown keys, a missing key, or template placeholders that differ from ``variables`` are a
:class:`~llm_extract.errors.ConfigError` when the file is loaded, and :meth:`Prompt.render`
refuses missing or extra values, so a typo never reaches the model.

The files live in the repository's top-level ``prompts/`` folder; a built wheel carries
them as ``llm_extract/_prompts`` (see ``pyproject.toml``), and both places are searched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

from ..errors import ConfigError
from ..rules.vocabularies import read_toml

__all__ = ["Prompt", "load_prompt", "load_prompt_file", "available_prompts", "prompt_dirs", "ANSWER_KINDS"]

ANSWER_KINDS = ("full", "hybrid", "open")
# What the model pass can fill in, by answer kind: the whole letter, or an excerpt (the
# case summary) with the items listed alone or with their MAXIMUS guideline lines.
_VARIABLES = {
    "full": {"letter"},
    "hybrid": {"letter", "excerpt", "items", "items_detail", "ask"},
    # Only what the rules left open: the summary (when diagnoses are asked) and open items.
    "open": {"questions", "examples"},
}
_KEYS = {"name", "version", "description", "answer", "variables", "system", "user"}
_FILE = re.compile(r"^(?P<kind>[a-z][a-z0-9_-]*)\.v(?P<version>\d+)\.toml$")


@dataclass(frozen=True)
class Prompt:
    """One validated prompt: its identity, answer kind and two templates."""

    name: str
    version: int
    description: str
    answer: str
    variables: tuple[str, ...]
    system: str
    user: str
    path: str = ""

    @property
    def ref(self) -> str:
        """``name@version``, as recorded in a record's provenance."""
        return f"{self.name}@{self.version}"

    def render(self, **values: str) -> list[dict[str, str]]:
        """Chat messages with the templates filled; missing or extra values are errors."""
        given, wanted = set(values), set(self.variables)
        if given != wanted:
            missing, extra = sorted(wanted - given), sorted(given - wanted)
            raise ConfigError(
                f"prompt {self.ref}: missing variables {missing}, unexpected variables {extra}",
                source=self.path or None,
            )
        return [
            {"role": "system", "content": Template(self.system).substitute(values)},
            {"role": "user", "content": Template(self.user).substitute(values)},
        ]


def prompt_dirs() -> list[Path]:
    """Folders searched for prompt files: the repository's, then the installed copy."""
    pkg = Path(__file__).resolve().parents[1]  # the llm_extract package folder
    return [d for d in (pkg.parent / "prompts", pkg / "_prompts") if d.is_dir()]


def _placeholders(text: str, where: str, source: str) -> set[str]:
    tmpl = Template(text)
    if not tmpl.is_valid():
        raise ConfigError(f"{where} has an invalid $ placeholder (write $$ for a dollar sign)", source=source)
    return set(tmpl.get_identifiers())


def load_prompt_file(path: str | Path) -> Prompt:
    """Load and validate one prompt file."""
    path = Path(path)
    source = str(path)
    data = read_toml(path, _KEYS, "prompt file")
    for key in ("name", "description", "answer", "system", "user"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise ConfigError(f"{key!r} must be a non-empty string", source=source)
    version = data["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ConfigError("'version' must be a positive integer", source=source)
    if data["answer"] not in ANSWER_KINDS:
        raise ConfigError(f"'answer' must be one of {', '.join(ANSWER_KINDS)}", source=source)
    variables = data["variables"]
    if not isinstance(variables, list) or not all(isinstance(v, str) for v in variables):
        raise ConfigError("'variables' must be a list of strings", source=source)
    known = _VARIABLES[data["answer"]]
    unknown_vars = set(variables) - known
    if unknown_vars:
        raise ConfigError(
            f"unknown variables {sorted(unknown_vars)} for a {data['answer']!r} prompt; "
            f"it can use {sorted(known)}", source=source)
    if data["answer"] != "open" and not {"letter", "excerpt"} & set(variables):
        # An "open" prompt shows only the text its questions need, through $questions.
        raise ConfigError("'variables' must include 'letter' or 'excerpt'", source=source)
    used = _placeholders(data["system"], "system", source) | _placeholders(data["user"], "user", source)
    declared = set(variables)
    if used != declared:
        raise ConfigError(
            f"template placeholders {sorted(used)} differ from declared variables {sorted(declared)}",
            source=source,
        )
    m = _FILE.match(path.name)
    if m and int(m.group("version")) != version:
        raise ConfigError(f"file name says v{m.group('version')} but 'version' is {version}", source=source)
    return Prompt(
        name=data["name"], version=version, description=data["description"], answer=data["answer"],
        variables=tuple(variables), system=data["system"], user=data["user"], path=source,
    )


@cache
def available_prompts() -> dict[str, Prompt]:
    """Every prompt found, keyed by ``name@version`` and by ``name`` (its latest version)."""
    found: dict[str, Prompt] = {}
    for folder in prompt_dirs():
        for path in sorted(folder.glob("*/*.toml")):
            prompt = load_prompt_file(path)
            found.setdefault(prompt.ref, prompt)
    latest: dict[str, Prompt] = {}
    for prompt in found.values():
        if prompt.name not in latest or prompt.version > latest[prompt.name].version:
            latest[prompt.name] = prompt
    return {**found, **latest}


def load_prompt(name: str) -> Prompt:
    """The prompt ``name`` (latest version) or ``name@version``; ConfigError if unknown."""
    prompts = available_prompts()
    if name not in prompts:
        known = ", ".join(sorted(k for k in prompts if "@" not in k)) or "(none found)"
        raise ConfigError(f"unknown prompt {name!r}; available: {known}")
    return prompts[name]
