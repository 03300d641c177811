"""What administrators do with documents: upload files, list and inspect documents as indexed,
delete them.

An upload is checked whole before anything is kept: every file is sniffed, bounded and parsed
here (off the event loop), and one refused file refuses the request with problem+json naming
each file at fault, so nothing of it is stored or indexed. Accepted files are stored sealed
(``DocumentUpload``) and an ``ingest_upload`` job indexes them, one file per batch (progress
and failures per file). Deleting a document removes its index points first, then in one
transaction its sections, uploaded files and row with the ``knowledge.delete`` audit entry.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio
from sqlmodel import col, delete

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditLog
from lumen.auth.principal import ClientInfo, Principal
from lumen.db import Database
from lumen.jobs.models import Job
from lumen.jobs.schemas import JobOut
from lumen.jobs.service import JobService
from lumen.knowledge.chunking import chunk_document
from lumen.knowledge.index.base import VectorIndex, point_id
from lumen.knowledge.models import Document, DocumentSection, FocusTerm
from lumen.knowledge.repository import DocumentRepository
from lumen.knowledge.schemas import UPLOAD, SectionOut, SourceDocument, SourceSection
from lumen.knowledge.uploads.documents import display_name, document_id
from lumen.knowledge.uploads.errors import UploadRejected
from lumen.knowledge.uploads.models import DocumentUpload
from lumen.knowledge.uploads.reading import UploadLimits, read_upload
from lumen.knowledge.uploads.repository import AdminDocumentRepository
from lumen.knowledge.uploads.schemas import (
    AdminDocumentDetail,
    AdminDocumentOut,
    ChunkOut,
    UploadedFileOut,
    UploadJobOut,
)
from lumen.knowledge.uploads.tasks import INGEST_UPLOAD, UPLOAD_UNIT, upload_aad
from lumen.problems import Conflict, InvalidInput, NotFound
from lumen.security.encryption import KeyRing

# An upload in these states will still write its document (``DocumentUpload.status``).
PENDING_UPLOAD = ("queued", "indexing")


@dataclass(frozen=True, slots=True)
class IncomingFile:
    """A file as the request carried it: its name (a label only), the media type its part
    declared, and its bytes."""

    name: str
    declared: str | None
    data: bytes


class UploadService:
    """Uploads, document reads and deletion for administrators. ``on_vocabulary_change`` runs
    after a deletion that removed focus names (question understanding reloads them)."""

    def __init__(
        self,
        db: Database,
        keys: KeyRing,
        jobs: JobService,
        index: VectorIndex,
        audit: AuditLog,
        limits: UploadLimits,
        on_vocabulary_change: Callable[[], None] | None = None,
    ) -> None:
        self._db = db
        self._keys = keys
        self._jobs = jobs
        self._index = index
        self._audit = audit
        self.limits = limits
        self._on_vocabulary_change = on_vocabulary_change

    async def upload(
        self, admin: Principal, client: ClientInfo, collection: str, files: Sequence[IncomingFile]
    ) -> UploadJobOut:
        """Check every file, store them sealed and queue their ``ingest_upload`` job, audited
        as ``knowledge.upload`` in the job's transaction. Raises ``InvalidInput`` for no files
        or two that would be the same document; an ``UploadRejected`` (413, 415 or 422) when
        any file is refused, naming each (``file``, or ``files`` for several); and
        ``AuditUnavailable`` when the submission cannot be audited (nothing is kept)."""
        if not files:
            raise InvalidInput("Choose at least one file to upload.", field="files")
        ids = [document_id(collection, f.name) for f in files]
        if len(set(ids)) < len(ids):
            raise InvalidInput(
                "Two of the files have the same name and would be the same document; "
                "upload them separately or rename one.",
                field="files",
            )
        batch_id = uuid.uuid4()
        rows = await anyio.to_thread.run_sync(
            lambda: self._checked_rows(admin, collection, batch_id, files, ids)
        )
        async with self._db.async_session() as session:
            session.add_all(rows)
            await session.commit()
        actor = admin.audit_event(AuditAction.KNOWLEDGE_UPLOAD, client)
        try:
            job = await self._jobs.submit(INGEST_UPLOAD, str(batch_id), actor, unit=UPLOAD_UNIT)
        except Exception:
            await self._forget_batch(batch_id)  # no job will ever read them
            raise
        return UploadJobOut(
            job=JobOut.model_validate(job, from_attributes=True),
            files=[UploadedFileOut.of(row) for row in rows],
        )

    async def progress(self, job_id: uuid.UUID) -> UploadJobOut:
        """An upload's job and each of its files. Raises ``NotFound`` for an unknown job or
        one that is not an upload."""
        job: Job = await self._jobs.get(job_id)
        if job.kind != INGEST_UPLOAD:
            raise NotFound(f"No upload {job_id}.")
        async with self._db.async_session() as session:
            rows = await AdminDocumentRepository(session).uploads_of_batch(uuid.UUID(job.source))
        return UploadJobOut(
            job=JobOut.model_validate(job, from_attributes=True),
            files=[UploadedFileOut.of(row) for row in rows],
        )

    async def detail(self, doc_id: str) -> AdminDocumentDetail:
        """A document with its sections, its chunks and its uploads. The chunks are cut again
        from the stored text and sections by the ingestor's own chunker, which is deterministic:
        the same chunks, under the same point ids, that ingestion wrote. Raises ``NotFound``."""
        async with self._db.async_session() as session:
            document = await session.get(Document, doc_id)
            if document is None:
                raise NotFound(f"No document {doc_id}.")
            section_rows = list(await DocumentRepository(session).sections(doc_id))
            uploads = await AdminDocumentRepository(session).uploads_of_document(doc_id)
        chunks = chunk_document(_source_document(document, section_rows))
        return AdminDocumentDetail(
            **AdminDocumentOut.of(document).model_dump(),
            sections=[_section_out(s) for s in section_rows],
            chunks=[
                ChunkOut(
                    index=c.index,
                    point_id=point_id(c.document_id, c.index),
                    section_id=f"{doc_id}#{c.section_key}",
                    start=c.start,
                    end=c.end,
                    page=_page(c.payload),
                    text=c.text,
                )
                for c in chunks
            ],
            uploads=[UploadedFileOut.of(row) for row in uploads],
        )

    async def delete(self, admin: Principal, client: ClientInfo, doc_id: str) -> None:
        """Delete a document: its index points, then its sections, focus names, uploaded files
        and row with the ``knowledge.delete`` audit entry (object: the document id; reason: its
        source; nothing of its content) in one transaction. Raises ``NotFound``; ``Conflict``
        while an upload of the document waits for or is in its job (the job would write the
        document back); and ``AuditUnavailable`` (the rows stay; deleting again finishes the
        job)."""
        async with self._db.async_session() as session:
            document = await session.get(Document, doc_id)
            if document is None:
                raise NotFound(f"No document {doc_id}.")
            source = document.source
            uploads = await AdminDocumentRepository(session).uploads_of_document(doc_id)
            if any(upload.status in PENDING_UPLOAD for upload in uploads):
                raise Conflict(
                    f"A new version of {doc_id} is still being indexed: delete it once its "
                    "upload job has ended."
                )
        await anyio.to_thread.run_sync(lambda: self._index.delete_document(doc_id))
        async with self._db.async_session() as session:
            await session.exec(
                delete(DocumentSection).where(col(DocumentSection.document_id) == doc_id)
            )
            await session.exec(delete(FocusTerm).where(col(FocusTerm.document_id) == doc_id))
            await session.exec(
                delete(DocumentUpload).where(col(DocumentUpload.document_id) == doc_id)
            )
            await session.exec(delete(Document).where(col(Document.id) == doc_id))
            await self._audit.append(
                session,
                admin.audit_event(
                    AuditAction.KNOWLEDGE_DELETE, client, "document", doc_id, reason=source
                ),
            )
            await session.commit()
        if source != UPLOAD and self._on_vocabulary_change is not None:
            await anyio.to_thread.run_sync(self._on_vocabulary_change)

    def _checked_rows(
        self,
        admin: Principal,
        collection: str,
        batch_id: uuid.UUID,
        files: Sequence[IncomingFile],
        ids: list[str],
    ) -> list[DocumentUpload]:
        """The sealed rows of ``files``, once every one of them reads; raises the refusal
        (see ``upload``)."""
        rows: list[DocumentUpload] = []
        refused: list[UploadRejected] = []
        for position, (incoming, doc_id) in enumerate(zip(files, ids, strict=True)):
            name = display_name(incoming.name)
            try:
                kind, _parsed = read_upload(name, incoming.declared, incoming.data, self.limits)
            except UploadRejected as exc:
                refused.append(exc.for_file(name))
                continue
            row = DocumentUpload(
                batch_id=batch_id,
                position=position,
                document_id=doc_id,
                collection=collection,
                file_name=name,
                kind=kind,
                size_bytes=len(incoming.data),
                sha256=hashlib.sha256(incoming.data).hexdigest(),
                uploaded_by=admin.user_id,
            )
            sealed = self._keys.seal_bytes(incoming.data, upload_aad(row.id))
            row.key_id, row.ciphertext = sealed.key_id, sealed.ciphertext
            rows.append(row)
        if len(refused) == 1 and len(files) == 1:
            raise refused[0]
        if refused:
            statuses = {problem.status for problem in refused}
            combined = UploadRejected(
                f"{len(refused)} of the {len(files)} files were not accepted, so none was "
                "uploaded: " + " ".join(f"{p.extensions['file']}: {p.detail}" for p in refused),
                files=[problem.to_dict() for problem in refused],
            )
            combined.status = statuses.pop() if len(statuses) == 1 else 422
            raise combined
        return rows

    async def _forget_batch(self, batch_id: uuid.UUID) -> None:
        async with self._db.async_session() as session:
            await session.exec(
                delete(DocumentUpload).where(col(DocumentUpload.batch_id) == batch_id)
            )
            await session.commit()


def _source_document(document: Document, sections: list[DocumentSection]) -> SourceDocument:
    """The ``SourceDocument`` a stored document was indexed from (what chunking reads)."""
    return SourceDocument(
        id=document.id,
        source=document.source,
        source_name=document.source_name,
        collection=document.collection,
        title=document.title,
        url=document.url,
        licence=document.licence,
        attribution=document.attribution,
        version=document.version,
        text=document.text,
        sections=tuple(
            SourceSection(
                key=s.id.partition("#")[2],
                title=s.title,
                start=s.start,
                end=s.end,
                code=s.code,
                qid=s.qid,
                question_type=s.question_type,
                page=s.page,
            )
            for s in sections
        ),
        effective_date=document.effective_date,
        set_id=document.set_id,
        brand_name=document.brand_name,
        generic_name=document.generic_name,
    )


def _section_out(section: DocumentSection) -> SectionOut:
    return SectionOut(
        id=section.id,
        title=section.title,
        code=section.code,
        qid=section.qid,
        start=section.start,
        end=section.end,
        page=section.page,
    )


def _page(payload: dict[str, object]) -> int | None:
    page = payload.get("page")
    return page if isinstance(page, int) else None
