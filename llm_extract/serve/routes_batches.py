"""Batch jobs: POST /v1/batches (uploads or a --batch-root folder), their status, records and items."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.datastructures import UploadFile

from .files import allowed_folder
from .incoming import JSON, body_kind, options_of, read_body, read_form, safe_name, suffix_of
from .jobs import JOB_ID
from .problems import BATCH_NOT_FOUND, ProblemError, invalid, only, parse_json
from .schemas import BatchFolder, BatchList, BatchStatus, Problem
from .state import AUTH, AppState, State

__all__ = ["router"]

router = APIRouter()

_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["files"], "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "rules_only": {"type": "boolean"}, "prompt": {"type": "string", "maxLength": 100},
        "model": {"type": "string", "maxLength": 200}}}},
    "application/json": {"schema": {"$ref": "#/components/schemas/BatchFolder"}}}}}


def _status_of(job: dict[str, Any]) -> BatchStatus:
    counts = job.get("counts") or {}
    return BatchStatus(
        id=job["id"], state=job["state"], created=job["created"], finished=job.get("finished"),
        total=job.get("total"), handled=sum(int(counts.get(k, 0)) for k in ("done", "cached", "duplicate", "failed")),
        done=counts.get("done", 0), cached=counts.get("cached", 0), duplicate=counts.get("duplicate", 0),
        failed=counts.get("failed", 0), errors_by_type=job.get("errors_by_type") or {},
        rules_only=bool(job["options"].get("rules_only")), error=job.get("error"), totals=job.get("totals"))


def _job_or_404(state: AppState, batch_id: str) -> dict[str, Any]:
    job = state.jobs.get(batch_id) if re.match(JOB_ID, batch_id) else None
    if job is None:
        raise ProblemError(404, "NotFound", "No such batch")
    return job


@router.post("/v1/batches", response_model=BatchStatus, status_code=202, dependencies=AUTH, tags=["batches"],
             openapi_extra=_BODY,
             responses={**only(400, 401, 413, 415, 422),
                        403: {"model": Problem, "description": "The folder is outside the allowed root"}})
async def create_batch(request: Request, state: State) -> Any:
    """Start a batch job over uploaded ``files`` or a server-side ``folder`` under ``--batch-root``."""
    ctype = body_kind(request, "send multipart/form-data with files, or application/json with a folder")
    config = state.config
    body = await read_body(request, config.max_upload_bytes)
    if ctype == JSON:
        req = parse_json(BatchFolder, body)
        opts = options_of(config, req)
        folder = allowed_folder(config, req.folder)
        job = await asyncio.to_thread(state.jobs.create, inputs=[str(folder)], options=opts.as_dict())
    else:
        form = await read_form(request, max_files=10_000)
        uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        if not uploads:
            raise invalid("at least one file part named 'files' is required")
        files = []
        for up in uploads:
            suffix = suffix_of(up)
            name = safe_name(up.filename)
            if not name.lower().endswith(suffix):
                name += suffix
            files.append((name, await up.read()))
        opts = options_of(config, form)
        job = await asyncio.to_thread(state.jobs.create, files=files, options=opts.as_dict())
    return JSONResponse(_status_of(job).model_dump(mode="json"), status_code=202,
                        headers={"Location": f"/v1/batches/{job['id']}"})


@router.get("/v1/batches", response_model=BatchList, dependencies=AUTH, tags=["batches"], responses=only(401))
async def list_batches(state: State) -> BatchList:
    """Every batch job this server's data folder holds, newest first."""
    jobs = await asyncio.to_thread(state.jobs.list)
    return BatchList(batches=[_status_of(j) for j in jobs])


@router.get("/v1/batches/{batch_id}", response_model=BatchStatus, dependencies=AUTH, tags=["batches"],
            responses={**only(401), **BATCH_NOT_FOUND})
async def get_batch(batch_id: str, state: State) -> BatchStatus:
    """A job's state and counts (done, cached, duplicate, failed) and, once written, the folder's totals."""
    return _status_of(await asyncio.to_thread(_job_or_404, state, batch_id))


@router.get("/v1/batches/{batch_id}/records", dependencies=AUTH, tags=["batches"],
            responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                             "description": "records.jsonl as written so far"}, **only(401), **BATCH_NOT_FOUND})
async def batch_records(batch_id: str, state: State) -> Response:
    """The job's ``records.jsonl`` (one line per finished letter; see the README's batch section)."""
    _job_or_404(state, batch_id)
    path = state.jobs.out_dir(batch_id) / "records.jsonl"
    if not path.is_file():
        return Response(b"", media_type="application/x-ndjson")
    return FileResponse(path, media_type="application/x-ndjson")


@router.get("/v1/batches/{batch_id}/items.csv", dependencies=AUTH, tags=["batches"],
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "One row per disputed item"},
                       **only(401), **BATCH_NOT_FOUND, 409: {"model": Problem, "description": "Not written yet"}})
async def batch_items(batch_id: str, state: State) -> Response:
    """The job's ``items.csv``, written when a run of the job ends."""
    _job_or_404(state, batch_id)
    path = state.jobs.out_dir(batch_id) / "items.csv"
    if not path.is_file():
        raise ProblemError(409, "NotReady", "items.csv is not written yet", "it is written when the job finishes")
    return FileResponse(path, media_type="text/csv; charset=utf-8")
