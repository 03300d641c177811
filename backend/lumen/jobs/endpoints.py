"""Job routes: ingestion progress, and local submission by the ``lumen`` CLI.

Until accounts and roles arrive, submitting a job is allowed only from the loopback interface
with the operator token that ``lumen serve`` writes to ``<data_dir>/server.json`` (mode 0600):
a job reads server-side paths and URLs, so it must never be open to any browser.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Request, status
from pydantic import BaseModel
from sqlmodel import col, select

from lumen.deps import RuntimeDep
from lumen.jobs.models import Job
from lumen.knowledge.tasks import INGEST_MEDQUAD, INGEST_SPL
from lumen.problems import InvalidInput, NotFound, Problem

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
LOOPBACK = {"127.0.0.1", "::1"}


class Forbidden(Problem):
    """The caller may not do this."""

    status = 403
    title = "Forbidden"


class JobOut(BaseModel):
    """A job and its progress (``done`` of ``total`` ``unit``)."""

    id: uuid.UUID
    kind: str
    status: str
    done: int
    total: int | None
    unit: str
    failed_items: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobList(BaseModel):
    """``GET /jobs``: newest first."""

    items: list[JobOut]


class JobCreate(BaseModel):
    """Body of ``POST /jobs``: an ingestion of ``source`` (a server-side path or a URL)."""

    kind: str
    source: str


@router.get("")
async def list_jobs(runtime: RuntimeDep) -> JobList:
    """Recent jobs with progress, newest first."""
    async with runtime.db.async_session() as session:
        rows = (
            await session.exec(select(Job).order_by(col(Job.created_at).desc()).limit(50))
        ).all()
    return JobList(items=[JobOut.model_validate(row, from_attributes=True) for row in rows])


@router.get("/{job_id}")
async def get_job(job_id: uuid.UUID, runtime: RuntimeDep) -> JobOut:
    """One job. 404 if unknown."""
    async with runtime.db.async_session() as session:
        row = await session.get(Job, job_id)
    if row is None:
        raise NotFound(f"No job {job_id}.")
    return JobOut.model_validate(row, from_attributes=True)


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def submit_job(
    body: JobCreate,
    request: Request,
    runtime: RuntimeDep,
    x_lumen_operator_token: Annotated[str | None, Header()] = None,
) -> JobOut:
    """Queue an ingestion on this server's worker (how ``lumen ingest`` reaches a running
    server that holds the embedded index). 403 unless from loopback with the operator token;
    422 for an unknown kind."""
    client = request.client.host if request.client else ""
    expected = request.app.state.operator_token
    if (
        client not in LOOPBACK
        or not x_lumen_operator_token
        or not secrets.compare_digest(x_lumen_operator_token, expected)
    ):
        raise Forbidden("Jobs are submitted by the local operator only.")
    if body.kind not in (INGEST_MEDQUAD, INGEST_SPL):
        raise InvalidInput(f"Unknown job kind {body.kind!r}.")
    assert runtime.worker is not None
    job = runtime.worker.submit(body.kind, body.source)
    return JobOut.model_validate(job, from_attributes=True)
