"""POST /v1/extract: one letter in, its IMR record out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from llm_extract import IMRRecord

from .problems import only
from .state import AUTH, State
from .uploads import LETTER_FORM, read_letter_request
from .worker import run

__all__ = ["router"]

router = APIRouter()

_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": LETTER_FORM,
    "application/json": {"schema": {"$ref": "#/components/schemas/ExtractText"}}}}}


@router.post("/v1/extract", response_model=IMRRecord, dependencies=AUTH, tags=["extract"],
             openapi_extra=_BODY, responses=only(400, 401, 413, 415, 422, 429, 502, 504))
async def extract_letter(request: Request, state: State) -> Any:
    """Extract one letter: a multipart upload (``file``) or JSON ``{"text": ...}``.

    Returns the IMR record, the same schema as the library's ``IMRRecord``.
    """
    sent = await read_letter_request(request, state, keep=False)
    _, record = await run(state, sent.make, sent.options, sent.source)
    return JSONResponse(record.model_dump(mode="json"))
