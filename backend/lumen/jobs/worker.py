"""The in-process job runner of the embedded default: one thread per queue (``ingest``,
``export``), so an export never waits behind a bulk load; jobs on a queue run in submit order,
batch by batch.

Production runs the same ``JobKind`` functions on Celery workers (``lumen.jobs.celery_app``);
this runner exists because a Qdrant Edge shard opens in one process only, so in the embedded
default the process that serves queries must also be the one that writes the index.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from typing import TypeVar

from lumen.audit.service import AuditEvent
from lumen.db import Database
from lumen.jobs import execution, repository
from lumen.jobs.execution import Limits, TransientFault
from lumen.jobs.kinds import QUEUES, JobKind, ProgressReporter, Task
from lumen.jobs.models import Job

__all__ = ["JobWorker", "ProgressReporter", "Task"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Back-off between attempts at a transiently failing step: base * 2**attempt, capped.
RETRY_BASE_S = 1.0
RETRY_CAP_S = 60.0


class JobWorker:
    """Runs submitted jobs on one daemon thread per queue, recording state in ``jobs``.

    A job's submission and its end state are audited in the transaction that writes them: an
    audit write that fails leaves neither.
    """

    def __init__(
        self, db: Database, kinds: dict[str, JobKind], limits: Limits | None = None
    ) -> None:
        self.db = db
        self._kinds = kinds
        self._limits = limits or Limits()
        self._stopping = threading.Event()
        self._queues: dict[str, queue.Queue[uuid.UUID | None]] = {q: queue.Queue() for q in QUEUES}
        self._threads = [
            threading.Thread(target=self._run, args=(q,), name=f"lumen-jobs-{q}", daemon=True)
            for q in QUEUES
        ]
        for thread in self._threads:
            thread.start()

    @property
    def kinds(self) -> frozenset[str]:
        """The job kinds this runner runs."""
        return frozenset(self._kinds)

    def submit(
        self,
        kind: str,
        source: str,
        unit: str = "documents",
        actor: AuditEvent | None = None,
        owner_id: uuid.UUID | None = None,
    ) -> Job:
        """Record a queued job (``execution.submit_job``) and schedule it on its queue.
        Raises ``KeyError`` for an unknown kind, ``AuditUnavailable`` (and records no job)
        when the audit entry cannot be written."""
        job_kind = self._kinds[kind]
        job = execution.submit_job(self.db, kind, source, unit, actor, owner_id)
        self._queues[job_kind.queue].put(job.id)
        return job

    def cancel(self, job_id: uuid.UUID, actor: AuditEvent) -> Job | None:
        """Ask a job to stop between batches (``execution.request_cancel``)."""
        return execution.request_cancel(self.db, job_id, actor)

    def resume_unfinished(self) -> list[Job]:
        """Re-queue jobs a previous process left queued or running: a running job resumes at
        its unfinished batches (batches are idempotent)."""
        with self.db.session() as session:
            jobs = list(session.exec(repository.unfinished()).all())
        # This process is the only runner: a batch left "running" died with the last one.
        execution.release_claims(self.db, [job.id for job in jobs])
        for job in jobs:
            kind = self._kinds.get(job.kind)
            if kind is not None:
                self._queues[kind.queue].put(job.id)
        return jobs

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop after the running batches and wait up to ``timeout_s`` for the threads."""
        self._stopping.set()
        for q in self._queues.values():
            q.put(None)
        for thread in self._threads:
            thread.join(timeout_s)

    def succeeded_sources(self) -> set[tuple[str, str]]:
        """``(kind, source)`` of every job that has succeeded, in this process or before."""
        with self.db.session() as session:
            return {(job.kind, job.source) for job in session.exec(repository.succeeded()).all()}

    def _run(self, queue_name: str) -> None:
        jobs = self._queues[queue_name]
        while (job_id := jobs.get()) is not None:
            try:
                self._run_job(job_id)
            except Exception as exc:  # e.g. the audit log refused the end state: go on
                logger.error("job %s could not be recorded: %s", job_id, type(exc).__name__)

    def _run_job(self, job_id: uuid.UUID) -> None:
        seqs = self._retrying(lambda: execution.start(self.db, job_id, self._kinds, self._limits))
        for seq in seqs or []:
            if self._stopping.is_set():
                return  # the job stays running; the next process resumes its open batches
            self._retrying(self._batch(job_id, seq))

    def _batch(self, job_id: uuid.UUID, seq: int) -> Callable[[], str]:
        return lambda: execution.run_batch(self.db, job_id, seq, self._kinds, self._limits)

    def _retrying(self, step: Callable[[], T]) -> T | None:
        """Run ``step``, again after a back-off while it raises ``TransientFault`` (bounded by
        ``max_attempts``; ``start`` fails its job and ``run_batch`` its batch themselves at the
        limit, so a step that keeps failing ends recorded, not left queued)."""
        for attempt in range(self._limits.max_attempts + 1):
            try:
                return step()
            except TransientFault as exc:
                delay_s = min(RETRY_CAP_S, RETRY_BASE_S * 2**attempt)
                logger.warning("transient fault, retrying in %.0f s: %s", delay_s, exc)
                if self._stopping.wait(delay_s):
                    return None
        return None
