"""Appending to, reading and verifying the audit log.

The rule (HIPAA 164.312(b) audit controls): a service records an action in the same transaction
as the change it records, so that neither can commit without the other. ``AuditLog.append``
(async) and ``append`` (sync) write into the caller's session; the caller commits. Entries are
chained into the log's hash chain in batches by the sealer (``lumen.audit.sealing``). An audit
write that fails raises ``AuditUnavailable`` (503 problem+json) and the caller's transaction
rolls back with it. ``AuditLog.record`` opens a transaction of its own, only for events that
change nothing (a refused attempt, a failed read): there is no change for it to disagree with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Protocol

import anyio
from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.audit.actions import AuditAction
from lumen.audit.chain import ChainReport, verify_chain
from lumen.audit.checkpoints import (
    Checkpoint,
    Checkpoints,
    InvalidCheckpoint,
    load_signing_key,
)
from lumen.audit.models import AuditChainHead, AuditEntry
from lumen.audit.repository import AuditRepository, in_chain_order
from lumen.audit.schemas import AuditEntryOut, AuditFilter, AuditPage
from lumen.audit.sealing import AuditSealer
from lumen.db import Database, table_of, utcnow
from lumen.problems import ServiceUnavailable
from lumen.settings import Settings

if TYPE_CHECKING:  # auth's principal builds audit events: a runtime import would be circular
    from lumen.auth.principal import ClientInfo, Principal

USER_AGENT_CHARS = 256
ENTRIES = table_of(AuditEntry)  # entries are inserted into the table (``table_of``)
# Built once, executed with each entry's values: building the statement again for every
# append cost as much as running it.
_INSERT_ENTRY = insert(ENTRIES)


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


def entry_row(event: AuditEvent) -> dict[str, object]:
    """The ``audit_entries`` column values of an unsealed entry for ``event``, stamped now."""
    fields = asdict(event)
    fields["action"] = str(event.action)
    if fields["user_agent"]:
        fields["user_agent"] = fields["user_agent"][:USER_AGENT_CHARS]
    fields["at"] = utcnow()
    return fields


UNAVAILABLE = "The audit log could not record this action, so it was not done. Try again shortly."


def append(session: Session, event: AuditEvent) -> None:
    """Append one entry, unsealed, in ``session``'s transaction (the caller commits; the
    sealer chains it shortly after, ``lumen.audit.sealing``).

    The caller's pending changes are flushed first, so that their own errors surface as they
    are; then the entry is inserted (a Core INSERT on the session's connection: no ORM object to
    build), so that a refused insert surfaces here. No lock is taken beyond the insert's own.
    Raises ``AuditUnavailable`` when the entry cannot be written (the caller's transaction must
    then roll back, which leaving its session block on the exception does).
    """
    session.flush()
    try:
        session.connection().execute(_INSERT_ENTRY, entry_row(event))
    except SQLAlchemyError as exc:
        raise AuditUnavailable(UNAVAILABLE) from exc


class AuditLog:
    """The audit log of one database, its sealer and its signed checkpoints."""

    def __init__(self, db: Database, sealer: AuditSealer) -> None:
        self._db = db
        self.sealer = sealer
        self._pending: list[tuple[dict[str, object], asyncio.Future[None]]] = []
        self._draining: asyncio.Future[None] | None = None

    async def append(self, session: AsyncSession, event: AuditEvent) -> None:
        """Append ``event`` in ``session``'s transaction, beside the change it records (the
        caller commits both). Raises ``AuditUnavailable``."""
        await session.run_sync(append, event)

    async def record(self, event: AuditEvent) -> None:
        """Append ``event`` in a transaction of its own: only for events that change nothing
        (refused attempts, failed reads). Returns once the entry is committed. Raises
        ``AuditUnavailable``, the commit's failure included.

        Entries recorded at the same moment share one transaction (group commit): while one
        batch commits, the next gathers, so a burst costs one round of commits per batch
        rather than per entry. A batch the database refuses is retried entry by entry, so a
        refusal reaches only the caller whose entry it was.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((entry_row(event), future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.ensure_future(self._drain())
        await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                try:
                    await self._insert([row for row, _ in batch])
                    outcomes: list[BaseException | None] = [None] * len(batch)
                except AuditUnavailable:
                    outcomes = [await self._insert_alone(row) for row, _ in batch]
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if outcome is None:
                        future.set_result(None)
                    else:
                        future.set_exception(outcome)
            finally:  # cancelled or failed otherwise: no caller waits forever
                for _, future in batch:
                    if not future.done():
                        future.set_exception(AuditUnavailable(UNAVAILABLE))

    async def _insert(self, rows: list[dict[str, object]]) -> None:
        try:
            async with self._db.async_engine.begin() as connection:
                await connection.execute(_INSERT_ENTRY, rows)
        except SQLAlchemyError as exc:
            raise AuditUnavailable(UNAVAILABLE) from exc

    async def _insert_alone(self, row: dict[str, object]) -> BaseException | None:
        try:
            await self._insert([row])
        except AuditUnavailable as exc:
            return exc
        return None

    async def entries(
        self, where: AuditFilter, limit: int, offset: int
    ) -> tuple[Sequence[AuditEntry], int]:
        """Matching entries newest first (``limit``/``offset`` page) and the total count."""
        async with self._db.async_session() as session:
            return await AuditRepository(session).page(where, limit, offset)

    async def all_entries(self, where: AuditFilter) -> Sequence[AuditEntry]:
        """Every matching entry, oldest first (exports)."""
        async with self._db.async_session() as session:
            return await AuditRepository(session).matching(where)

    def verify(self) -> ChainReport:
        """Seal what is pending, then check the whole chain against its head and every signed
        checkpoint (sync: it reads every entry; run it off the event loop). A checkpoint file
        whose signature fails makes the report broken with no entry named."""
        return self._verify(self.sealer.checkpoints.all)

    def verify_against_latest(self) -> ChainReport:
        """``verify`` against the newest signed checkpoint only: the scheduled check
        (``lumen.audit.verification``). It detects what ``verify`` detects up to that
        checkpoint (a rewrite before it changes the hash the checkpoint signed, a truncation
        ends the chain before it) without reading every checkpoint file, which accumulate one
        per ``audit_checkpoint_interval_s``; it only dates a rewrite less precisely, and does
        not check older checkpoint files (``verify`` does). Still O(entries): every entry is
        read and hashed, 100,000 in 3.2 s on SQLite and 3.0 s on PostgreSQL (measured on this
        project's 2-core machine)."""
        return self._verify(lambda: [c] if (c := self.sealer.checkpoints.latest_signed()) else [])

    def _verify(self, checkpoints: Callable[[], Sequence[Checkpoint]]) -> ChainReport:
        self.sealer.seal()
        try:
            signed = {c.seq: c.hash for c in checkpoints()}
        except InvalidCheckpoint as exc:
            return ChainReport(False, 0, None, str(exc))
        with self._db.session() as session:
            head = session.get(AuditChainHead, 1)
            assert head is not None, "the migration creates the chain head"
            return verify_chain(in_chain_order(session), head.seq, head.hash, signed)


def open_audit_log(settings: Settings, db: Database) -> AuditLog:
    """The audit log of ``db`` with its sealer (not started) and checkpoints as ``settings``
    say. Raises ``SigningKeyMissing`` in production without a signing key."""
    folder = settings.audit_checkpoint_dir or settings.data_dir / "audit-checkpoints"
    sealer = AuditSealer(
        db,
        Checkpoints(folder, load_signing_key(settings)),
        settings.audit_seal_interval_s,
        settings.audit_checkpoint_interval_s,
    )
    return AuditLog(db, sealer)


class ActorDirectory(Protocol):
    """Who the log's actor ids are (the log holds ids only; the accounts domain answers)."""

    async def id_of(self, email: str) -> str | None:
        """The user id of an e-mail address, if it has an account."""
        ...

    async def emails_of(self, user_ids: set[str]) -> dict[str, str]:
        """E-mail addresses by user id."""
        ...


class AuditReview:
    """An administrator's review of the log: filtered pages, exports and the chain check.

    Every read of the log is itself recorded (issue 5: "every admin read of the audit log"):
    ``audit.read``, ``audit.export`` (reason: the format) and ``audit.verify`` (reason: ``ok``
    or ``broken``). A read changes nothing, so its entry has a transaction of its own
    (``AuditLog.record``); a page or an export whose entry cannot be written is not served.
    """

    def __init__(self, log: AuditLog, actors: ActorDirectory) -> None:
        self._log = log
        self._actors = actors

    async def page(
        self, reader: Principal, client: ClientInfo, where: AuditFilter, limit: int, offset: int
    ) -> AuditPage:
        """Entries matching ``where`` newest first, with their actors' e-mail addresses, and
        the total. Raises ``AuditUnavailable``."""
        await self._log.record(reader.audit_event(AuditAction.AUDIT_READ, client, "audit_log"))
        rows, total = await self._log.entries(await self._resolved(where), limit, offset)
        emails = await self._actors.emails_of({e.actor_id for e in rows if e.actor_id})
        items = [
            AuditEntryOut(
                **e.model_dump(), actor_email=emails.get(e.actor_id) if e.actor_id else None
            )
            for e in rows
        ]
        return AuditPage(items=items, total=total)

    async def export(
        self, reader: Principal, client: ClientInfo, where: AuditFilter, format: str
    ) -> Sequence[AuditEntry]:
        """Every entry matching ``where``, oldest first, for an export file in ``format``.
        Raises ``AuditUnavailable``."""
        await self._log.record(
            reader.audit_event(AuditAction.AUDIT_EXPORT, client, "audit_log", reason=format)
        )
        return await self._log.all_entries(await self._resolved(where))

    async def verify(self, reader: Principal, client: ClientInfo) -> ChainReport:
        """Check the whole chain off the event loop, then record the verdict. Raises
        ``AuditUnavailable``."""
        report = await anyio.to_thread.run_sync(self._log.verify)
        verdict = "ok" if report.ok else "broken"
        await self._log.record(
            reader.audit_event(AuditAction.AUDIT_VERIFY, client, "audit_log", reason=verdict)
        )
        return report

    async def _resolved(self, where: AuditFilter) -> AuditFilter:
        """``where`` with an e-mail address in ``actor_id`` resolved to the account's id; one
        without an account is left as it is, and matches nothing."""
        if where.actor_id and "@" in where.actor_id:
            actor_id = await self._actors.id_of(where.actor_id) or where.actor_id
            return replace(where, actor_id=actor_id)
        return where
