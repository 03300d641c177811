"""Table of background jobs (ingestion now; FHIR export later)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from lumen.db import utcnow


class Job(SQLModel, table=True):
    """A background job with its progress in units of ``unit`` (documents, chunks)."""

    __tablename__ = "jobs"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=32)  # ingest_medquad | ingest_spl
    source: str = Field(max_length=1000)  # URL or path; never user content
    status: str = Field(default="queued", max_length=16)  # queued|running|succeeded|failed
    done: int = 0
    total: int | None = None
    unit: str = Field(default="documents", max_length=16)
    failed_items: int = 0
    error: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
