"""The ``llm-extract`` command: a thin layer over the library.

Every command reports a bad letter as ``PATH: reason`` on stderr, carries on with the
other inputs, and exits non-zero when anything failed. No traceback reaches the user
for an expected failure, and no letter text is printed except the records asked for.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click

from .errors import LlmExtractError

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="llm-extract")
def main() -> None:
    """Extract validated records from California IMR final determination letters."""


@main.command("extract")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--rules-only", is_flag=True, help="Deterministic layout pass only; no model call.")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              help="Write JSON Lines here (default: standard output).")
def extract_cmd(paths: tuple[str, ...], rules_only: bool, output: IO[str]) -> None:
    """Extract one record per letter, as JSON Lines in input order.

    Each line holds "source" (the path as given) and the record. A letter that fails
    writes no line; its path and the reason go to stderr and the exit code is 1.
    """
    from .pipeline import extract

    failures: list[str] = []
    for path in paths:
        try:
            record = extract(path, rules_only=rules_only)
        except LlmExtractError as exc:
            failures.append(str(exc) if exc.source else f"{path}: {exc}")
            click.echo(f"error: {failures[-1]}", err=True)
            continue
        output.write(record.to_line(path) + "\n")
        output.flush()
    _summarise(len(paths), failures)


def _summarise(total: int, failures: list[str]) -> None:
    if failures:
        click.echo(f"{total - len(failures)} of {total} letters extracted; {len(failures)} failed.", err=True)
        sys.exit(1)


@main.command("eval")
@click.option("--fixtures", "fixtures_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Fixture directory with letters/ and labels/ (default: the project's own).")
@click.option("--rules-only", is_flag=True, help="Score the deterministic pass alone.")
@click.option("--errors", "show_errors", is_flag=True, help="Also list every wrong field per letter.")
def eval_cmd(fixtures_dir: Path | None, rules_only: bool, show_errors: bool) -> None:
    """Score extraction against the hand-labelled fixtures and print the table."""
    from .fixtures import DEFAULT_FIXTURES, load_fixtures
    from .pipeline import extract
    from .scoring import RULES_FIELDS, score_records

    try:
        fixtures = load_fixtures(fixtures_dir or DEFAULT_FIXTURES)
    except LlmExtractError as exc:
        raise click.ClickException(str(exc)) from None
    triples = []
    failures: list[str] = []
    for fx in fixtures:
        try:
            triples.append((fx.name, extract(fx.letter, rules_only=rules_only), fx.label))
        except LlmExtractError as exc:
            failures.append(str(exc))
            click.echo(f"error: {exc}", err=True)
    score = score_records(triples, RULES_FIELDS if rules_only else None)
    click.echo(f"{'rules-only' if rules_only else 'model'} run over {len(triples)} letters"
               f" ({sum(len(f.label.items) for f in fixtures)} labelled items)")
    click.echo(score.table())
    if show_errors:
        for letter in score.letters:
            for err in letter.errors:
                click.echo(f"{letter.name}: {err}")
    _summarise(len(fixtures), failures)


def run() -> None:  # pragma: no cover - console entry for `python -m llm_extract`
    main()
