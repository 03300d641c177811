"""Reading indexed source documents back: by id, and FDA labels by name or set id.

The one place other domains (drugs, chat) go to for documents; they never query the tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, or_, select

from lumen.db import Database
from lumen.knowledge.models import Document, DocumentSection
from lumen.problems import NotFound

LABEL_SEARCH_LIMIT = 50


class DocumentService:
    """Queries over ``documents`` and ``document_sections`` (indexed documents only)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def document(self, document_id: str) -> tuple[Document, Sequence[DocumentSection]]:
        """A completely indexed document and its sections in order. Raises ``NotFound``."""
        async with self._db.async_session() as session:
            document = await session.get(Document, document_id)
            if document is None or document.status != "indexed":
                raise NotFound(f"No document {document_id}.")
            sections = (
                await session.exec(
                    select(DocumentSection)
                    .where(DocumentSection.document_id == document_id)
                    .order_by(col(DocumentSection.position))
                )
            ).all()
        return document, sections

    async def label(self, set_id: str) -> tuple[Document, Sequence[DocumentSection]]:
        """The FDA label of an SPL set id. Raises ``NotFound``."""
        return await self.document(f"spl:{set_id}")

    async def search_labels(self, query: str) -> Sequence[Document]:
        """Labels whose brand name, generic name or title contains ``query`` (case-insensitive),
        brand names starting with it first; all labels when ``query`` is blank."""
        needle = query.strip().lower()
        statement = select(Document).where(Document.source == "spl", Document.status == "indexed")
        if needle:
            pattern = f"%{needle}%"
            statement = statement.where(
                or_(
                    col(Document.brand_name).ilike(pattern),
                    col(Document.generic_name).ilike(pattern),
                    col(Document.title).ilike(pattern),
                )
            )
        async with self._db.async_session() as session:
            rows = (
                await session.exec(
                    statement.order_by(col(Document.title)).limit(LABEL_SEARCH_LIMIT)
                )
            ).all()
        return sorted(rows, key=lambda d: not (d.brand_name or "").lower().startswith(needle))
