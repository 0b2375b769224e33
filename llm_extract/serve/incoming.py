"""What a POST sent, read once: its content type, its body (within the size limit), its form,
and the extraction options in it (JSON fields or form fields, checked the same way)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from .config import ServeConfig
from .jobs import LETTER_SUFFIXES
from .problems import ProblemError, invalid

__all__ = ["JSON", "MULTIPART", "Options", "body_kind", "read_body", "read_form", "options_of",
           "suffix_of", "safe_name"]

JSON, MULTIPART = "application/json", "multipart/form-data"
_CONTENT_TYPES = {"application/pdf": ".pdf", "text/plain": ".txt", "text/html": ".html",
                  "text/markdown": ".md", "text/x-markdown": ".md"}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Options:
    """How to extract: the request's choices over the server's defaults."""

    rules_only: bool
    prompt: str
    model: str | None

    def as_dict(self) -> dict[str, Any]:
        """The options as a batch job stores them (``JobManager.create(options=...)``)."""
        return asdict(self)


def body_kind(request: Request, refusal: str) -> str:
    """The request's content type, :data:`JSON` or :data:`MULTIPART`; else 415 with ``refusal``
    (what to send instead)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in (JSON, MULTIPART):
        raise ProblemError(415, "UnsupportedMediaType", "Unsupported request type", refusal)
    return ctype


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to pass ``limit`` bytes."""
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


async def read_form(request: Request, max_files: int) -> FormData:
    """The multipart form of a body already read by :func:`read_body`."""
    try:
        return await request.form(max_files=max_files, max_fields=10)
    except Exception:
        raise invalid("the multipart body cannot be parsed") from None


def options_of(config: ServeConfig, sent: Any) -> Options:
    """The options in ``sent``: a multipart form (fields ``rules_only``, ``prompt``, ``model``)
    or a JSON request model with those attributes. 400 when a rules-only server is asked for
    the model."""
    if isinstance(sent, FormData):
        rules_only = _bool(sent.get("rules_only"), "rules_only")
        prompt, model = _text_field(sent, "prompt", 100), _text_field(sent, "model", 200)
    else:
        rules_only, prompt, model = sent.rules_only, sent.prompt, sent.model
    ro = config.rules_only if rules_only is None else rules_only
    if config.rules_only and not ro:
        raise ProblemError(400, "ConfigError", "This server runs rules-only",
                           "the server was started with --rules-only; no model is configured")
    return Options(rules_only=ro, prompt=prompt or config.prompt, model=model)


def _bool(value: Any, name: str) -> bool | None:
    if value is None or value == "":
        return None
    v = str(value).strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise invalid(f"{name} must be true or false")


def _text_field(form: FormData, name: str, limit: int) -> str | None:
    value = form.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise invalid(f"{name} must be a string of at most {limit} characters")
    return value


def suffix_of(upload: UploadFile) -> str:
    """The letter's suffix, by its file name, else by its content type; else 415."""
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix in LETTER_SUFFIXES:
        return suffix
    ctype = (upload.content_type or "").split(";")[0].strip().lower()
    if ctype in _CONTENT_TYPES:
        return _CONTENT_TYPES[ctype]
    raise ProblemError(415, "UnsupportedMediaType", "Unsupported letter type",
                       f"a letter must be one of {', '.join(LETTER_SUFFIXES)} (by file name or content type)")


def safe_name(name: str | None) -> str:
    """An uploaded file's name without folders or unusual characters."""
    base = Path(name or "upload").name
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in base)[:120] or "upload"
