"""Admin routes of the knowledge page (role ``admin``, 2FA done): counts per source and
collection, documents by update time, and re-running an ingestion job."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status

from lumen.admin.knowledge.deps import KnowledgeAdminDep
from lumen.admin.knowledge.repository import DocumentFilter
from lumen.admin.knowledge.schemas import KnowledgeSummary
from lumen.deps import AdminUser, ClientDep, Offset
from lumen.jobs.schemas import JobOut
from lumen.knowledge.uploads.schemas import (
    AdminDocumentList,
    AdminDocumentOut,
    CollectionName,
    SourceName,
)
from lumen.problems import problem_responses

router = APIRouter(
    prefix="/api/v1/admin/knowledge", tags=["admin"], responses=problem_responses(401, 403)
)


@router.get("/summary")
async def knowledge_summary(admin: AdminUser, knowledge: KnowledgeAdminDep) -> KnowledgeSummary:
    """Documents and chunks per source and per collection (with documents still indexing and
    the newest update), and the totals."""
    return await knowledge.summary()


@router.get("/documents")
async def search_documents(
    admin: AdminUser,
    knowledge: KnowledgeAdminDep,
    collection: CollectionName | None = None,
    source: SourceName | None = None,
    q: Annotated[str, Query(max_length=200, description="Words of the title or id")] = "",
    updated_from: Annotated[
        datetime | None, Query(description="Updated at or after (ISO 8601; UTC if no offset)")
    ] = None,
    updated_until: Annotated[
        datetime | None, Query(description="Updated before (ISO 8601; UTC if no offset)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> AdminDocumentList:
    """Documents of every source, most recently updated first, filtered by collection, source,
    words of the title or id (case-insensitive) and when they were last updated. 422 (field
    ``updated_until``) for a range that ends before it starts."""
    where = DocumentFilter(collection, source, q, updated_from, updated_until)
    rows, total = await knowledge.search(where, limit, offset)
    return AdminDocumentList(items=[AdminDocumentOut.of(row) for row in rows], total=total)


@router.post(
    "/jobs/{job_id}/rerun",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(404, 409, 503),
)
async def rerun_job(
    job_id: uuid.UUID, admin: AdminUser, knowledge: KnowledgeAdminDep, client: ClientDep
) -> JobOut:
    """Re-ingest a source: queue a new job of a finished ingestion job's kind on the same
    source (the path or URL the operator gave it; unchanged documents are skipped). Audited as
    ``ingestion.submit``. 404 for an unknown job, 409 while it is queued or running, 422 for
    an upload's job, 503 when the audit log cannot record it (nothing is queued)."""
    job = await knowledge.rerun(admin, client, job_id)
    return JobOut.model_validate(job, from_attributes=True)
