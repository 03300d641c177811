"""Queries of the audit tables: filtered pages of entries, and the whole chain in batches."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from lumen.audit.models import AuditEntry
from lumen.audit.schemas import AuditFilter

_T = TypeVar("_T")
VERIFY_BATCH = 1000


class AuditRepository:
    """Typed reads of ``audit_entries`` (the log is append-only: ``append`` writes it)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, where: AuditFilter, limit: int, offset: int
    ) -> tuple[Sequence[AuditEntry], int]:
        """Matching entries newest first (``limit``/``offset`` page) and the total count."""
        total = (
            await self.session.exec(_filtered(select(func.count()).select_from(AuditEntry), where))
        ).one()
        rows = (
            await self.session.exec(
                _filtered(select(AuditEntry), where)
                .order_by(col(AuditEntry.id).desc())
                .limit(limit)
                .offset(offset)
            )
        ).all()
        return rows, int(total)

    async def matching(self, where: AuditFilter) -> Sequence[AuditEntry]:
        """Every matching entry, oldest first."""
        return (
            await self.session.exec(
                _filtered(select(AuditEntry), where).order_by(col(AuditEntry.id))
            )
        ).all()


def in_chain_order(session: Session) -> Iterator[AuditEntry]:
    """Every sealed entry by ``seq``, read ``VERIFY_BATCH`` at a time (sync: the chain
    check)."""
    last = 0
    while True:
        rows = (
            session.execute(
                select(AuditEntry)
                .where(col(AuditEntry.seq) > last)
                .order_by(col(AuditEntry.seq))
                .limit(VERIFY_BATCH)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq or 0  # never None: the query reads sealed entries


def _filtered(query: SelectOfScalar[_T], where: AuditFilter) -> SelectOfScalar[_T]:
    if where.actor_id:
        query = query.where(col(AuditEntry.actor_id) == where.actor_id)
    if where.action:
        query = query.where(col(AuditEntry.action) == where.action)
    if where.object_type:
        query = query.where(col(AuditEntry.object_type) == where.object_type)
    if where.object_id:
        query = query.where(col(AuditEntry.object_id) == where.object_id)
    if where.since:
        query = query.where(col(AuditEntry.at) >= where.since)
    if where.until:
        query = query.where(col(AuditEntry.at) <= where.until)
    return query
