"""The table of uploaded files: each sealed at rest until its document is deleted or replaced.

The file lives in the database, not under a path: a name from the web never becomes a path,
and the Celery workers of production (which share the database, not a disk with the API)
read it from there.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from lumen.db import utcnow


class DocumentUpload(SQLModel, table=True):
    """One uploaded file, item ``position`` of the upload ``batch_id`` (the ``ingest_upload``
    job's source), becoming document ``document_id``.

    ``status``: queued | indexing | indexed | failed (``error`` says why) | replaced (a newer
    upload of the same document is indexed; its file is gone). ``ciphertext`` is the file sealed
    with the key ring (AES-256-GCM, the upload's id bound as associated data) under ``key_id``;
    ``None`` once the file is no longer needed. ``sha256`` is of the plain file.
    """

    __tablename__ = "document_uploads"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    batch_id: uuid.UUID = Field(index=True)
    position: int
    document_id: str = Field(index=True, max_length=200)
    collection: str = Field(max_length=64)
    file_name: str = Field(max_length=255)
    kind: str = Field(max_length=16)  # pdf | docx | html | markdown | text
    size_bytes: int
    sha256: str = Field(max_length=64)
    status: str = Field(default="queued", max_length=16)
    error: str | None = Field(default=None, max_length=2000)
    key_id: str | None = Field(default=None, max_length=32)
    ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    uploaded_by: uuid.UUID | None = None  # the admin who sent it (an id only)
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
