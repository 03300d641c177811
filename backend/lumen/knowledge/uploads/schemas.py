"""Shapes of the admin's document routes: uploads and their per-file progress, and documents
as indexed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from lumen.jobs.schemas import JobOut
from lumen.knowledge.models import Document
from lumen.knowledge.schemas import SectionOut
from lumen.knowledge.uploads.models import DocumentUpload

# The knowledge collections (``lumen.knowledge.schemas.COLLECTIONS``), as the API's enum.
CollectionName = Literal["consumer_health", "drug_labels", "regulatory"]
SourceName = Literal["medquad", "spl", "upload"]


class UploadedFileOut(BaseModel):
    """One uploaded file and how far it is: ``status`` queued, indexing, indexed, failed (with
    ``error``) or replaced (a newer upload of its document was indexed). ``document_id`` is
    the document it becomes (the same name in the same collection: the same document)."""

    id: uuid.UUID
    position: int
    file_name: str
    kind: str
    size_bytes: int
    sha256: str
    collection: str
    document_id: str
    status: str
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: DocumentUpload) -> UploadedFileOut:
        """From the table row (never its file)."""
        return cls.model_validate(row.model_dump(exclude={"ciphertext", "key_id"}))


class UploadJobOut(BaseModel):
    """An upload: its ``ingest_upload`` job (``done`` of ``total`` files) and each file."""

    job: JobOut
    files: list[UploadedFileOut]


class AdminDocumentOut(BaseModel):
    """A document as the admin list shows it; ``status`` is ``indexed`` once every chunk of
    its current version is searchable."""

    id: str
    source: str
    source_name: str
    collection: str
    title: str
    url: str | None
    version: str
    status: str
    chunk_count: int
    updated_at: datetime

    @classmethod
    def of(cls, row: Document) -> AdminDocumentOut:
        """From the table row (without its text)."""
        return cls.model_validate(row.model_dump(exclude={"text"}))


class AdminDocumentList(BaseModel):
    """A page of documents and the total."""

    items: list[AdminDocumentOut]
    total: int


class ChunkOut(BaseModel):
    """A chunk of the document as indexed: its point id in the vector index, the section it
    lies in, its offsets into the document text and its text."""

    index: int
    point_id: str
    section_id: str
    start: int
    end: int
    page: int | None
    text: str


class AdminDocumentDetail(AdminDocumentOut):
    """A document with its sections, its chunks and its uploaded files (newest first)."""

    sections: list[SectionOut]
    chunks: list[ChunkOut]
    uploads: list[UploadedFileOut]
