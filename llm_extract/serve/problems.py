"""Errors as ``application/problem+json``: the exception, its answer, the app's handlers, and
the error responses each operation documents in the OpenAPI document."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from .schemas import PROBLEM_JSON, Problem

__all__ = ["ProblemError", "problem", "validation_errors", "invalid", "parse_json", "install_handlers", "only",
           "LETTERS_PROBLEMS", "BATCH_NOT_FOUND"]

log = logging.getLogger("llm_extract.serve")


class ProblemError(Exception):
    """An error answered as ``application/problem+json``."""

    def __init__(self, status: int, error_type: str, title: str, detail: str = "", *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.error_type, self.title, self.detail = status, error_type, title, detail
        self.headers, self.extra = headers or {}, extra


def problem(status: int, error_type: str, title: str, detail: str = "",
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """The problem+json answer (``type`` is ``urn:llm-extract:error:<error_type>``)."""
    body = Problem(type=f"urn:llm-extract:error:{error_type}", title=title, status=status, detail=detail,
                   error_type=error_type, **extra)
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status,
                        media_type=PROBLEM_JSON, headers=headers)


def validation_errors(exc: ValidationError | RequestValidationError) -> list[dict[str, Any]]:
    """Where and why a request failed validation, without the input values."""
    # Never echo the input values: they may be letter text.
    return [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()]


def invalid(detail: str, **extra: Any) -> ProblemError:
    """The 422 ``ValidationError`` problem every malformed request gets."""
    return ProblemError(422, "ValidationError", "Invalid request", detail, **extra)


def parse_json(model: type[Any], body: bytes) -> Any:
    """``body`` as ``model``, or a 422 problem naming the model and the validation errors."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise invalid(f"the JSON body does not match {model.__name__}", errors=validation_errors(exc)) from None


def install_handlers(app: FastAPI) -> None:
    """Answer every error, FastAPI's own and unexpected ones included, as problem+json."""

    @app.exception_handler(ProblemError)
    async def _on_problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem(exc.status, exc.error_type, exc.title, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, "ValidationError", "Invalid request", "the request does not match the API schema",
                       errors=validation_errors(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's "error parsing the body": an invalid request like any other
            return problem(422, "ValidationError", "Invalid request", "the body is not valid JSON")
        names = {404: "NotFound", 405: "MethodNotAllowed"}
        return problem(exc.status_code, names.get(exc.status_code, "HTTPError"), str(exc.detail),
                       headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return problem(500, "InternalError", "Internal server error")


# -- the error responses operations document ------------------------------------------------
_PROBLEMS = {c: {"model": Problem, "description": d} for c, d in {
    400: "Unusable options (e.g. a model asked of a rules-only server)", 401: "Missing or wrong bearer token",
    413: "Upload too large", 415: "Not a PDF, text, HTML or markdown letter",
    422: "Not an IMR letter, unreadable, or an invalid request", 429: "Queue full (see Retry-After)",
    502: "The model failed (rules_record attached)", 504: "The model timed out (rules_record attached)",
}.items()}

#: The two ways a letter named from --letters-dir is refused.
LETTERS_PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem, "description": "No --letters-dir, or a name outside it"},
    404: {"model": Problem, "description": "No such letter under --letters-dir"}}
BATCH_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "No such batch"}}


def only(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The shared descriptions of these error statuses, for an operation's ``responses``."""
    return {c: _PROBLEMS[c] for c in codes}
