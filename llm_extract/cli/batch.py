"""``llm-extract batch``, ``stats`` and ``merge``: the batch commands of the CLI.

Registered on the main group by :func:`register` so that :mod:`llm_extract.cli` stays small.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import LlmExtractError

__all__ = ["register", "batch_cmd", "stats_cmd", "merge_cmd"]


class _TqdmHandler(logging.Handler):
    """Log lines printed above the progress bar instead of through it."""

    def emit(self, record: logging.LogRecord) -> None:
        from tqdm import tqdm

        try:
            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # pragma: no cover - logging must never break the batch
            self.handleError(record)


def _setup_logging(quiet: bool) -> None:
    log = logging.getLogger("llm_extract")
    if not any(isinstance(h, _TqdmHandler) for h in log.handlers):
        handler = _TqdmHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(logging.WARNING)


def _formats(value: str) -> list[str]:
    from ..batch.outputs import check_formats

    try:
        return check_formats(value.split(","))
    except LlmExtractError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder; running again with the same folder resumes.")
@click.option("--rules-only", is_flag=True, help="Deterministic layout pass only; no model call.")
@click.option("-j", "--concurrency", type=click.IntRange(1, 512), default=1, show_default=True,
              help="Extractions in flight at once (model requests against the endpoint).")
@click.option("--processes", is_flag=True,
              help="Run the workers as processes: speeds up the CPU-bound --rules-only pass on many cores.")
@click.option("--format", "formats", default="jsonl,csv", show_default=True,
              help="Outputs besides records.jsonl: any of jsonl, csv, parquet (comma-separated); "
                   "csv and parquet include the review queue (review.csv); review alone writes only it.")
@click.option("--shard", default=None, metavar="K/N",
              help="Take only shard K of N (1-based), split by the letters' content hash; add ':bytes' "
                   "to split by file bytes (cheaper, but copies in different formats may split).")
@click.option("--model", default=None, help="Model name for the model pass (default: the settings').")
@click.option("--base-url", default=None, help="OpenAI-compatible endpoint, e.g. a vLLM replica (default: "
              "$LLM_EXTRACT_BASE_URL, else the embedded local model). The key is read from $OPENAI_API_KEY.")
@click.option("--prompt", default=None, help="Prompt name for the model pass.")
@click.option("--no-cache", is_flag=True, help="Do not reuse cached model answers.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds to wait for one model answer (env LLM_EXTRACT_TIMEOUT; default 300).")
@click.option("--stop-after-failures", type=click.IntRange(1), default=None,
              help="Stop after this many failures in a row (e.g. the endpoint is down); resumable.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: this process. ray: Ray tasks on a cluster (the [ray] extra); -j is then the "
                   "model requests each Ray task keeps in flight.")
@click.option("--address", default=None, help="Ray cluster address for --engine ray (e.g. auto, "
              "ray://head:10001); default: start a local Ray instance.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary table; warnings only.")
def batch_cmd(inputs: tuple[str, ...], out_dir: Path, rules_only: bool, concurrency: int, processes: bool,
              formats: str, shard: str | None, model: str | None, base_url: str | None,
              prompt: str | None, no_cache: bool,
              stop_after_failures: int | None, quiet: bool, engine: str = "local",
              address: str | None = None, timeout: float | None = None) -> None:
    """Extract every letter under INPUT... into --out, resumably.

    INPUT is a file, a folder (searched recursively), a glob, or @FILE listing one input
    per line. Writes records.jsonl and errors.jsonl as letters finish, then letters.csv,
    items.csv (and .parquet when asked), summary.json and stats.png. Run the same
    command again to skip finished letters and retry failed ones. Exit code 1 when any
    letter failed in this run.
    """
    from ..batch.runner import extract_batch

    _setup_logging(quiet)
    kwargs: dict[str, Any] = {}
    for name, value in (("model", model), ("base_url", base_url), ("prompt", prompt), ("timeout", timeout)):
        if value is not None:
            kwargs[name] = value
    if no_cache:
        kwargs["no_cache"] = True
    if engine == "ray":
        if shard or processes or stop_after_failures:
            raise click.UsageError("--engine ray does not take --shard, --processes or --stop-after-failures")
        from ..batch.ray import extract_batch_ray

        try:
            s = extract_batch_ray(list(inputs), out_dir=out_dir, rules_only=rules_only, address=address,
                                  in_flight=concurrency, formats=_formats(formats), progress=not quiet, **kwargs)
        except LlmExtractError as exc:
            raise click.ClickException(str(exc)) from None
        if not quiet:
            _print_run(s, out_dir)
        if s.failed:
            sys.exit(1)
        return
    try:
        run = extract_batch(
            list(inputs), out_dir=out_dir, rules_only=rules_only, concurrency=concurrency,
            executor="process" if processes else "thread", shard=shard, formats=_formats(formats),
            stop_after_failures=stop_after_failures, progress=not quiet, **kwargs,
        )
        with run:
            for _ in run:
                pass
    except LlmExtractError as exc:
        raise click.ClickException(str(exc)) from None
    s = run.summary
    if not quiet:
        _print_run(s, out_dir)
    if s.aborted:
        click.echo(f"stopped early: {s.aborted}; run the same command again to resume", err=True)
    if s.failed or s.aborted:
        sys.exit(1)


def _print_run(s: Any, out_dir: Path) -> None:
    rows = [("done", s.done), ("cached (already in the folder)", s.cached),
            ("duplicates (same text as another)", s.duplicate), ("failed", s.failed)]
    if s.other_shard:
        rows.append(("left to other shards", s.other_shard))
    width = max(len(r[0]) for r in rows)
    click.echo(f"\nBatch into {out_dir}  ({s.seconds:.1f} s, {s.letters_per_second:.2f} letters/s)")
    for name, n in rows:
        click.echo(f"  {name:<{width}}  {n:>7,}")
    for etype, n in sorted(s.errors_by_type.items(), key=lambda kv: -kv[1]):
        click.echo(f"    {etype}: {n}")
    summary = out_dir / "summary.json"
    if summary.exists():
        totals = json.loads(summary.read_text(encoding="utf-8")).get("totals", {})
        click.echo(f"  folder total: {totals.get('letters', 0):,} letters, {totals.get('items', 0):,} items, "
                   f"{totals.get('failed', 0):,} open failures (see errors.jsonl)")
    click.echo(f"Statistics: llm-extract stats {out_dir}")


@click.command("stats")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--chart", "chart_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the PNG chart (default: DIR/stats.png).")
@click.option("--no-chart", is_flag=True, help="Do not draw the chart.")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON instead of a table.")
def stats_cmd(dirs: tuple[Path, ...], chart_path: Path | None, no_chart: bool, as_json: bool) -> None:
    """Corpus statistics of one or more batch folders, beside the DWC's published 2016 figures."""
    from ..batch.stats import corpus_stats, format_stats, write_chart

    stats = corpus_stats(list(dirs))
    if as_json:
        click.echo(json.dumps(stats, indent=2, ensure_ascii=False))
    else:
        click.echo(format_stats(stats))
    if not no_chart:
        written = write_chart(stats, chart_path or dirs[0] / "stats.png")
        click.echo(f"chart: {written}" if written else "chart: skipped (no items)", err=True)
    if stats["letters"] == 0:
        sys.exit(1)


@click.command("merge")
@click.argument("shard_dirs", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The merged folder (same layout; can be resumed or merged into again).")
@click.option("--format", "formats", default="jsonl,csv", show_default=True)
def merge_cmd(shard_dirs: tuple[Path, ...], out_dir: Path, formats: str) -> None:
    """Merge the output folders of shard workers into one folder."""
    from ..batch.outputs import merge_outputs

    try:
        summary = merge_outputs(list(shard_dirs), out_dir, formats=_formats(formats))
    except LlmExtractError as exc:
        raise click.ClickException(str(exc)) from None
    t = summary["totals"]
    click.echo(f"merged {len(shard_dirs)} folders into {out_dir}: {t['letters']:,} letters, "
               f"{t['items']:,} items, {t['duplicates']:,} duplicates, {t['failed']:,} open failures")


def register(group: click.Group) -> None:
    """Add the batch commands to the ``llm-extract`` group."""
    for cmd in (batch_cmd, stats_cmd, merge_cmd):
        group.add_command(cmd)
