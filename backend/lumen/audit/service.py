"""Appending to, reading and verifying the audit log.

One append path for request handlers (async) and background jobs or the CLI (sync): the sync
function runs on an async session through ``AsyncSession.run_sync``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, update
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.sql.expression import SelectOfScalar

from lumen.audit.actions import AuditAction
from lumen.audit.chain import ChainReport, entry_hash, verify_chain
from lumen.audit.models import AuditChainHead, AuditEntry
from lumen.db import Database

_T = TypeVar("_T")
USER_AGENT_CHARS = 256
VERIFY_BATCH = 1000


@dataclass(frozen=True)
class AuditEvent:
    """What happened, by whom, to which object. Ids and machine codes only: no PHI."""

    action: AuditAction
    outcome: str = "success"  # success | failure
    actor_id: str | None = None
    actor_role: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    reason: str | None = None
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the admin audit view; ``None`` means any. Times are inclusive bounds."""

    actor_id: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def append(session: Session, event: AuditEvent) -> AuditEntry:
    """Append one entry in ``session``'s transaction (the caller commits).

    Bumping the head row first takes the write lock, so the entry's ``seq`` and ``prev_hash``
    are read under it and concurrent appends cannot fork the chain.
    """
    session.execute(
        update(AuditChainHead).where(col(AuditChainHead.id) == 1).values(seq=AuditChainHead.seq + 1)
    )
    head = session.execute(
        select(AuditChainHead.seq, AuditChainHead.hash).where(col(AuditChainHead.id) == 1)
    ).one()
    fields = asdict(event)
    fields["action"] = str(event.action)
    if fields["user_agent"]:
        fields["user_agent"] = fields["user_agent"][:USER_AGENT_CHARS]
    entry = AuditEntry(seq=head.seq, prev_hash=head.hash, hash="", **fields)
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.execute(
        update(AuditChainHead).where(col(AuditChainHead.id) == 1).values(hash=entry.hash)
    )
    return entry


class AuditLog:
    """The audit log of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, event: AuditEvent) -> None:
        """Append ``event`` in its own transaction."""
        async with self._db.async_session() as session:
            await session.run_sync(append, event)
            await session.commit()

    def record_sync(self, event: AuditEvent) -> None:
        """``record`` for threads without an event loop (job worker, CLI)."""
        with self._db.session() as session:
            append(session, event)
            session.commit()

    async def entries(
        self, where: AuditFilter, limit: int, offset: int
    ) -> tuple[Sequence[AuditEntry], int]:
        """Matching entries newest first (``limit``/``offset`` page) and the total count."""
        query = _filtered(select(AuditEntry), where)
        async with self._db.async_session() as session:
            total = (
                await session.exec(_filtered(select(func.count()).select_from(AuditEntry), where))
            ).one()
            rows = (
                await session.exec(
                    query.order_by(col(AuditEntry.seq).desc()).limit(limit).offset(offset)
                )
            ).all()
        return rows, int(total)

    async def all_entries(self, where: AuditFilter) -> Sequence[AuditEntry]:
        """Every matching entry, oldest first (exports)."""
        async with self._db.async_session() as session:
            return (
                await session.exec(
                    _filtered(select(AuditEntry), where).order_by(col(AuditEntry.seq))
                )
            ).all()

    def verify(self) -> ChainReport:
        """Check the whole chain (sync: it reads every entry; run it off the event loop)."""
        with self._db.session() as session:
            head = session.get(AuditChainHead, 1)
            assert head is not None, "the migration creates the chain head"
            return verify_chain(_batches(session), head.seq, head.hash)


def _batches(session: Session) -> Iterator[AuditEntry]:
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
        last = rows[-1].seq


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
