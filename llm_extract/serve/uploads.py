"""The letter a POST /v1/extract or /v1/review sends: an upload, JSON text, or (review only)
the name of a letter under --letters-dir; read into a function that makes the :class:`Letter`
on the worker thread."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from fastapi import Request
from starlette.datastructures import UploadFile

import llm_extract
from llm_extract import InputError, Letter

from .files import allowed_letter, read_limited
from .incoming import JSON, Options, body_kind, options_of, read_body, read_form, safe_name, suffix_of
from .problems import invalid, parse_json
from .schemas import ExtractText, ReviewLetter
from .state import AppState

__all__ = ["LETTER_FORM", "LetterRequest", "read_letter_request"]

#: The OpenAPI schema of the multipart form :func:`read_letter_request` reads.
LETTER_FORM = {"schema": {"type": "object", "required": ["file"], "properties": {
    "file": {"type": "string", "format": "binary", "description": "The letter (.pdf, .txt, .html, .md)."},
    "rules_only": {"type": "boolean"}, "prompt": {"type": "string", "maxLength": 100},
    "model": {"type": "string", "maxLength": 200}}}}
_REFUSAL = "send multipart/form-data with a file part, or application/json with text"


class LetterRequest(NamedTuple):
    """A letter request, read: how to make the letter, the options, its name, and (review only)
    the ``upload_id`` under which its bytes are kept for POST /v1/fixtures."""

    make: Callable[[], Letter]
    options: Options
    source: str
    upload_id: str | None


def _letter_from_upload(state: AppState, data: bytes, suffix: str, name: str,
                        keep: Path | None = None) -> Callable[[], Letter]:
    """A function that reads the uploaded bytes as a letter named ``name``, from ``keep``
    (written there first, for saving as a fixture later) or from a temporary file."""
    def make() -> Letter:
        if keep is not None:
            path, cleanup = keep, False
            if not path.exists():
                path.write_bytes(data)
        else:
            fd, tmp = tempfile.mkstemp(suffix=suffix, dir=state.tmp)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            path, cleanup = Path(tmp), True
        try:
            letter = llm_extract.read_letter(path)
        finally:
            if cleanup:
                path.unlink(missing_ok=True)
        return Letter(source=name, text=letter.text, kind=letter.kind)
    return make


async def read_letter_request(request: Request, state: AppState, *, keep: bool) -> LetterRequest:
    """Read the request and take a queue place (given back by ``worker.run``, or here on a
    refusal). ``keep``: the review page's request, whose letter is kept for saving as a fixture."""
    ctype = body_kind(request, _REFUSAL)
    config = state.config
    state.reserve()
    try:
        body = await read_body(request, config.max_upload_bytes)
        if ctype == JSON and keep:
            # The review page's other way in: a letter picked by name from --letters-dir.
            picked = parse_json(ReviewLetter, body)
            opts = options_of(config, picked)
            path, name = allowed_letter(config, picked.letter)
            data = await asyncio.to_thread(read_limited, path, config.max_upload_bytes)
            upload_id = hashlib.sha256(data).hexdigest() + path.suffix.lower()
            return LetterRequest(_letter_from_upload(state, data, path.suffix.lower(), name, state.uploads / upload_id),
                                 opts, name, upload_id)
        if ctype == JSON:
            req = parse_json(ExtractText, body)
            opts = options_of(config, req)
            text = req.text

            def make() -> Letter:
                if not text.strip():
                    raise InputError("the letter has no text", source="<text>")
                return llm_extract.letter_from_text(text, source="<text>")
            return LetterRequest(make, opts, "<text>", None)
        form = await read_form(request, max_files=1)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise invalid("a file part named 'file' is required")
        suffix = suffix_of(upload)
        opts = options_of(config, form)
        data = await upload.read()
        name = safe_name(upload.filename)
        kept_id: str | None = None
        keep_path = None
        if keep:
            kept_id = hashlib.sha256(data).hexdigest() + suffix
            keep_path = state.uploads / kept_id
        return LetterRequest(_letter_from_upload(state, data, suffix, name, keep_path), opts, name, kept_id)
    except BaseException:
        state.release()
        raise
