"""Queries of the knowledge tables: source documents and their sections."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.knowledge.models import Document, DocumentSection

INDEXED = "indexed"


class DocumentRepository:
    """Typed queries over ``documents`` and ``document_sections``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def indexed(self, document_id: str) -> Document | None:
        """The document with this id once every chunk of it is indexed, else ``None``."""
        document = await self.session.get(Document, document_id)
        return document if document is not None and document.status == INDEXED else None

    async def sections(self, document_id: str) -> Sequence[DocumentSection]:
        """The document's sections in document order."""
        return (
            await self.session.exec(
                select(DocumentSection)
                .where(DocumentSection.document_id == document_id)
                .order_by(col(DocumentSection.position))
            )
        ).all()

    async def labels_matching(self, needle: str, limit: int) -> Sequence[Document]:
        """Indexed FDA labels whose brand name, generic name or title contains ``needle``
        (lower case; every label when empty), by title, at most ``limit``."""
        statement = select(Document).where(Document.source == "spl", Document.status == INDEXED)
        if needle:
            pattern = f"%{needle}%"
            statement = statement.where(
                or_(
                    col(Document.brand_name).ilike(pattern),
                    col(Document.generic_name).ilike(pattern),
                    col(Document.title).ilike(pattern),
                )
            )
        return (await self.session.exec(statement.order_by(col(Document.title)).limit(limit))).all()

    async def count_indexed(self) -> int:
        """The number of completely indexed documents."""
        return (
            await self.session.exec(
                select(func.count()).select_from(Document).where(Document.status == INDEXED)
            )
        ).one()
