"""Background jobs as the API sees them: recent jobs and their progress, submission to this
process's worker, and the unfinished jobs ``/readyz`` lists."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC

import anyio

from lumen.audit.service import AuditEvent
from lumen.db import Database
from lumen.jobs import repository
from lumen.jobs.kinds import JobRunner
from lumen.jobs.models import Job
from lumen.jobs.schemas import JobCount
from lumen.observability.readiness import Readiness
from lumen.problems import InvalidInput, NotFound

RECENT_JOBS = 50


class JobService:
    """Reads of ``jobs``, and submissions and cancellations through this process's runner
    (the in-process ``JobWorker`` or Celery)."""

    def __init__(self, db: Database, runner: JobRunner) -> None:
        self._db = db
        self._worker = runner

    async def recent(self) -> Sequence[Job]:
        """The ``RECENT_JOBS`` newest jobs that belong to no user (ingestion), newest first;
        a user's own jobs (exports) are theirs to follow through their own routes."""
        async with self._db.async_session() as session:
            return (await session.exec(repository.recent(RECENT_JOBS))).all()

    async def get(self, job_id: uuid.UUID, owner_id: uuid.UUID | None = None) -> Job:
        """One job of no user, or of ``owner_id``. Raises ``NotFound`` for an unknown job and
        for another user's (whose existence is not revealed)."""
        async with self._db.async_session() as session:
            job = await session.get(Job, job_id)
        if job is None or (job.owner_id is not None and job.owner_id != owner_id):
            raise NotFound(f"No job {job_id}.")
        return job

    async def cancel(self, job_id: uuid.UUID, actor: AuditEvent) -> Job:
        """Ask an operator's job to stop between batches, audited as ``actor`` (``job.cancel``)
        in the same transaction. Raises ``NotFound`` for an unknown job or a user's job."""
        await self.get(job_id)
        job = await anyio.to_thread.run_sync(lambda: self._worker.cancel(job_id, actor))
        if job is None:
            raise NotFound(f"No job {job_id}.")
        return job

    async def submit(
        self,
        kind: str,
        source: str,
        actor: AuditEvent,
        unit: str = "documents",
        owner_id: uuid.UUID | None = None,
    ) -> Job:
        """Queue a job of ``kind`` on ``source`` (counted in ``unit``, belonging to
        ``owner_id`` when a user's), audited as ``actor`` (its action and who asked)
        in the job's own transaction (the worker's sessions are synchronous: off the event
        loop). Raises ``InvalidInput`` for a kind the worker does not run,
        ``AuditUnavailable`` when the entry cannot be written (no job is queued)."""
        if kind not in self._worker.kinds:
            raise InvalidInput(f"Unknown job kind {kind!r}.")
        return await anyio.to_thread.run_sync(
            lambda: self._worker.submit(kind, source, unit, actor=actor, owner_id=owner_id)
        )

    @property
    def kinds(self) -> frozenset[str]:
        """The job kinds this process's runner runs."""
        return self._worker.kinds

    def census(self) -> list[JobCount]:
        """Jobs per kind and status with the oldest of each (one GROUP BY query). Sync: the
        scrape-time metrics collector calls it off the event loop. Raises what the database
        raises (``sqlalchemy.exc.SQLAlchemyError``)."""
        with self._db.session() as session:
            rows = session.execute(repository.census()).all()
        return [
            JobCount(
                kind,
                status,
                count,
                # SQLite hands back naive datetimes; every stored time is UTC.
                oldest if oldest.tzinfo is not None else oldest.replace(tzinfo=UTC),
            )
            for kind, status, count, oldest in rows
        ]

    async def readiness(self) -> Readiness:
        """``jobs``: the queued and running jobs with their progress. Never unready (a
        knowledge base still loading answers from what is indexed); a database that does not
        answer leaves the list out (the knowledge service reports the database)."""
        try:
            async with self._db.async_session() as session:
                jobs = (await session.exec(repository.unfinished())).all()
        except Exception:  # readiness reports failures, it does not raise them
            return Readiness(True)
        report = [
            {"kind": j.kind, "status": j.status, "done": j.done, "total": j.total, "unit": j.unit}
            for j in jobs
            if j.owner_id is None  # a user's export is nobody else's business
        ]
        return Readiness(True, {"jobs": report})
