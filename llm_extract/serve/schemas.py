"""The pydantic models of the HTTP API; the OpenAPI document is generated from them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llm_extract import IMRRecord

__all__ = [
    "ExtractText", "Problem", "BatchFolder", "BatchStatus", "BatchList", "Health", "Ready",
    "ReviewResult", "ReviewLetter", "FixtureSave", "FixtureSaved", "LetterFile", "LetterList", "PROBLEM_JSON",
]

PROBLEM_JSON = "application/problem+json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExtractText(_Strict):
    """A letter given as its text (PDF text, HTML or markdown)."""

    text: str = Field(description="The letter's text.", max_length=1_000_000)
    rules_only: bool | None = Field(default=None, description="Deterministic pass only (default: the server's mode).")
    prompt: str | None = Field(default=None, max_length=100, description="Prompt name or name@version.")
    model: str | None = Field(default=None, max_length=200, description="Model name at the configured endpoint.")


class Problem(BaseModel):
    """An error, as RFC 9457 ``application/problem+json``; ``error_type`` names the error class."""

    type: str = Field(description="A URI naming the error type.")
    title: str
    status: int
    detail: str = ""
    error_type: str = Field(description="InputError, ModelError, ExtractionError, ConfigError, ...")
    source: str | None = Field(default=None, description="The letter the error is about (upload name).")
    rules_record: IMRRecord | None = Field(
        default=None, description="The rules-only record, when the model failed after the deterministic pass.")
    errors: list[dict[str, Any]] | None = Field(default=None, description="Validation errors (no input values).")


class BatchFolder(_Strict):
    """A batch over a server-side folder under the operator's allowed root."""

    folder: str = Field(description="A folder under the server's --batch-root (relative to it or absolute).")
    rules_only: bool | None = None
    prompt: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=200)


class BatchStatus(BaseModel):
    id: str
    state: Literal["queued", "running", "finished", "failed"]
    created: str
    finished: str | None = None
    total: int | None = Field(default=None, description="Letters the inputs expand to.")
    handled: int = Field(description="Letters with an outcome so far (done, cached, duplicate, failed).")
    done: int = 0
    cached: int = 0
    duplicate: int = 0
    failed: int = 0
    errors_by_type: dict[str, int] = Field(default_factory=dict)
    rules_only: bool
    error: str | None = Field(default=None, description="Why the job stopped, when it failed as a whole.")
    totals: dict[str, Any] | None = Field(default=None, description="summary.json's folder totals, once written.")


class BatchList(BaseModel):
    batches: list[BatchStatus]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Ready(BaseModel):
    ready: bool
    mode: Literal["rules-only", "endpoint", "embedded"]
    detail: str = ""


class ReviewResult(BaseModel):
    """What the review page shows: the record and the normalised text its spans point into."""

    upload_id: str = Field(description="Names the kept upload, for saving it as a fixture.")
    source: str
    text: str
    record: IMRRecord


class ReviewLetter(_Strict):
    """A letter picked by name from the server's ``--letters-dir`` (see GET /v1/letters)."""

    letter: str = Field(min_length=1, max_length=1000,
                        description="A name GET /v1/letters lists: a path relative to --letters-dir, '/'-separated.")
    rules_only: bool | None = Field(default=None, description="Deterministic pass only (default: the server's mode).")
    prompt: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=200)


class LetterFile(BaseModel):
    name: str = Field(description="Relative to --letters-dir; what POST /v1/review takes as 'letter'.")
    size: int
    kind: str = Field(description="pdf, text, html or markdown")


class LetterList(BaseModel):
    """The letters under the server's ``--letters-dir`` (at most ``limit``, by name)."""

    letters: list[LetterFile]
    truncated: bool = False


class FixtureSave(_Strict):
    upload_id: str = Field(pattern=r"^[0-9a-f]{64}\.[a-z]{2,8}$")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
                      description="The fixture's name: letters/<name>.<ext> and labels/<name>.json.")
    record: dict[str, Any] = Field(description="The corrected record; validated against IMRRecord.")
    overwrite: bool = False


class FixtureSaved(BaseModel):
    name: str
    letter: str
    label: str
