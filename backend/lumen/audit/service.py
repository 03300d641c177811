"""Appending to, reading and verifying the audit log.

The rule (HIPAA 164.312(b) audit controls): a service records an action in the same transaction
as the change it records, so that neither can commit without the other. ``AuditLog.append``
(async) and ``append`` (sync) write into the caller's session; the caller commits. An audit
write that fails raises ``AuditUnavailable`` (503 problem+json) and the caller's transaction
rolls back with it. ``AuditLog.record`` opens a transaction of its own, only for events that
change nothing (a refused attempt, a failed read): there is no change for it to disagree with.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from lumen.audit.actions import AuditAction
from lumen.audit.chain import ChainReport, entry_hash, verify_chain
from lumen.audit.models import AuditChainHead, AuditEntry
from lumen.db import Database
from lumen.problems import ServiceUnavailable

_T = TypeVar("_T")
USER_AGENT_CHARS = 256
VERIFY_BATCH = 1000


class AuditUnavailable(ServiceUnavailable):
    """The audit entry could not be written, so the action it records was not done either."""

    title = "Audit log unavailable"


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

    The caller's pending changes are flushed first, so that their own errors surface as they
    are. Bumping the head row then takes the write lock, so the entry's ``seq`` and
    ``prev_hash`` are read under it and concurrent appends cannot fork the chain; the lock is
    held until the caller's transaction ends. Raises ``AuditUnavailable`` when the entry cannot
    be written (the caller's transaction must then roll back, which leaving its session block
    on the exception does).
    """
    session.flush()
    try:
        session.execute(
            update(AuditChainHead)
            .where(col(AuditChainHead.id) == 1)
            .values(seq=AuditChainHead.seq + 1)
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
        session.flush()
    except SQLAlchemyError as exc:
        raise AuditUnavailable(
            "The audit log could not record this action, so it was not done. Try again shortly."
        ) from exc
    return entry


class AuditLog:
    """The audit log of one database."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, session: AsyncSession, event: AuditEvent) -> None:
        """Append ``event`` in ``session``'s transaction, beside the change it records (the
        caller commits both). Raises ``AuditUnavailable``."""
        await session.run_sync(append, event)

    async def record(self, event: AuditEvent) -> None:
        """Append ``event`` in a transaction of its own: only for events that change nothing
        (refused attempts, failed reads). Raises ``AuditUnavailable``."""
        async with self._db.async_session() as session:
            await session.run_sync(append, event)
            await session.commit()

    def record_sync(self, event: AuditEvent) -> None:
        """``record`` for threads without an event loop (job worker, CLI); the same rule."""
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
