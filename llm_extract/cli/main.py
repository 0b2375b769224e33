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

from ..errors import LlmExtractError, redact

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
@click.option("--model", default=None,
              help="Model name (env LLM_EXTRACT_MODEL); without a base URL: qwen2.5-coder-1.5b (default), "
                   "qwen2.5-coder-0.5b or a .gguf path.")
@click.option("--prompt", default="imr-hybrid", show_default=True, help="Prompt name or name@version.")
@click.option("--base-url", default=None,
              help="OpenAI-compatible endpoint (env LLM_EXTRACT_BASE_URL / OPENAI_BASE_URL); "
                   "unset: start the embedded model.")
@click.option("--no-cache", is_flag=True, help="Ask the model again even if an answer is cached.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds to wait for one model answer (env LLM_EXTRACT_TIMEOUT; default 300).")
def extract_cmd(paths: tuple[str, ...], rules_only: bool, output: IO[str], model: str | None,
                prompt: str, base_url: str | None, no_cache: bool, timeout: float | None) -> None:
    """Extract one record per letter, as JSON Lines in input order.

    Each line holds "source" (the path as given) and the record. A letter that fails
    writes no line; "error: TYPE: PATH: reason" goes to stderr, the other letters go on,
    and the exit code is 1.
    Without --rules-only the model fills what the rules cannot (the API key comes from
    OPENAI_API_KEY only, never from the command line).
    """
    from ..pipeline import extract

    failures: list[str] = []
    for path in paths:
        try:
            record = extract(path, rules_only=rules_only, model=model, prompt=prompt,
                             base_url=base_url, no_cache=no_cache, timeout=timeout)
        except LlmExtractError as exc:
            where = str(exc) if exc.source else f"{path}: {exc}"
            failures.append(where)
            click.echo(f"error: {type(exc).__name__}: {redact(where)}", err=True)
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
@click.option("--model", "models", multiple=True, metavar="NAME",
              help="A model to evaluate (repeatable; default: the configured or embedded model).")
@click.option("--prompt", "prompts", multiple=True, metavar="NAME@VERSION",
              help="A prompt to evaluate (repeatable; a bare NAME means its latest version; default imr-hybrid).")
@click.option("--rules-only", is_flag=True, help="Score the deterministic pass alone (no model run).")
@click.option("--baseline", metavar="RUN",
              help="A previous results.json (or its folder), or the name of a run here: flag figures that got "
                   "worse and exit 3 when one drops below the baseline's 95% interval.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write results.json, report.md and report.html here.")
@click.option("--base-url", default=None, help="OpenAI-compatible endpoint (default: the embedded model).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None, help="Answer cache folder.")
@click.option("--retry-failed", is_flag=True,
              help="Ask the model again for letters whose answer failed to validate in an earlier run.")
@click.option("--errors", "show_errors", is_flag=True, help="Also list every wrong field per letter.")
@click.option("--show-test", is_flag=True,
              help="List the held-out test split's wrong answers too (by default they are counted, not shown, "
                   "so that the split stays unread).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the first N fixtures by name (a quick comparison on a slow model).")
@click.option("-q", "--quiet", is_flag=True, help="No per-letter progress on stderr.")
@click.option("--constrain/--no-constrain", default=None,
              help="Send the answer's JSON schema as a decoding constraint (default: only to the embedded "
                   "server, after a self-test shows it is applied).")
def eval_cmd(fixtures_dir: Path | None, models: tuple[str, ...], prompts: tuple[str, ...], rules_only: bool,
             baseline: str | None, out_dir: Path | None, base_url: str | None, cache_dir: str | None,
             retry_failed: bool, show_errors: bool, show_test: bool, limit: int | None, quiet: bool,
             constrain: bool | None) -> None:
    """Score extraction on the hand-labelled fixtures under every prompt × model asked for.

    Every prompt × model is a named run beside the rules-only run and the majority-answer
    baseline. Model answers come from the answer cache when they are there, so an
    interrupted evaluation resumes where it stopped and a re-run costs no model time.
    Prints the comparison table; with --out also writes the reports. Exits 1 when a
    letter failed, 3 when --baseline finds a regression.
    """
    from ..evaluation.report import comparison_table, letter_errors, withheld_note, write_report
    from ..evaluation.runner import evaluate

    def progress(line: str) -> None:
        if not quiet and not line.startswith("[rules-only]"):
            click.echo(line, err=True)

    try:
        settings = None
        if constrain is not None and not rules_only:
            from ..model.settings import Settings

            settings = Settings.resolve(base_url=base_url, cache_dir=cache_dir, constrain=constrain)
        ev = evaluate(fixtures_dir, models=models, prompts=prompts, rules_only=rules_only, baseline=baseline,
                      base_url=base_url, cache_dir=cache_dir, retry_failed=retry_failed, limit=limit,
                      progress=progress, settings=settings, show_test=show_test)
    except LlmExtractError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{len(ev.runs)} run(s) over {len(ev.letters)} letters ({ev.labelled_items} labelled items)"
               f" in {ev.seconds:.1f} s")
    click.echo(comparison_table(ev))
    if show_errors:
        for name, rows in letter_errors(ev).items():
            for row in rows:
                click.echo(f"{name}: {row}")
        note = withheld_note(ev)
        if note:
            click.echo(note.replace("`", ""))
    if out_dir is not None:
        paths = write_report(ev, out_dir)
        click.echo("wrote " + ", ".join(str(p) for p in paths.values()))
    for change in ev.changes:
        if change.worse:
            verdict = "REGRESSION" if change.regression else "worse"
            click.echo(f"{verdict}: {change.run}: {change.field} {change.current['accuracy']:.1%} "
                       f"< {change.baseline['accuracy']:.1%} ({change.baseline_run})", err=True)
    failed = sum(len(r.failed) for r in ev.runs)
    if ev.regressions:
        click.echo(f"{len(ev.regressions)} figure(s) dropped below the baseline's 95% interval.", err=True)
        sys.exit(3)
    if failed:
        click.echo(f"{failed} letter extraction(s) failed (scored as wrong; see the report).", err=True)
        sys.exit(1)


from ..serve.cli import register as register_serve  # noqa: E402 - after main exists: they register onto it
from .batch import register  # noqa: E402 - after main exists: they register onto it

register(main)  # batch, stats, merge (llm_extract/cli/batch.py)
register_serve(main)  # serve, view (llm_extract/serve/cli.py; FastAPI loads only when serve runs)


def run() -> None:  # pragma: no cover - console entry for `python -m llm_extract`
    main()
