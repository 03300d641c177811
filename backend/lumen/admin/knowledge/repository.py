"""Queries of the admin knowledge routes over ``documents``: counts grouped by a column, and
documents by collection, source, words and update time.

These read the knowledge domain's table directly, as ``lumen.knowledge.uploads.repository``
does for the same page: they are read-only aggregates that no knowledge service offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import col, func, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.knowledge.models import Document


@dataclass(frozen=True, slots=True)
class DocumentFilter:
    """Which documents to list: ``None`` or blank means any. ``updated_from`` is inclusive,
    ``updated_until`` exclusive (a day picked in the page is [its midnight, the next one))."""

    collection: str | None = None
    source: str | None = None
    q: str = ""
    updated_from: datetime | None = None
    updated_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class CountRow:
    """One group's counts (see ``schemas.KnowledgeCount``)."""

    name: str
    documents: int
    chunks: int
    indexing: int
    last_updated_at: datetime | None


class KnowledgeAdminRepository:
    """Typed queries over ``documents`` for administrators."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def counts_by(self, column: Literal["source", "collection"]) -> list[CountRow]:
        """Documents, chunks, documents still indexing and the newest update per value of
        ``column``, by name."""
        key = col(Document.source) if column == "source" else col(Document.collection)
        totals = (
            await self.session.exec(
                select(
                    key,
                    func.count(),
                    func.coalesce(func.sum(Document.chunk_count), 0),
                    func.max(Document.updated_at),
                )
                .group_by(key)
                .order_by(key)
            )
        ).all()
        indexing = dict(
            (
                await self.session.exec(
                    select(key, func.count()).where(col(Document.status) != "indexed").group_by(key)
                )
            ).all()
        )
        return [
            CountRow(str(name), int(docs), int(chunks), int(indexing.get(name, 0)), newest)
            for name, docs, chunks, newest in totals
        ]

    async def search(
        self, where: DocumentFilter, limit: int, offset: int
    ) -> tuple[Sequence[Document], int]:
        """Documents matching ``where`` (words: case-insensitive in the title or id), most
        recently updated first, and their total."""
        conditions: list[Any] = []
        if where.collection:
            conditions.append(col(Document.collection) == where.collection)
        if where.source:
            conditions.append(col(Document.source) == where.source)
        needle = where.q.strip()
        if needle:
            pattern = f"%{needle}%"
            conditions.append(
                or_(col(Document.title).ilike(pattern), col(Document.id).ilike(pattern))
            )
        if where.updated_from is not None:
            conditions.append(col(Document.updated_at) >= where.updated_from)
        if where.updated_until is not None:
            conditions.append(col(Document.updated_at) < where.updated_until)
        statement = select(Document).where(*conditions)
        counted = select(func.count()).select_from(Document).where(*conditions)
        rows = (
            await self.session.exec(
                statement.order_by(col(Document.updated_at).desc(), col(Document.id))
                .offset(offset)
                .limit(limit)
            )
        ).all()
        return rows, (await self.session.exec(counted)).one()
