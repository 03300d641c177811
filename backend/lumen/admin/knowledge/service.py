"""What the admin knowledge page asks beyond uploads: counts per source and collection,
documents by update time, and re-running an ingestion.

Re-running takes a finished job's kind and source as the operator gave them (a server-side
path or URL, chosen with ``lumen ingest``), so an admin's browser never names a path on the
server: ``POST /api/v1/jobs`` stays the local operator's. Re-ingesting writes only what
changed (the ingestor skips an unchanged version) and replaces changed documents without a gap.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from lumen.admin.knowledge.repository import DocumentFilter, KnowledgeAdminRepository
from lumen.admin.knowledge.schemas import KnowledgeCount, KnowledgeSummary
from lumen.audit.actions import AuditAction
from lumen.auth.principal import ClientInfo, Principal
from lumen.db import Database
from lumen.jobs.models import Job
from lumen.jobs.service import JobService
from lumen.knowledge.models import Document
from lumen.problems import Conflict, InvalidInput

UNFINISHED = ("queued", "running")
# An upload's job reads files stored for that one request: once they are indexed, running it
# again does nothing (upload the file again for a new version).
NOT_RERUNNABLE = ("ingest_upload",)


def as_utc(moment: datetime | None) -> datetime | None:
    """``moment`` in UTC; a time without an offset is taken as UTC already."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class KnowledgeAdmin:
    """Counts, dated document search and re-ingestion for administrators."""

    def __init__(self, db: Database, jobs: JobService) -> None:
        self._db = db
        self._jobs = jobs

    async def summary(self) -> KnowledgeSummary:
        """Documents and chunks per source and per collection, and in all."""
        async with self._db.async_session() as session:
            repository = KnowledgeAdminRepository(session)
            sources = await repository.counts_by("source")
            collections = await repository.counts_by("collection")
        return KnowledgeSummary(
            sources=[KnowledgeCount.model_validate(row, from_attributes=True) for row in sources],
            collections=[
                KnowledgeCount.model_validate(row, from_attributes=True) for row in collections
            ],
            documents=sum(row.documents for row in sources),
            chunks=sum(row.chunks for row in sources),
        )

    async def search(
        self, where: DocumentFilter, limit: int, offset: int
    ) -> tuple[Sequence[Document], int]:
        """A page of documents matching ``where`` and their total. Raises ``InvalidInput``
        (field ``updated_until``) when the range ends before it starts."""
        start, end = as_utc(where.updated_from), as_utc(where.updated_until)
        if start is not None and end is not None and end <= start:
            raise InvalidInput(
                "The end of the date range must come after its start.", field="updated_until"
            )
        dated = DocumentFilter(where.collection, where.source, where.q, start, end)
        async with self._db.async_session() as session:
            return await KnowledgeAdminRepository(session).search(dated, limit, offset)

    async def rerun(self, admin: Principal, client: ClientInfo, job_id: uuid.UUID) -> Job:
        """Queue a new job of a finished ingestion job's kind on its source, audited as
        ``ingestion.submit`` (object: the job it repeats) in the new job's transaction.
        Raises ``NotFound`` for an unknown job or a user's own (an export), ``InvalidInput``
        for an upload's job, ``Conflict`` while the job is still queued or running, and
        ``AuditUnavailable`` when the submission cannot be audited (nothing is queued)."""
        job = await self._jobs.get(job_id)
        if job.kind in NOT_RERUNNABLE:
            raise InvalidInput(
                "An upload's job cannot run again; upload the file again for a new version."
            )
        if job.status in UNFINISHED:
            raise Conflict("This job has not finished yet; cancel it or wait for it to end.")
        actor = admin.audit_event(AuditAction.INGESTION_SUBMIT, client, "job", str(job.id))
        return await self._jobs.submit(job.kind, job.source, actor, unit=job.unit)
