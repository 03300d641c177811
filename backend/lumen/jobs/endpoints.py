"""Job routes: ingestion progress, and submission by the local ``lumen`` CLI.

Progress is readable by every signed-in user (the web app's loading banner). Submitting a job
reads server-side paths and URLs, so it is allowed only from the loopback interface with the
operator token that ``lumen serve`` writes to ``<data_dir>/server.json`` (mode 0600).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent
from lumen.auth.operator import is_operator
from lumen.auth.roles import Role
from lumen.deps import ClientDep
from lumen.jobs.deps import JobAdmin, JobReader, JobsDep
from lumen.jobs.schemas import JobCreate, JobList, JobOut
from lumen.problems import Forbidden, problem_responses

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get("", responses=problem_responses(401, 403))
async def list_jobs(jobs: JobsDep, caller: JobReader) -> JobList:
    """Recent jobs with progress, newest first."""
    return JobList(
        items=[JobOut.model_validate(row, from_attributes=True) for row in await jobs.recent()]
    )


@router.get("/{job_id}", responses=problem_responses(401, 403, 404))
async def get_job(job_id: uuid.UUID, jobs: JobsDep, caller: JobReader) -> JobOut:
    """One job: an ingestion, or the caller's own export. 404 if unknown or another user's."""
    job = await jobs.get(job_id, owner_id=caller.user_id)
    return JobOut.model_validate(job, from_attributes=True)


@router.post("/{job_id}/cancel", responses=problem_responses(401, 403, 404, 503))
async def cancel_job(
    job_id: uuid.UUID, jobs: JobsDep, caller: JobAdmin, client_info: ClientDep
) -> JobOut:
    """Ask an ingestion job to stop between batches (admins and the local operator): the batch
    running now finishes, the job then ends ``cancelled``; a finished job is returned as it
    is. Audited as ``job.cancel``. 404 for an unknown job or a user's own job; 503 when the
    audit log cannot record the request (nothing is cancelled)."""
    if caller.role != Role.ADMIN:
        raise Forbidden("Jobs are cancelled by admins only.", code="role")
    actor = AuditEvent(
        AuditAction.JOB_CANCEL, actor_id=str(caller.user_id), actor_role=caller.role,
        ip=client_info.ip, user_agent=client_info.user_agent,
    )  # fmt: skip
    return JobOut.model_validate(await jobs.cancel(job_id, actor), from_attributes=True)


@router.post("", status_code=status.HTTP_202_ACCEPTED, responses=problem_responses(503))
async def submit_job(
    body: JobCreate, request: Request, jobs: JobsDep, client_info: ClientDep
) -> JobOut:
    """Queue an ingestion on this server's worker (how ``lumen ingest`` reaches a running
    server that holds the embedded index). 403 unless from loopback with the operator token;
    422 for an unknown kind; 503 when the audit log cannot record the submission."""
    if not is_operator(request):
        raise Forbidden("Jobs are submitted by the local operator only.")
    actor = AuditEvent(
        AuditAction.INGESTION_SUBMIT, actor_role="operator", ip=client_info.ip,
        user_agent=client_info.user_agent,
    )  # fmt: skip
    job = await jobs.submit(body.kind, body.source, actor)
    return JobOut.model_validate(job, from_attributes=True)
