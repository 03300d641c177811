"""Shapes of the jobs API: a job with its progress, and a submission."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel


class JobOut(BaseModel):
    """A job and its progress (``done`` of ``total`` ``unit``). ``status``: queued, running,
    succeeded, failed or cancelled; ``cancel_requested`` while a cancellation waits for the
    running batch; ``heartbeat_at``: the last progress a worker reported."""

    id: uuid.UUID
    kind: str
    status: str
    done: int
    total: int | None
    unit: str
    failed_items: int
    error: str | None
    cancel_requested: bool
    heartbeat_at: datetime | None
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


@dataclass(frozen=True)
class JobCount:
    """``count`` jobs of ``kind`` in ``status``, the oldest created at ``oldest_created_at``
    (UTC): one row of the job census that ``/metrics`` reports."""

    kind: str
    status: str
    count: int
    oldest_created_at: datetime
