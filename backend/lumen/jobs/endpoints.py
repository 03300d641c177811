"""Job routes: ingestion progress, and submission by the local ``lumen`` CLI.

Progress is readable by every signed-in user (the web app's loading banner). Submitting a job
reads server-side paths and URLs, so it is allowed only from the loopback interface with the
operator token that ``lumen serve`` writes to ``<data_dir>/server.json`` (mode 0600).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel
from sqlmodel import col, select

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent
from lumen.auth.operator import is_operator
from lumen.auth.principal import Principal
from lumen.deps import ClientDep, RuntimeDep, reader
from lumen.jobs.models import Job
from lumen.knowledge.tasks import INGEST_MEDQUAD, INGEST_SPL
from lumen.problems import Forbidden, InvalidInput, NotFound

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
# Any signed-in user, and the local operator (``lumen ingest`` follows its job); no API token.
JobReader = Annotated[Principal, Depends(reader("jobs"))]


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
async def list_jobs(runtime: RuntimeDep, caller: JobReader) -> JobList:
    """Recent jobs with progress, newest first."""
    async with runtime.db.async_session() as session:
        rows = (
            await session.exec(select(Job).order_by(col(Job.created_at).desc()).limit(50))
        ).all()
    return JobList(items=[JobOut.model_validate(row, from_attributes=True) for row in rows])


@router.get("/{job_id}")
async def get_job(job_id: uuid.UUID, runtime: RuntimeDep, caller: JobReader) -> JobOut:
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
    client_info: ClientDep,
) -> JobOut:
    """Queue an ingestion on this server's worker (how ``lumen ingest`` reaches a running
    server that holds the embedded index). 403 unless from loopback with the operator token;
    422 for an unknown kind."""
    if not is_operator(request):
        raise Forbidden("Jobs are submitted by the local operator only.")
    if body.kind not in (INGEST_MEDQUAD, INGEST_SPL):
        raise InvalidInput(f"Unknown job kind {body.kind!r}.")
    assert runtime.worker is not None
    actor = AuditEvent(
        AuditAction.INGESTION_SUBMIT, actor_role="operator", ip=client_info.ip,
        user_agent=client_info.user_agent,
    )  # fmt: skip
    job = runtime.worker.submit(body.kind, body.source, actor=actor)
    return JobOut.model_validate(job, from_attributes=True)
