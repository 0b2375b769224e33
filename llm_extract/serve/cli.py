"""``llm-extract serve`` and ``llm-extract view``; :func:`register` adds them to the CLI group."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["register", "serve_cmd", "view_cmd"]


def _missing_extra() -> None:
    raise click.ClickException("the HTTP service needs the [serve] extra: pip install 'llm-extract[serve]'")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--rules-only", is_flag=True, help="Deterministic pass only; no model is configured or called.")
@click.option("--model", default=None, help="Model name (env LLM_EXTRACT_MODEL).")
@click.option("--base-url", default=None, help="OpenAI-compatible endpoint (env LLM_EXTRACT_BASE_URL); "
                                                "unset: the embedded model.")
@click.option("--prompt", default="imr-hybrid", show_default=True, help="Default prompt name or name@version.")
@click.option("--timeout", type=float, default=None, help="Seconds per model request.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Batch jobs and kept uploads (default $LLM_EXTRACT_HOME/serve or ~/.cache/llm_extract/serve).")
@click.option("--batch-root", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              envvar="LLM_EXTRACT_BATCH_ROOT",
              help="Allow POST /v1/batches to name server-side folders under this one (env LLM_EXTRACT_BATCH_ROOT).")
@click.option("--letters-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              envvar="LLM_EXTRACT_LETTERS_DIR",
              help="Let the review page list and open the letters under this folder by name "
                   "(GET /v1/letters; env LLM_EXTRACT_LETTERS_DIR).")
@click.option("--fixtures-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the review page saves corrected records as fixtures (letters/ + labels/).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Letters extracted at once (threads).")
@click.option("--queue-size", type=click.IntRange(min=0), default=32, show_default=True,
              help="Letters waiting beyond the workers before 429.")
@click.option("--max-upload-mb", type=click.FloatRange(min=0.01), default=20.0, show_default=True)
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Allow this browser origin (repeatable); default: no CORS.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
def serve_cmd(host: str, port: int, rules_only: bool, model: str | None, base_url: str | None, prompt: str,
              timeout: float | None, data_dir: Path | None, batch_root: Path | None, letters_dir: Path | None,
              fixtures_dir: Path | None,
              workers: int, queue_size: int, max_upload_mb: float, cors_origins: tuple[str, ...],
              log_level: str) -> None:
    """Run the HTTP extraction service and the review page (GET /).

    The API is described at /docs and /openapi.json. Set LLM_EXTRACT_API_TOKEN to require
    "Authorization: Bearer <token>" on /v1 and /metrics (never pass it on the command line).
    Logs carry method, route, status and time only: no letter text, no token.
    """
    try:
        import uvicorn

        from .app import create_app
        from .config import ServeConfig
    except ImportError:
        _missing_extra()
    from llm_extract import LlmExtractError, Settings

    try:
        settings = None if rules_only else Settings.resolve(model=model, base_url=base_url, timeout=timeout)
        kwargs: dict[str, Any] = {"data_dir": data_dir} if data_dir is not None else {}
        config = ServeConfig(
            rules_only=rules_only, settings=settings, prompt=prompt, batch_root=batch_root,
            fixtures_dir=fixtures_dir, letters_dir=letters_dir,
            api_token=os.environ.get("LLM_EXTRACT_API_TOKEN") or None,
            max_upload_bytes=int(max_upload_mb * 1024 * 1024), workers=workers, queue_size=queue_size,
            cors_origins=cors_origins, **kwargs)
    except LlmExtractError as exc:
        raise click.ClickException(str(exc)) from None
    import logging

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    mode = "rules-only" if settings is None else f"model {settings.model} at {settings.base_url or 'embedded'}"
    click.echo(f"llm-extract serve: http://{host}:{port}/ ({mode}; data in {config.data_dir}"
               f"{'; token required' if config.api_token else ''})", err=True)
    # access_log=False: uvicorn's access lines carry query strings; the app logs routes itself.
    uvicorn.run(create_app(config), host=host, port=port, log_level=log_level, access_log=False)


@click.command("view")
@click.argument("records", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("review.html"),
              show_default=True, help="The HTML file to write.")
@click.option("--title", default=None, help="Page title (default: the records file's name).")
@click.option("--fixtures", "fixtures", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="For a results.json: the fixture folder (default: the one results.json names).")
@click.option("--all", "all_letters", is_flag=True,
              help="For a results.json: every letter, not only those with errors.")
def view_cmd(records: Path, output: Path, title: str | None, fixtures: Path | None, all_letters: bool) -> None:
    """Write the review view of RECORDS.jsonl as one self-contained HTML file (no network).

    RECORDS may also be an evaluation's results.json (`llm-extract eval --out`): per letter
    some run got wrong, what each run got beside the label, over the letter's text re-read
    from the fixture folder.

    RECORDS is a batch folder's records.jsonl or the output of `llm-extract extract`. The
    letters are read again from each line's path ("path", else "source"; relative paths from
    the working folder or the JSONL's folder), since the spans index their normalised text:
    a letter that has moved or changed is reported here and shown without highlights.
    """
    from .view import entries_from_jsonl, entries_from_results, is_results_json, render_page

    def warn(line: str) -> None:
        click.echo(f"warning: {line}", err=True)

    if is_results_json(records):
        entries = entries_from_results(records, fixtures=fixtures, all_letters=all_letters, warn=warn)
        if not entries:
            click.echo(f"{records}: every run got every letter right; nothing to show (use --all)", err=True)
            entries = entries_from_results(records, fixtures=fixtures, all_letters=True, warn=warn)
    else:
        entries = entries_from_jsonl(records, warn=warn)
    if not entries:
        raise click.ClickException(f"{records}: no records to show")
    output.write_text(render_page(entries, mode="offline", title=title or f"IMR review: {records.name}"),
                      encoding="utf-8")
    missing = sum(1 for e in entries if e["text"] is None)
    click.echo(f"wrote {output} ({len(entries)} letter(s){f', {missing} without text' if missing else ''})",
               err=True)
    if missing:
        sys.exit(1)


def register(group: click.Group) -> None:
    """Add ``serve`` and ``view`` to the ``llm-extract`` command group."""
    group.add_command(serve_cmd)
    group.add_command(view_cmd)
