"""Queries of the admin's document routes: documents by collection, source and words, and the
uploaded files of a batch or a document."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.knowledge.uploads.models import DocumentUpload


class AdminDocumentRepository:
    """Typed queries over ``documents`` and ``document_uploads`` for administrators."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def uploads_of_batch(self, batch_id: uuid.UUID) -> Sequence[DocumentUpload]:
        """The files of one upload request, in the order they were sent."""
        return (
            await self.session.exec(
                select(DocumentUpload)
                .where(DocumentUpload.batch_id == batch_id)
                .order_by(col(DocumentUpload.position))
            )
        ).all()

    async def uploads_of_document(self, document_id: str) -> Sequence[DocumentUpload]:
        """The uploaded files of one document, newest first."""
        return (
            await self.session.exec(
                select(DocumentUpload)
                .where(DocumentUpload.document_id == document_id)
                .order_by(col(DocumentUpload.created_at).desc())
            )
        ).all()
