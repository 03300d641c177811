"""Queries of the knowledge tables: source documents and their sections."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Integer, and_, literal_column, not_, table, tuple_
from sqlalchemy.orm import defer
from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.knowledge.labels import (
    LABEL_TRIGRAMS,
    TRIGRAM_CANDIDATES_MAX,
    LabelCursor,
    LabelTier,
    like_substring,
    prefix_range,
    trigram_query,
)
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

    async def label_page(
        self, tier: LabelTier, needle: str, after: LabelCursor | None, limit: int
    ) -> Sequence[Document]:
        """Up to ``limit`` indexed FDA labels of one ranking tier (``lumen.knowledge.labels``)
        for the folded query ``needle``, in the tier's order (name key, then id), starting
        after ``after`` when it is of this tier. ``text`` is not loaded (a summary needs none).

        Every branch is a range or an ordered walk of ``ix_documents_label_brand`` or
        ``ix_documents_label_generic``; tier 3 can also use the trigram indexes (PostgreSQL:
        pg_trgm, chosen by its planner; SQLite: FTS5, when it finds at most
        ``TRIGRAM_CANDIDATES_MAX`` labels).
        """
        brand_key, generic_key, doc_id = (
            col(Document.brand_key),
            col(Document.generic_key),
            col(Document.id),
        )
        order_key = generic_key if tier == LabelTier.GENERIC_PREFIX else brand_key
        statement = (
            select(Document)
            .options(defer(Document.text))  # type: ignore[arg-type]  # an attribute at runtime
            .where(Document.source == "spl", Document.status == INDEXED)
        )
        if tier != LabelTier.ALL:
            low, high = prefix_range(needle)
            brand_prefix = and_(brand_key >= low, brand_key < high)
            generic_prefix = and_(generic_key >= low, generic_key < high)
            matches: list[ColumnElement[bool]] = {
                LabelTier.BRAND_PREFIX: [brand_prefix],
                LabelTier.GENERIC_PREFIX: [generic_prefix, not_(brand_prefix)],
                LabelTier.SUBSTRING: [
                    or_(
                        brand_key.like(like_substring(needle), escape="\\"),
                        generic_key.like(like_substring(needle), escape="\\"),
                    ),
                    not_(brand_prefix),
                    not_(generic_prefix),
                ],
            }[tier]
            statement = statement.where(*matches)
            if tier == LabelTier.SUBSTRING and self.session.get_bind().dialect.name == "sqlite":
                candidates = await self._trigram_candidates(needle)
                if candidates == []:
                    return []
                if candidates is not None:
                    statement = statement.where(literal_column("documents.rowid").in_(candidates))
        if after is not None and after.tier == tier:
            statement = statement.where(
                tuple_(order_key, doc_id) > tuple_(after.key, after.document_id)
            )
        statement = statement.order_by(order_key, doc_id).limit(limit)
        return (await self.session.exec(statement)).all()

    async def _trigram_candidates(self, needle: str) -> list[int] | None:
        """SQLite: the rowids of tier 3's labels for ``needle`` (3+ characters: a name contains
        it, neither starts with it) from the FTS5 trigram index, or ``None`` when there are
        more than ``TRIGRAM_CANDIDATES_MAX`` (then walking the brand index fills a page
        sooner)."""
        statement = (
            select(literal_column("rowid", Integer))
            .select_from(table(LABEL_TRIGRAMS))
            .where(literal_column(LABEL_TRIGRAMS).op("MATCH")(trigram_query(needle)))
            .limit(TRIGRAM_CANDIDATES_MAX + 1)
        )
        rowids = list((await self.session.exec(statement)).all())
        return rowids if len(rowids) <= TRIGRAM_CANDIDATES_MAX else None

    async def count_indexed(self) -> int:
        """The number of completely indexed documents."""
        return (
            await self.session.exec(
                select(func.count()).select_from(Document).where(Document.status == INDEXED)
            )
        ).one()
