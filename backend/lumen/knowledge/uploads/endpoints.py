"""Admin routes for the knowledge base's documents: upload files, follow an upload, list,
inspect and delete documents (role ``admin``, 2FA done).

The upload's body is read only after the caller is known to be an admin (a multipart body
declared as route parameters would be parsed, and spooled to disk, before any dependency
runs), and only when its ``Content-Length`` is within the limits.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, status
from starlette.datastructures import UploadFile

from lumen.deps import AdminUser, ClientDep
from lumen.knowledge.schemas import COLLECTIONS
from lumen.knowledge.uploads.deps import UploadsDep
from lumen.knowledge.uploads.errors import LengthRequired, TooLarge, UnsupportedType
from lumen.knowledge.uploads.schemas import (
    AdminDocumentDetail,
    UploadJobOut,
)
from lumen.knowledge.uploads.service import IncomingFile
from lumen.problems import InvalidInput, problem_responses

router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=problem_responses(401, 403))

# Multipart framing and the collection field, beside the files themselves.
FORM_OVERHEAD_BYTES = 1024 * 1024
DocumentId = Annotated[str, Path(max_length=200, description="e.g. upload:regulatory:sop-12.pdf")]
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files", "collection"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "minItems": 1,
                            "description": "PDF, DOCX, HTML, Markdown or plain-text files.",
                        },
                        "collection": {
                            "type": "string",
                            "enum": list(COLLECTIONS),
                            "description": "Who may read them, as in retrieval.",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/documents",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=UPLOAD_BODY,
    responses=problem_responses(400, 411, 413, 415, 422, 503),
)
async def upload_documents(
    request: Request, admin: AdminUser, uploads: UploadsDep, client: ClientDep
) -> UploadJobOut:
    """Upload files into a collection; each becomes the document ``upload:<collection>:<file
    name>`` (the same name again: a new version of it). Every file is checked before anything
    is kept: type by content (and it must match the name and declared type), size and page
    limits, ZIP bombs, encrypted or broken PDFs, text with HTML in it. A refused file refuses
    the request (413, 415 or 422, naming each file at fault). Accepted, the files are indexed
    by an ``ingest_upload`` job, one file per batch; the answer is the job and each file's
    status (follow it at ``GET /admin/uploads/{job_id}``)."""
    limits = uploads.limits
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise LengthRequired("Send the upload with its Content-Length.")
    budget = limits.max_files * limits.max_bytes + FORM_OVERHEAD_BYTES
    if int(length) > budget:
        raise TooLarge(
            f"The upload is {int(length):,} bytes; at most {limits.max_files} files of "
            f"{limits.max_bytes:,} bytes each are accepted."
        )
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise UnsupportedType("Send the files as multipart/form-data.")
    async with request.form(max_files=limits.max_files, max_fields=4) as form:
        collection = form.get("collection")
        if not isinstance(collection, str) or collection not in COLLECTIONS:
            raise InvalidInput(
                f"Choose a collection: one of {list(COLLECTIONS)}.", field="collection"
            )
        files: list[IncomingFile] = []
        for part in form.getlist("files"):
            if not isinstance(part, UploadFile):
                raise InvalidInput("Each of files must be a file.", field="files")
            data = await part.read(limits.max_bytes + 1)
            files.append(IncomingFile(part.filename or "", part.content_type, data))
    return await uploads.upload(admin, client, collection, files)


@router.get("/uploads/{job_id}", responses=problem_responses(404))
async def get_upload(job_id: uuid.UUID, admin: AdminUser, uploads: UploadsDep) -> UploadJobOut:
    """An upload's job (``done`` of ``total`` files) and each file's status and error."""
    return await uploads.progress(job_id)


@router.get("/documents/{document_id}", responses=problem_responses(404))
async def get_admin_document(
    document_id: DocumentId, admin: AdminUser, uploads: UploadsDep
) -> AdminDocumentDetail:
    """A document with its sections, its chunks as indexed (point ids, offsets, pages) and its
    uploaded files."""
    return await uploads.detail(document_id)


@router.delete(
    "/documents/{document_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 409, 503),
)
async def delete_document(
    document_id: DocumentId, admin: AdminUser, uploads: UploadsDep, client: ClientDep
) -> None:
    """Delete a document: its points leave the index, then its sections, uploaded files and
    row go, audited as ``knowledge.delete``. 409 while a new version of it waits for or is in
    its upload job; 503 when the audit log cannot record it (the document stays listed;
    deleting again finishes)."""
    await uploads.delete(admin, client, document_id)
