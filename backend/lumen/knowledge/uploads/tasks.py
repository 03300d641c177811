"""The ``ingest_upload`` job: the files of one upload request, one file per batch, so that
each file has its own progress and its own failure (the others go on).

A batch opens its stored file, parses it again (``read_upload``: the same bytes give the same
document the request checked) and runs it through the ``Ingestor``, whose write order never
leaves half a document and replaces a previous version without a gap. A batch run twice (a
worker killed after its writes) finds its file ``indexed`` and does nothing. Once a file is
indexed, the earlier uploads of its document give up their stored files (``replaced``).

The same function runs on the in-process worker (the embedded default) and on Celery workers,
which read the sealed file from the database they share with the API.
"""

from __future__ import annotations

import logging
import uuid
from typing import cast

from sqlmodel import col, select, update

from lumen.audit.actions import AuditAction
from lumen.db import Database, utcnow
from lumen.jobs.execution import is_transient
from lumen.jobs.kinds import INGEST, JobKind, ProgressReporter
from lumen.jobs.models import Job
from lumen.knowledge.ingest_process import IngestionProcess
from lumen.knowledge.ingestion import Ingestor
from lumen.knowledge.uploads.documents import build_document
from lumen.knowledge.uploads.errors import UploadRejected
from lumen.knowledge.uploads.models import DocumentUpload
from lumen.knowledge.uploads.reading import UploadLimits, read_upload
from lumen.knowledge.uploads.sniffing import MEDIA_TYPES, Kind
from lumen.security.encryption import KeyRing, Sealed

logger = logging.getLogger(__name__)

INGEST_UPLOAD = "ingest_upload"
UPLOAD_UNIT = "files"
FINISHED_FILE = ("indexed", "replaced")


def upload_aad(upload_id: uuid.UUID) -> bytes:
    """The associated data binding a sealed file to its ``document_uploads`` row."""
    return b"lumen/document-upload/" + upload_id.bytes


def upload_kinds(
    db: Database,
    keys: KeyRing,
    ingestor: Ingestor,
    limits: UploadLimits,
    process: IngestionProcess | None = None,
) -> dict[str, JobKind]:
    """The ``ingest_upload`` kind (queue ``ingest``, one file per batch): the job's source is
    the upload's batch id; a file that does not read (``UploadRejected``) or fails with a
    fault that retrying will not cure is recorded ``failed`` with its reason and counted as a
    failed item; a transient fault is raised for the runner to retry the batch. With
    ``process`` (the embedded default), a file is chunked and embedded in that low-priority
    child, as bulk loads are, so that questions do not wait behind a large upload."""

    def count(job: Job) -> int:
        with db.session() as session:
            rows = session.exec(
                select(DocumentUpload.id).where(DocumentUpload.batch_id == uuid.UUID(job.source))
            ).all()
        return len(rows)

    def run(job: Job, start: int, stop: int, report: ProgressReporter) -> int:
        failed = 0
        for done, position in enumerate(range(start, stop), start=1):
            failed += _ingest_file(uuid.UUID(job.source), position)
            report(done, None)
        return failed

    def _ingest_file(batch_id: uuid.UUID, position: int) -> int:
        """1 if the file failed, else 0."""
        with db.session() as session:
            row = session.exec(
                select(DocumentUpload)
                .where(DocumentUpload.batch_id == batch_id)
                .where(DocumentUpload.position == position)
            ).first()
            if row is None or row.status in FINISHED_FILE:
                return 0  # deleted with its document meanwhile, or done by an earlier run
            if row.status == "failed":
                return 1
            row.status = "indexing"
            session.add(row)
            session.commit()
        try:
            if row.key_id is None or row.ciphertext is None:
                raise UploadRejected("The uploaded file is no longer stored.")
            data = keys.open_bytes(Sealed(row.key_id, row.ciphertext), upload_aad(row.id))
            declared = MEDIA_TYPES[cast(Kind, row.kind)]  # the kind the request decided
            _, parsed = read_upload(row.file_name, declared, data, limits)
            document = build_document(
                doc_id=row.document_id,
                collection=row.collection,
                name=row.file_name,
                sha256=row.sha256,
                parsed=parsed,
            )
            if process is not None:
                process.ingest_documents([document])
            else:
                ingestor.ingest([document])
        except UploadRejected as exc:
            _fail(row.id, exc.detail)
            return 1
        except Exception as exc:
            if not is_transient(exc):
                _fail(row.id, f"{type(exc).__name__}: {exc}")
            raise
        _indexed(row)
        return 0

    def _fail(upload_id: uuid.UUID, reason: str) -> None:
        logger.warning("upload %s failed: %s", upload_id, reason[:200])
        with db.session() as session:
            session.exec(
                update(DocumentUpload)
                .where(col(DocumentUpload.id) == upload_id)
                .values(status="failed", error=reason[:2000], finished_at=utcnow())
            )
            session.commit()

    def _indexed(row: DocumentUpload) -> None:
        with db.session() as session:
            session.exec(
                update(DocumentUpload)
                .where(col(DocumentUpload.id) == row.id)
                .values(status="indexed", error=None, finished_at=utcnow())
            )
            session.exec(
                update(DocumentUpload)
                .where(col(DocumentUpload.document_id) == row.document_id)
                .where(col(DocumentUpload.id) != row.id)
                .where(col(DocumentUpload.status).in_(FINISHED_FILE))
                .values(status="replaced", key_id=None, ciphertext=None)
            )
            session.commit()

    kind = JobKind(
        queue=INGEST,
        run=run,
        count=count,
        finish_action=AuditAction.INGESTION_FINISH,
        batch_size=1,
    )
    return {INGEST_UPLOAD: kind}
