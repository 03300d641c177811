"""Tables of background jobs: a job with its summed progress, and the batches it fans out into.

The ``jobs`` row is the one source of truth for status and progress, whichever runner (the
in-process worker or Celery) executes it; a batch row is claimed by one worker at a time and
adds its counts to the job in the transaction that finishes it, so a batch run twice (a worker
killed after its writes, before its acknowledgement) is counted once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from lumen.db import utcnow


class Job(SQLModel, table=True):
    """A background job with its progress in units of ``unit`` (documents, conversations).

    ``status``: queued | running | succeeded | failed | cancelled. ``owner_id`` is the user a
    job belongs to (a patient's FHIR export); ``None`` for the operator's ingestion jobs.
    ``heartbeat_at`` moves while a worker makes progress; ``cancel_requested`` is honoured
    between batches. ``attempts`` counts the runs of the start step (counting the source) that
    met a transient fault, plus the one that wrote the batches; at ``job_max_attempts`` faults
    the job fails with the last one's reason (kept in ``error`` while the job waits queued).
    """

    __tablename__ = "jobs"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=32)  # ingest_medquad | ingest_spl | export_fhir
    source: str = Field(max_length=1000)  # URL, path or an object id; never user content
    status: str = Field(default="queued", max_length=16)
    done: int = 0
    total: int | None = None
    unit: str = Field(default="documents", max_length=16)
    failed_items: int = 0
    error: str | None = Field(default=None, max_length=2000)
    owner_id: uuid.UUID | None = Field(
        default=None, foreign_key="users.id", index=True, ondelete="CASCADE"
    )
    attempts: int = 0
    cancel_requested: bool = False
    heartbeat_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None


class JobBatch(SQLModel, table=True):
    """Items ``[start, stop)`` of a job's source, run as one task.

    ``status``: queued | running | succeeded | failed | cancelled. ``attempts`` counts claims;
    past the limit the batch fails with its last ``error``. ``queued_at``: when the batch was
    last queued (written, put back after a fault or a dead runner, or sent again by stale-job
    recovery), so recovery sends a queued batch again only once its last task has expired.
    """

    __tablename__ = "job_batches"

    job_id: uuid.UUID = Field(foreign_key="jobs.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(primary_key=True)
    start: int
    stop: int
    status: str = Field(default="queued", max_length=16)
    attempts: int = 0
    done: int = 0
    failed_items: int = 0
    error: str | None = Field(default=None, max_length=2000)
    queued_at: datetime | None = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    finished_at: datetime | None = None
