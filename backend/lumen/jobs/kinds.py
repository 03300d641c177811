"""What a kind of job is, for both runners: the queue it waits on, how its source is counted
and split into batches, the function that runs one batch, and what runs once at the end.

One implementation, two runners: the in-process ``JobWorker`` of the embedded default and the
Celery workers of production call the same ``JobKind`` functions through ``lumen.jobs.execution``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent
from lumen.jobs.models import Job

INGEST = "ingest"
EXPORT = "export"
QUEUES = (INGEST, EXPORT)

# A task reports progress as report(done, total): items done of this run, and the total if known.
ProgressReporter = Callable[[int, int | None], None]
# A job that is not split: runs the whole job, returns the number of items that failed.
Task = Callable[[Job, ProgressReporter], int]
# One batch: items [start, stop) of the job's source; returns the number of items that failed.
BatchTask = Callable[[Job, int, int, ProgressReporter], int]


@dataclass(frozen=True, slots=True)
class JobKind:
    """A kind of job.

    ``count(job)`` is the number of items in the job's source (``None``: the job is one batch
    of one item); the runner splits ``[0, count)`` into batches of ``batch_size`` items, each
    run by ``run``. ``finish(job)`` runs once after the last batch (building the index, say),
    before the job is marked finished; ``finish_action`` is audited with the end state.
    """

    queue: str
    run: BatchTask
    count: Callable[[Job], int] | None = None
    finish: Callable[[Job], None] | None = None
    finish_action: AuditAction | None = None
    batch_size: int = 1


def single(queue: str, task: Task, finish_action: AuditAction | None = None) -> JobKind:
    """A ``JobKind`` that runs ``task`` as one batch (an export, say)."""

    def run(job: Job, _start: int, _stop: int, report: ProgressReporter) -> int:
        return task(job, report)

    return JobKind(queue=queue, run=run, finish_action=finish_action)


class JobRunner(Protocol):
    """Where jobs run: the in-process ``JobWorker`` (embedded default) or Celery workers
    (``CeleryRunner``, production). Both record jobs in ``jobs`` and run the same kinds."""

    @property
    def kinds(self) -> frozenset[str]:
        """The job kinds this runner accepts."""
        ...

    def submit(
        self,
        kind: str,
        source: str,
        unit: str = "documents",
        actor: AuditEvent | None = None,
        owner_id: uuid.UUID | None = None,
    ) -> Job:
        """Record a queued job and send it to its queue; ``KeyError`` for an unknown kind."""
        ...

    def cancel(self, job_id: uuid.UUID, actor: AuditEvent) -> Job | None:
        """Ask a job to stop between batches; ``None`` if unknown."""
        ...

    def resume_unfinished(self) -> list[Job]:
        """Send again the jobs a previous process left queued or running."""
        ...

    def succeeded_sources(self) -> set[tuple[str, str]]:
        """``(kind, source)`` of every job that has succeeded."""
        ...

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop taking work; wait up to ``timeout_s`` for what runs here."""
        ...
