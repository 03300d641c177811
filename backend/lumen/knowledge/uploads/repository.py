"""Queries of the admin's document routes: documents by collection, source and words, and the
uploaded files of a batch or a document."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.knowledge.models import Document
from lumen.knowledge.uploads.models import DocumentUpload


class AdminDocumentRepository:
    """Typed queries over ``documents`` and ``document_uploads`` for administrators."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def search(
        self,
        collection: str | None,
        source: str | None,
        q: str,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Document], int]:
        """Documents of ``collection`` and ``source`` (``None``: any) whose title or id contains
        ``q`` (case-insensitive; blank: all), most recently updated first, and their total."""
        statement = select(Document)
        counted = select(func.count()).select_from(Document)
        conditions = []
        if collection is not None:
            conditions.append(col(Document.collection) == collection)
        if source is not None:
            conditions.append(col(Document.source) == source)
        needle = q.strip()
        if needle:
            pattern = f"%{needle}%"
            conditions.append(
                or_(col(Document.title).ilike(pattern), col(Document.id).ilike(pattern))
            )
        for condition in conditions:
            statement = statement.where(condition)
            counted = counted.where(condition)
        rows = (
            await self.session.exec(
                statement.order_by(col(Document.updated_at).desc(), col(Document.id))
                .offset(offset)
                .limit(limit)
            )
        ).all()
        return rows, (await self.session.exec(counted)).one()

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
