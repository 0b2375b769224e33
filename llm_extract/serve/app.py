"""The HTTP extraction service: a FastAPI app over the public ``llm_extract`` API.

Every extraction runs on a worker thread (``ServeConfig.workers``), never on the event
loop; at most ``workers + queue_size`` letters are accepted at once and the next gets 429
with ``Retry-After``. Errors are ``application/problem+json`` naming the error type. Logs
carry method, route, status and milliseconds only: never letter text, never a token.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import hashlib
import hmac
import importlib.util
import json
import logging
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

import llm_extract
from llm_extract import (
    ConfigError, ExtractionError, IMRRecord, InputError, Letter, LlmExtractError, ModelError,
)

from .config import ServeConfig
from .jobs import JOB_ID, LETTER_SUFFIXES, JobManager
from .metrics import Metrics
from .schemas import (
    PROBLEM_JSON, BatchFolder, BatchList, BatchStatus, ExtractText, FixtureSave, FixtureSaved, Health,
    LetterFile, LetterList, Problem, Ready, ReviewLetter, ReviewResult,
)
from .view import render_page

__all__ = ["create_app", "ProblemError"]

log = logging.getLogger("llm_extract.serve")

_CONTENT_TYPES = {"application/pdf": ".pdf", "text/plain": ".txt", "text/html": ".html",
                  "text/markdown": ".md", "text/x-markdown": ".md"}
_PAGE_CSP = ("default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
             "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
_KINDS = {".pdf": "pdf", ".txt": "text", ".text": "text", ".html": "html", ".htm": "html",
          ".md": "markdown", ".markdown": "markdown"}
#: At most this many letters are listed by GET /v1/letters.
MAX_LISTED = 5000
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


class ProblemError(Exception):
    """An error answered as ``application/problem+json``."""

    def __init__(self, status: int, error_type: str, title: str, detail: str = "", *,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.error_type, self.title, self.detail = status, error_type, title, detail
        self.headers, self.extra = headers or {}, extra


def _problem(status: int, error_type: str, title: str, detail: str = "",
             headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = Problem(type=f"urn:llm-extract:error:{error_type}", title=title, status=status, detail=detail,
                   error_type=error_type, **extra)
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), status_code=status,
                        media_type=PROBLEM_JSON, headers=headers)


def _parse_json(model: type[Any], body: bytes) -> Any:
    """``body`` as ``model``, or a 422 problem naming the model and the validation errors."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise ProblemError(422, "ValidationError", "Invalid request",
                           f"the JSON body does not match {model.__name__}", errors=_errors(exc)) from None


def _errors(exc: ValidationError | RequestValidationError) -> list[dict[str, Any]]:
    # Never echo the input values: they may be letter text.
    return [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()]


def _is_timeout(exc: ModelError) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if "Timeout" in type(seen).__name__:
            return True
        seen = seen.__cause__
    return "did not answer within" in exc.message


def _bool(value: Any, name: str) -> bool | None:
    if value is None or value == "":
        return None
    v = str(value).strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ProblemError(422, "ValidationError", "Invalid request", f"{name} must be true or false")


def _text_field(form: Any, name: str, limit: int) -> str | None:
    value = form.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ProblemError(422, "ValidationError", "Invalid request", f"{name} must be a string of at most {limit} characters")
    return value


def _safe_name(name: str | None) -> str:
    base = Path(name or "upload").name
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in base)[:120] or "upload"


def _suffix_of(upload: UploadFile) -> str:
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix in LETTER_SUFFIXES:
        return suffix
    ctype = (upload.content_type or "").split(";")[0].strip().lower()
    if ctype in _CONTENT_TYPES:
        return _CONTENT_TYPES[ctype]
    raise ProblemError(415, "UnsupportedMediaType", "Unsupported letter type",
                       f"a letter must be one of {', '.join(LETTER_SUFFIXES)} (by file name or content type)")


class _State:
    """The app's moving parts, created at startup."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.metrics = Metrics()
        self._executor: cf.ThreadPoolExecutor | None = None
        self.pending = 0
        self.lock = threading.Lock()
        self.settings = None if config.rules_only else config.model_settings()
        self.data_dir = config.data_dir
        self.uploads = self.data_dir / "uploads"
        self.tmp = self.data_dir / "tmp"
        for folder in (self.uploads, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        self.jobs = JobManager(self.data_dir / "batches", extract_kwargs=self.batch_kwargs,
                               concurrency=config.batch_concurrency, on_result=self.metrics.batch_letter)

    def executor(self) -> cf.ThreadPoolExecutor:
        """The extraction threads (made again after a lifespan shut them down)."""
        with self.lock:
            if self._executor is None:
                self._executor = cf.ThreadPoolExecutor(max_workers=self.config.workers,
                                                       thread_name_prefix="llm-extract")
            return self._executor

    def shutdown(self) -> None:
        with self.lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def batch_kwargs(self, options: dict[str, Any]) -> dict[str, Any]:
        if options.get("rules_only"):
            return {"rules_only": True}
        return {"rules_only": False, "prompt": options.get("prompt") or self.config.prompt,
                "settings": self.config.model_settings(options.get("model"))}


def create_app(config: ServeConfig | None = None) -> FastAPI:
    """Build the service's app (see :class:`ServeConfig` for what can be set)."""
    config = config or ServeConfig()
    state = _State(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        await asyncio.to_thread(_prune, state.uploads, config.keep_uploads_hours * 3600)
        state.jobs.start()
        try:
            yield
        finally:
            await asyncio.to_thread(state.jobs.stop)
            state.shutdown()

    app = FastAPI(
        title="llm_extract",
        version=llm_extract.__version__,
        summary="Validated, source-grounded records from California IMR determination letters.",
        lifespan=lifespan,
    )
    app.state.serve = state
    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"])

    # -- errors --------------------------------------------------------------------------
    @app.exception_handler(ProblemError)
    async def _on_problem(request: Request, exc: ProblemError) -> JSONResponse:
        return _problem(exc.status, exc.error_type, exc.title, exc.detail, exc.headers, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _problem(422, "ValidationError", "Invalid request", "the request does not match the API schema",
                        errors=_errors(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's "error parsing the body": an invalid request like any other
            return _problem(422, "ValidationError", "Invalid request", "the body is not valid JSON")
        names = {404: "NotFound", 405: "MethodNotAllowed"}
        return _problem(exc.status_code, names.get(exc.status_code, "HTTPError"), str(exc.detail),
                        headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return _problem(500, "InternalError", "Internal server error")

    @app.middleware("http")
    async def _log_requests(request: Request, call_next: Callable[[Request], Any]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", None) or "other"
        state.metrics.request(route, response.status_code)
        # Path template only: no query string, no headers, no body.
        log.info("%s %s %d %.1f ms", request.method, route, response.status_code,
                 (time.perf_counter() - started) * 1000)
        return response

    # -- auth ----------------------------------------------------------------------------
    bearer = HTTPBearer(auto_error=False, description="Required when the server has LLM_EXTRACT_API_TOKEN set.")

    async def authorised(creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        token = config.api_token
        if not token:
            return
        given = creds.credentials if creds is not None else ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise ProblemError(401, "Unauthorized", "Missing or wrong bearer token",
                               headers={"WWW-Authenticate": 'Bearer realm="llm-extract"'})

    auth = [Depends(authorised)]

    # -- helpers -------------------------------------------------------------------------
    async def read_body(request: Request) -> bytes:
        limit = config.max_upload_bytes
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            raise ProblemError(413, "PayloadTooLarge", "Upload too large", f"the limit is {limit:,} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ProblemError(413, "PayloadTooLarge", "Upload too large", f"the limit is {limit:,} bytes")
            chunks.append(chunk)
        body = b"".join(chunks)
        request._body = body  # lets request.form() parse what was read
        return body

    def content_type(request: Request) -> str:
        return request.headers.get("content-type", "").split(";")[0].strip().lower()

    def reserve() -> None:
        with state.lock:
            if state.pending >= config.workers + config.queue_size:
                state.metrics.rejected += 1
                raise ProblemError(429, "QueueFull", "Too many letters in progress",
                                   "the extraction queue is full; retry later",
                                   headers={"Retry-After": str(config.retry_after)})
            state.pending += 1
            state.metrics.queued = state.pending - state.metrics.inflight

    def release() -> None:
        with state.lock:
            state.pending -= 1
            state.metrics.queued = max(0, state.pending - state.metrics.inflight)

    def options(rules_only: bool | None, prompt: str | None, model: str | None) -> dict[str, Any]:
        ro = config.rules_only if rules_only is None else rules_only
        if config.rules_only and not ro:
            raise ProblemError(400, "ConfigError", "This server runs rules-only",
                               "the server was started with --rules-only; no model is configured")
        return {"rules_only": ro, "prompt": prompt or config.prompt, "model": model}

    def extract_now(make_letter: Callable[[], Letter], opts: dict[str, Any]) -> tuple[Letter | None, Any]:
        """Runs on a worker thread: (letter, record) or (letter, exception)."""
        with state.lock:
            state.metrics.inflight += 1
            state.metrics.queued = max(0, state.pending - state.metrics.inflight)
        started = time.perf_counter()
        letter: Letter | None = None
        mode = "rules" if opts["rules_only"] else "model"
        try:
            letter = make_letter()
            if opts["rules_only"]:
                record = llm_extract.extract(letter, rules_only=True)
            else:
                settings = state.settings if not opts["model"] else config.model_settings(opts["model"])
                record = llm_extract.extract(letter, prompt=opts["prompt"], settings=settings)
            prov = record.provenance
            state.metrics.letter(mode=mode, outcome="ok", seconds=time.perf_counter() - started,
                                 prompt_tokens=prov.prompt_tokens, completion_tokens=prov.completion_tokens,
                                 model_calls=prov.model_calls)
            return letter, record
        except Exception as exc:
            usage = exc.usage if isinstance(exc, ExtractionError) else {}
            state.metrics.letter(mode=mode, outcome="failed", seconds=time.perf_counter() - started,
                                 error_type=type(exc).__name__,
                                 prompt_tokens=int(usage.get("prompt_tokens", 0) or 0),
                                 completion_tokens=int(usage.get("completion_tokens", 0) or 0))
            if isinstance(exc, ModelError) and letter is not None:
                # The deterministic pass alone, attached to the 502/504.
                try:
                    exc.rules_record = llm_extract.extract(letter, rules_only=True)  # type: ignore[attr-defined]
                except LlmExtractError:
                    exc.rules_record = None  # type: ignore[attr-defined]
            return letter, exc
        finally:
            with state.lock:
                state.metrics.inflight -= 1

    def raise_for(exc: BaseException, source: str | None) -> None:
        if isinstance(exc, InputError):
            raise ProblemError(422, "InputError", "Not a readable IMR letter", exc.message, source=source)
        if isinstance(exc, ExtractionError):
            rules = exc.rules_record if isinstance(exc.rules_record, IMRRecord) else None
            raise ProblemError(502, "ExtractionError", "The model's answer never validated", exc.message,
                               source=source, rules_record=rules)
        if isinstance(exc, ModelError):
            rules = getattr(exc, "rules_record", None)
            if _is_timeout(exc):
                raise ProblemError(504, "ModelError", "The model endpoint timed out", exc.message,
                                   source=source, rules_record=rules)
            raise ProblemError(502, "ModelError", "The model endpoint failed", exc.message,
                               source=source, rules_record=rules)
        if isinstance(exc, ConfigError):
            raise ProblemError(400, "ConfigError", "Unusable settings", exc.message, source=source)
        if isinstance(exc, LlmExtractError):
            raise ProblemError(422, type(exc).__name__, "Extraction failed", exc.message, source=source)
        raise exc

    async def run(make_letter: Callable[[], Letter], opts: dict[str, Any], source: str | None) -> tuple[Letter, IMRRecord]:
        loop = asyncio.get_running_loop()
        try:
            letter, result = await loop.run_in_executor(state.executor(), extract_now, make_letter, opts)
        finally:
            release()
        if isinstance(result, BaseException):
            raise_for(result, source)
        assert letter is not None
        return letter, result

    def letter_from_upload(data: bytes, suffix: str, name: str, keep: Path | None = None) -> Callable[[], Letter]:
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

    async def parse_letter_request(request: Request, *, keep: bool) -> tuple[Callable[[], Letter], dict[str, Any], str, str | None]:
        ctype = content_type(request)
        if ctype not in ("application/json", "multipart/form-data"):
            raise ProblemError(415, "UnsupportedMediaType", "Unsupported request type",
                               "send multipart/form-data with a file part, or application/json with text")
        reserve()
        try:
            body = await read_body(request)
            if ctype == "application/json" and keep:
                # The review page's other way in: a letter picked by name from --letters-dir.
                picked = _parse_json(ReviewLetter, body)
                opts = options(picked.rules_only, picked.prompt, picked.model)
                path, name = _allowed_letter(config, picked.letter)
                data = await asyncio.to_thread(_read_limited, path, config.max_upload_bytes)
                upload_id = hashlib.sha256(data).hexdigest() + path.suffix.lower()
                return (letter_from_upload(data, path.suffix.lower(), name, state.uploads / upload_id),
                        opts, name, upload_id)
            if ctype == "application/json":
                req = _parse_json(ExtractText, body)
                opts = options(req.rules_only, req.prompt, req.model)
                text = req.text

                def make() -> Letter:
                    if not text.strip():
                        raise InputError("the letter has no text", source="<text>")
                    return llm_extract.letter_from_text(text, source="<text>")
                return make, opts, "<text>", None
            try:
                form = await request.form(max_files=1, max_fields=10)
            except Exception:
                raise ProblemError(422, "ValidationError", "Invalid request", "the multipart body cannot be parsed") from None
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ProblemError(422, "ValidationError", "Invalid request", "a file part named 'file' is required")
            suffix = _suffix_of(upload)
            opts = options(_bool(form.get("rules_only"), "rules_only"), _text_field(form, "prompt", 100),
                           _text_field(form, "model", 200))
            data = await upload.read()
            name = _safe_name(upload.filename)
            upload_id = None
            keep_path = None
            if keep:
                upload_id = hashlib.sha256(data).hexdigest() + suffix
                keep_path = state.uploads / upload_id
            return letter_from_upload(data, suffix, name, keep_path), opts, name, upload_id
        except BaseException:
            release()
            raise

    # -- the page ------------------------------------------------------------------------
    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse(render_page(mode="server", title="IMR letter review", rules_only_server=config.rules_only,
                                        letters_dir=config.letters_dir is not None),
                            headers={"Content-Security-Policy": _PAGE_CSP, "X-Content-Type-Options": "nosniff"})

    problems = {c: {"model": Problem, "description": d} for c, d in {
        400: "Unusable options (e.g. a model asked of a rules-only server)", 401: "Missing or wrong bearer token",
        413: "Upload too large", 415: "Not a PDF, text, HTML or markdown letter",
        422: "Not an IMR letter, unreadable, or an invalid request", 429: "Queue full (see Retry-After)",
        502: "The model failed (rules_record attached)", 504: "The model timed out (rules_record attached)",
    }.items()}

    def only(*codes: int) -> dict[int | str, dict[str, Any]]:
        return {c: problems[c] for c in codes}

    letter_body = {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary", "description": "The letter (.pdf, .txt, .html, .md)."},
            "rules_only": {"type": "boolean"}, "prompt": {"type": "string", "maxLength": 100},
            "model": {"type": "string", "maxLength": 200}}}},
        "application/json": {"schema": {"$ref": "#/components/schemas/ExtractText"}}}}}

    # -- extraction ----------------------------------------------------------------------
    @app.post("/v1/extract", response_model=IMRRecord, dependencies=auth, tags=["extract"],
              openapi_extra=letter_body, responses=only(400, 401, 413, 415, 422, 429, 502, 504))
    async def extract_letter(request: Request) -> Any:
        """Extract one letter: a multipart upload (``file``) or JSON ``{"text": ...}``.

        Returns the IMR record, the same schema as the library's ``IMRRecord``.
        """
        make, opts, source, _ = await parse_letter_request(request, keep=False)
        _, record = await run(make, opts, source)
        return JSONResponse(record.model_dump(mode="json"))

    review_body = {"requestBody": {"required": True, "content": {
        "multipart/form-data": letter_body["requestBody"]["content"]["multipart/form-data"],
        "application/json": {"schema": {"$ref": "#/components/schemas/ReviewLetter"}}}}}
    letters_problems = {403: {"model": Problem, "description": "No --letters-dir, or a name outside it"},
                        404: {"model": Problem, "description": "No such letter under --letters-dir"}}

    @app.post("/v1/review", response_model=ReviewResult, dependencies=auth, tags=["review"],
              openapi_extra=review_body,
              responses={**only(400, 401, 413, 415, 422, 429, 502, 504), **letters_problems})
    async def review_letter(request: Request) -> Any:
        """Extract a letter for the review page: an upload (``file``), or JSON ``{"letter": name}``
        naming one that GET /v1/letters lists. Returns the record, the normalised text its
        evidence spans index, and an ``upload_id`` for saving the corrected record as a fixture."""
        make, opts, source, upload_id = await parse_letter_request(request, keep=True)
        letter, record = await run(make, opts, source)
        result = ReviewResult(upload_id=upload_id or "", source=source, text=letter.text, record=record)
        return JSONResponse(result.model_dump(mode="json"))

    @app.get("/v1/letters", response_model=LetterList, dependencies=auth, tags=["review"],
             responses={**only(401), 403: letters_problems[403]})
    async def list_letters() -> LetterList:
        """The letters under the server's ``--letters-dir`` that the review page may open by name."""
        if config.letters_dir is None:
            raise ProblemError(403, "Forbidden", "No letters folder", "start the server with --letters-dir")
        return await asyncio.to_thread(_list_letters, config.letters_dir)

    @app.post("/v1/fixtures", response_model=FixtureSaved, status_code=201, dependencies=auth, tags=["review"],
              responses={**only(401, 422), 403: {"model": Problem, "description": "No fixtures folder configured"},
                         404: {"model": Problem, "description": "Unknown upload"},
                         409: {"model": Problem, "description": "A fixture of that name or case number exists"}})
    async def save_fixture(body: FixtureSave) -> FixtureSaved:
        """Save a reviewed letter and its corrected record as a labelled fixture
        (``letters/<name>.<ext>`` and ``labels/<name>.json``, the layout ``llm-extract eval --fixtures`` reads)."""
        root = config.fixtures_dir
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
                               f"{exc.error_count()} error(s) against IMRRecord", errors=_errors(exc)) from None
        return await asyncio.to_thread(_write_fixture, root, body.name, upload, label, body.overwrite)

    # -- batches -------------------------------------------------------------------------
    batch_body = {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["files"], "properties": {
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "rules_only": {"type": "boolean"}, "prompt": {"type": "string", "maxLength": 100},
            "model": {"type": "string", "maxLength": 200}}}},
        "application/json": {"schema": {"$ref": "#/components/schemas/BatchFolder"}}}}}

    def status_of(job: dict[str, Any]) -> BatchStatus:
        counts = job.get("counts") or {}
        return BatchStatus(
            id=job["id"], state=job["state"], created=job["created"], finished=job.get("finished"),
            total=job.get("total"), handled=sum(int(counts.get(k, 0)) for k in ("done", "cached", "duplicate", "failed")),
            done=counts.get("done", 0), cached=counts.get("cached", 0), duplicate=counts.get("duplicate", 0),
            failed=counts.get("failed", 0), errors_by_type=job.get("errors_by_type") or {},
            rules_only=bool(job["options"].get("rules_only")), error=job.get("error"), totals=job.get("totals"))

    @app.post("/v1/batches", response_model=BatchStatus, status_code=202, dependencies=auth, tags=["batches"],
              openapi_extra=batch_body,
              responses={**only(400, 401, 413, 415, 422),
                         403: {"model": Problem, "description": "The folder is outside the allowed root"}})
    async def create_batch(request: Request) -> Any:
        """Start a batch job over uploaded ``files`` or a server-side ``folder`` under ``--batch-root``."""
        ctype = content_type(request)
        if ctype not in ("application/json", "multipart/form-data"):
            raise ProblemError(415, "UnsupportedMediaType", "Unsupported request type",
                               "send multipart/form-data with files, or application/json with a folder")
        body = await read_body(request)
        if ctype == "application/json":
            req = _parse_json(BatchFolder, body)
            opts = options(req.rules_only, req.prompt, req.model)
            folder = _allowed_folder(config, req.folder)
            job = await asyncio.to_thread(state.jobs.create, inputs=[str(folder)], options=opts)
        else:
            try:
                form = await request.form(max_files=10_000, max_fields=10)
            except Exception:
                raise ProblemError(422, "ValidationError", "Invalid request", "the multipart body cannot be parsed") from None
            uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
            if not uploads:
                raise ProblemError(422, "ValidationError", "Invalid request", "at least one file part named 'files' is required")
            files = []
            for up in uploads:
                suffix = _suffix_of(up)
                name = _safe_name(up.filename)
                if not name.lower().endswith(suffix):
                    name += suffix
                files.append((name, await up.read()))
            opts = options(_bool(form.get("rules_only"), "rules_only"), _text_field(form, "prompt", 100),
                           _text_field(form, "model", 200))
            job = await asyncio.to_thread(state.jobs.create, files=files, options=opts)
        return JSONResponse(status_of(job).model_dump(mode="json"), status_code=202,
                            headers={"Location": f"/v1/batches/{job['id']}"})

    @app.get("/v1/batches", response_model=BatchList, dependencies=auth, tags=["batches"], responses=only(401))
    async def list_batches() -> BatchList:
        """Every batch job this server's data folder holds, newest first."""
        jobs = await asyncio.to_thread(state.jobs.list)
        return BatchList(batches=[status_of(j) for j in jobs])

    def job_or_404(batch_id: str) -> dict[str, Any]:
        import re

        job = state.jobs.get(batch_id) if re.match(JOB_ID, batch_id) else None
        if job is None:
            raise ProblemError(404, "NotFound", "No such batch")
        return job

    not_found = {404: {"model": Problem, "description": "No such batch"}}

    @app.get("/v1/batches/{batch_id}", response_model=BatchStatus, dependencies=auth, tags=["batches"],
             responses={**only(401), **not_found})
    async def get_batch(batch_id: str) -> BatchStatus:
        """A job's state and counts (done, cached, duplicate, failed) and, once written, the folder's totals."""
        return status_of(await asyncio.to_thread(job_or_404, batch_id))

    @app.get("/v1/batches/{batch_id}/records", dependencies=auth, tags=["batches"],
             responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                              "description": "records.jsonl as written so far"}, **only(401), **not_found})
    async def batch_records(batch_id: str) -> Response:
        """The job's ``records.jsonl`` (one line per finished letter; see the README's batch section)."""
        job_or_404(batch_id)
        path = state.jobs.out_dir(batch_id) / "records.jsonl"
        if not path.is_file():
            return Response(b"", media_type="application/x-ndjson")
        return FileResponse(path, media_type="application/x-ndjson")

    @app.get("/v1/batches/{batch_id}/items.csv", dependencies=auth, tags=["batches"],
             responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                              "description": "One row per disputed item"},
                        **only(401), **not_found, 409: {"model": Problem, "description": "Not written yet"}})
    async def batch_items(batch_id: str) -> Response:
        """The job's ``items.csv``, written when a run of the job ends."""
        job_or_404(batch_id)
        path = state.jobs.out_dir(batch_id) / "items.csv"
        if not path.is_file():
            raise ProblemError(409, "NotReady", "items.csv is not written yet", "it is written when the job finishes")
        return FileResponse(path, media_type="text/csv; charset=utf-8")

    # -- operations ----------------------------------------------------------------------
    @app.get("/healthz", response_model=Health, tags=["operations"])
    async def healthz() -> Health:
        """The process is up."""
        return Health(version=llm_extract.__version__)

    @app.get("/readyz", response_model=Ready, tags=["operations"],
             responses={503: {"model": Problem, "description": "The model endpoint does not answer"}})
    async def readyz() -> Any:
        """Ready for letters: always in rules-only mode; else the model endpoint's /models answers."""
        if config.rules_only:
            return Ready(ready=True, mode="rules-only", detail="deterministic pass only")
        settings = state.settings
        assert settings is not None
        if settings.base_url is None:
            if importlib.util.find_spec("llama_cpp") is None:
                raise ProblemError(503, "NotReady", "Not ready",
                                   "no endpoint configured and the embedded model is not installed ([local] extra)")
            return Ready(ready=True, mode="embedded", detail="the embedded model starts on the first model request")
        ok, detail = await asyncio.to_thread(_probe_models, settings.base_url, settings.api_key)
        if not ok:
            raise ProblemError(503, "NotReady", "Not ready", detail)
        return Ready(ready=True, mode="endpoint", detail=detail)

    @app.get("/metrics", dependencies=auth, tags=["operations"], response_class=PlainTextResponse,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text format 0.0.4"}, **only(401)})
    async def metrics() -> PlainTextResponse:
        """Letters, failures by type, the latency histogram, tokens, queue (Prometheus text)."""
        return PlainTextResponse(state.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ExtractText, BatchFolder, ReviewLetter, Problem):
            extra = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in extra.pop("$defs", {}).items():
                comps.setdefault(name, sub)
            comps.setdefault(model.__name__, extra)
        for path in schema.get("paths", {}).values():
            for op in path.values():
                for code, resp in op.get("responses", {}).items():
                    if code.isdigit() and int(code) >= 400:
                        resp["content"] = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for unused in ("HTTPValidationError", "ValidationError"):
            comps.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _allowed_folder(config: ServeConfig, folder: str) -> Path:
    root = config.batch_root
    if root is None:
        raise ProblemError(403, "Forbidden", "Server-side folders are not allowed",
                           "start the server with --batch-root (or LLM_EXTRACT_BATCH_ROOT) to allow them")
    if "\x00" in folder:
        raise ProblemError(422, "ValidationError", "Invalid request", "folder must not contain NUL")
    path = Path(folder)
    resolved = (path if path.is_absolute() else root / path).resolve()
    if resolved != root and root not in resolved.parents:
        raise ProblemError(403, "Forbidden", "Folder outside the allowed root", "the folder must be under --batch-root")
    if not resolved.is_dir():
        raise ProblemError(422, "InputError", "No such folder", "the folder does not exist under --batch-root")
    return resolved


def _list_letters(root: Path) -> LetterList:
    """Letter files under ``root`` (hidden ones skipped, symbolic links not followed out of it)."""
    found: list[LetterFile] = []
    truncated = False
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fname in sorted(filenames):
            suffix = Path(fname).suffix.lower()
            if fname.startswith(".") or suffix not in _KINDS:
                continue
            path = Path(dirpath) / fname
            try:
                resolved = path.resolve()
                if root not in resolved.parents or not resolved.is_file():
                    continue
                size = resolved.stat().st_size
            except OSError:
                continue
            if len(found) >= MAX_LISTED:
                truncated = True
                break
            found.append(LetterFile(name=path.relative_to(root).as_posix(), size=size, kind=_KINDS[suffix]))
        if truncated:
            break
    found.sort(key=lambda f: f.name)
    return LetterList(letters=found, truncated=truncated)


def _allowed_letter(config: ServeConfig, name: str) -> tuple[Path, str]:
    """The file ``name`` (relative to --letters-dir) names, and its name; never a path outside it."""
    root = config.letters_dir
    if root is None:
        raise ProblemError(403, "Forbidden", "No letters folder", "start the server with --letters-dir")
    parts = name.replace("\\", "/").split("/")
    if ("\x00" in name or name.startswith("/") or any(p in ("", ".", "..") for p in parts)
            or Path(name).is_absolute() or ":" in parts[0]):
        raise ProblemError(403, "Forbidden", "Not a letter name",
                           "name a letter as GET /v1/letters lists it (relative to --letters-dir)")
    path = root.joinpath(*parts)
    if path.suffix.lower() not in _KINDS:
        raise ProblemError(415, "UnsupportedMediaType", "Unsupported letter type",
                           f"a letter must be one of {', '.join(LETTER_SUFFIXES)}")
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):
        raise ProblemError(404, "NotFound", "No such letter", "no such letter under --letters-dir") from None
    if root not in resolved.parents:  # a symbolic link out of the folder
        raise ProblemError(403, "Forbidden", "Letter outside the letters folder", "the letter must be under --letters-dir")
    if any(p.startswith(".") for p in parts) or not resolved.is_file():
        raise ProblemError(404, "NotFound", "No such letter", "no such letter under --letters-dir")
    return resolved, "/".join(parts)


def _read_limited(path: Path, limit: int) -> bytes:
    try:
        if path.stat().st_size > limit:
            raise ProblemError(413, "PayloadTooLarge", "Letter too large", f"the limit is {limit:,} bytes")
        return path.read_bytes()
    except OSError:
        raise ProblemError(404, "NotFound", "No such letter", "the letter could not be read") from None


def _prune(folder: Path, max_age: float) -> None:
    """Drop review uploads older than ``max_age`` seconds (letters are health information)."""
    cutoff = time.time() - max_age
    for path in folder.glob("*"):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()


def _probe_models(base_url: str, api_key: str | None) -> tuple[bool, str]:
    req = urllib.request.Request(base_url.rstrip("/") + "/models")
    if api_key:
        req.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(req, timeout=3) as resp:  # noqa: S310 - the operator's endpoint
            return 200 <= resp.status < 300, f"{base_url}/models answered HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        return False, f"{base_url}/models answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"{base_url}/models did not answer ({type(exc).__name__})"


def _write_fixture(root: Path, name: str, upload: Path, label: IMRRecord, overwrite: bool) -> FixtureSaved:
    letters, labels = root / "letters", root / "labels"
    letters.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    label_path = labels / f"{name}.json"
    others = [p for p in letters.iterdir() if p.stem == name]
    if not overwrite and (label_path.exists() or others):
        raise ProblemError(409, "Conflict", "A fixture of that name exists", "choose another name or set overwrite")
    if label.case_number:
        for path in labels.glob("*.json"):
            if path.stem == name:
                continue
            try:
                other = json.loads(path.read_text(encoding="utf-8")).get("case_number")
            except (OSError, ValueError, AttributeError):
                continue
            if other == label.case_number:
                raise ProblemError(409, "Conflict", "That letter is already a fixture",
                                   f"{path.name} labels case {label.case_number}")
    for p in others:
        p.unlink()
    letter_path = letters / f"{name}{upload.suffix}"
    letter_path.write_bytes(upload.read_bytes())
    data = label.model_dump(mode="json", exclude={"evidence": True, "warnings": True, "provenance": True,
                                                  "items": {"__all__": {"evidence"}}})
    tmp = label_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, label_path)
    return FixtureSaved(name=name, letter=f"letters/{letter_path.name}", label=f"labels/{label_path.name}")
