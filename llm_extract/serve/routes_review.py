"""The review page (GET /) and what it calls: POST /v1/review, GET /v1/letters, POST /v1/fixtures."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError

from llm_extract import IMRRecord

from . import files
from .problems import LETTERS_PROBLEMS, ProblemError, only, validation_errors
from .schemas import FixtureSave, FixtureSaved, LetterList, Problem, ReviewResult
from .state import AUTH, State
from .uploads import LETTER_FORM, read_letter_request
from .view import render_page
from .worker import run

__all__ = ["router", "PAGE_CSP"]

router = APIRouter()

#: The page's script and stylesheet come from /static; its inline JSON blocks are data, never run.
PAGE_CSP = ("default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")

_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": LETTER_FORM,
    "application/json": {"schema": {"$ref": "#/components/schemas/ReviewLetter"}}}}}


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
async def page(state: State) -> HTMLResponse:
    """The review page, empty, with its upload form (not in the OpenAPI document: not an API)."""
    config = state.config
    return HTMLResponse(render_page(mode="server", title="IMR letter review", rules_only_server=config.rules_only,
                                    letters_dir=config.letters_dir is not None),
                        headers={"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff"})


@router.post("/v1/review", response_model=ReviewResult, dependencies=AUTH, tags=["review"],
             openapi_extra=_BODY,
             responses={**only(400, 401, 413, 415, 422, 429, 502, 504), **LETTERS_PROBLEMS})
async def review_letter(request: Request, state: State) -> Any:
    """Extract a letter for the review page: an upload (``file``), or JSON ``{"letter": name}``
    naming one that GET /v1/letters lists. Returns the record, the normalised text its
    evidence spans index, and an ``upload_id`` for saving the corrected record as a fixture."""
    sent = await read_letter_request(request, state, keep=True)
    letter, record = await run(state, sent.make, sent.options, sent.source)
    result = ReviewResult(upload_id=sent.upload_id or "", source=sent.source, text=letter.text, record=record)
    return JSONResponse(result.model_dump(mode="json"))


@router.get("/v1/letters", response_model=LetterList, dependencies=AUTH, tags=["review"],
            responses={**only(401), 403: LETTERS_PROBLEMS[403]})
async def list_letters(state: State) -> LetterList:
    """The letters under the server's ``--letters-dir`` that the review page may open by name."""
    root = state.config.letters_dir
    if root is None:
        raise ProblemError(403, "Forbidden", "No letters folder", "start the server with --letters-dir")
    return await asyncio.to_thread(files.list_letters, root)


@router.post("/v1/fixtures", response_model=FixtureSaved, status_code=201, dependencies=AUTH, tags=["review"],
             responses={**only(401, 422), 403: {"model": Problem, "description": "No fixtures folder configured"},
                        404: {"model": Problem, "description": "Unknown upload"},
                        409: {"model": Problem, "description": "A fixture of that name or case number exists"}})
async def save_fixture(body: FixtureSave, state: State) -> FixtureSaved:
    """Save a reviewed letter and its corrected record as a labelled fixture
    (``letters/<name>.<ext>`` and ``labels/<name>.json``, the layout ``llm-extract eval --fixtures`` reads)."""
    root = state.config.fixtures_dir
    if root is None:
        raise ProblemError(403, "ConfigError", "No fixtures folder", "start the server with --fixtures-dir")
    upload = state.uploads / body.upload_id
    if not upload.is_file():
        raise ProblemError(404, "NotFound", "Unknown upload", "upload the letter again (POST /v1/review)")
    data = dict(body.record)
    for key in ("evidence", "warnings", "provenance", "source"):
        data.pop(key, None)
    try:
        label = IMRRecord.model_validate(data)
    except ValidationError as exc:
        raise ProblemError(422, "ValidationError", "The corrected record does not validate",
                           f"{exc.error_count()} error(s) against IMRRecord", errors=validation_errors(exc)) from None
    return await asyncio.to_thread(files.write_fixture, root, body.name, upload, label, body.overwrite)
