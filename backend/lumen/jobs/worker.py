"""The in-process job worker of the embedded default: one thread, jobs run in submit order.

Production runs the same task functions on Celery workers (``lumen.jobs.celery_app``); this
worker exists because a Qdrant Edge shard opens in one process only, so in the embedded
default the process that serves queries must also be the one that writes the index.
"""

from __future__ import annotations

import logging
import queue
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.orm import Session

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, append
from lumen.db import Database, utcnow
from lumen.jobs import repository
from lumen.jobs.models import Job

logger = logging.getLogger(__name__)

# A task receives its job id and a progress reporter: report(done, total).
ProgressReporter = Callable[[int, int | None], None]
Task = Callable[[Job, ProgressReporter], int]  # returns the number of failed items


class JobWorker:
    """Runs submitted jobs one at a time on a daemon thread, recording state in ``jobs``.

    A job's submission and its end state are audited in the transaction that writes them
    (``ingestion.submit``, ``ingestion.finish``): an audit write that fails leaves neither.
    """

    def __init__(self, db: Database, tasks: dict[str, Task]) -> None:
        self.db = db
        self._tasks = tasks
        self._queue: queue.Queue[uuid.UUID | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="lumen-jobs", daemon=True)
        self._thread.start()

    @property
    def kinds(self) -> frozenset[str]:
        """The job kinds this worker runs."""
        return frozenset(self._tasks)

    def submit(
        self,
        kind: str,
        source: str,
        unit: str = "documents",
        actor: AuditEvent | None = None,
        owner_id: uuid.UUID | None = None,
    ) -> Job:
        """Record a queued job and schedule it; audited as ``ingestion.submit`` by ``actor``
        (an event carrying who asked and from where; default: the system). Raises
        ``KeyError`` for an unknown kind, ``AuditUnavailable`` (and records no job) when the
        audit entry cannot be written."""
        if kind not in self._tasks:
            raise KeyError(kind)
        job = Job(kind=kind, source=source, unit=unit, owner_id=owner_id)
        with self.db.session() as session:
            session.add(job)
            _audit(
                session,
                actor or AuditEvent(AuditAction.INGESTION_SUBMIT, actor_role="system"),
                job,
            )
            session.commit()
            session.refresh(job)
        self._queue.put(job.id)
        return job

    def resume_unfinished(self) -> list[Job]:
        """Re-queue jobs a previous process left queued or running (they are idempotent)."""
        with self.db.session() as session:
            jobs = session.exec(repository.unfinished()).all()
            for job in jobs:
                job.status = "queued"
                session.add(job)
            session.commit()
        for job in jobs:
            self._queue.put(job.id)
        return list(jobs)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask the thread to stop after the running job and wait up to ``timeout_s``."""
        self._queue.put(None)
        self._thread.join(timeout_s)

    def succeeded_sources(self) -> set[tuple[str, str]]:
        """``(kind, source)`` of every job that has succeeded, in this process or before."""
        with self.db.session() as session:
            return {(job.kind, job.source) for job in session.exec(repository.succeeded()).all()}

    def _run(self) -> None:
        while (job_id := self._queue.get()) is not None:
            try:
                self._run_one(job_id)
            except Exception as exc:  # e.g. the audit log refused the end state: go on
                logger.error("job %s could not be recorded: %s", job_id, type(exc).__name__)

    def _run_one(self, job_id: uuid.UUID) -> None:
        with self.db.session() as session:
            job = session.get(Job, job_id)
            if job is None or job.status not in ("queued",):
                return
            job.status, job.started_at = "running", utcnow()
            session.add(job)
            session.commit()
            session.refresh(job)

        def report(done: int, total: int | None) -> None:
            with self.db.session() as session:
                row = session.get(Job, job_id)
                if row is not None:
                    row.done, row.total = done, total
                    session.add(row)
                    session.commit()

        try:
            failed = self._tasks[job.kind](job, report)
        except Exception as exc:  # a job failure must not kill the worker thread
            logger.error("job %s (%s) failed: %s", job_id, job.kind, type(exc).__name__)
            logger.debug("%s", traceback.format_exc())
            self._finish(job_id, "failed", error=f"{type(exc).__name__}: {exc}"[:2000])
            return
        self._finish(job_id, "succeeded" if failed == 0 else "failed", failed_items=failed)

    def _finish(
        self, job_id: uuid.UUID, status: str, error: str | None = None, failed_items: int = 0
    ) -> None:
        with self.db.session() as session:
            row = session.get(Job, job_id)
            if row is None:
                return
            row.status, row.finished_at = status, utcnow()
            row.error = error or (
                f"{failed_items} item(s) could not be loaded" if failed_items else None
            )
            row.failed_items = failed_items
            session.add(row)
            _audit(
                session,
                AuditEvent(
                    AuditAction.INGESTION_FINISH,
                    outcome="success" if status == "succeeded" else "failure",
                    actor_role="system",
                ),
                row,
            )
            session.commit()


def _audit(session: Session, event: AuditEvent, job: Job) -> None:
    """Append ``event`` about ``job`` in ``session``'s transaction (the caller commits)."""
    append(session, replace(event, object_type="job", object_id=str(job.id), reason=job.kind[:48]))
