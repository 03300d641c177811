"""Break glass: an administrator's emergency read of one conversation (HIPAA 45 CFR
164.312(a)(2)(ii), emergency access procedure).

An explicit act with a stated reason (at least 20 characters), valid for
``break_glass_ttl_min`` minutes, audited at grant and at every read, and shown to the patient on
their account page with the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditLog
from lumen.auth.models import BreakGlassGrant
from lumen.auth.principal import ClientInfo, Principal
from lumen.chat.schemas import ConversationDetail
from lumen.chat.service import ChatService
from lumen.db import Database, utcnow
from lumen.problems import InvalidInput, NotFound, Problem
from lumen.security.encryption import KeyRing, Sealed

MIN_REASON_CHARS = 20


class GrantExpired(Problem):
    """The break-glass grant is past its time limit (RFC 9110 section 15.5.11, Gone)."""

    status = 410
    title = "Access expired"


@dataclass(frozen=True)
class GrantView:
    """A grant with its reason opened."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    reason: str
    created_at: datetime
    expires_at: datetime


class BreakGlass:
    """Grants and reads of conversations by administrators."""

    def __init__(
        self, db: Database, keys: KeyRing, chat: ChatService, audit: AuditLog, ttl_min: int
    ) -> None:
        self._db = db
        self._keys = keys
        self._chat = chat
        self._audit = audit
        self._ttl = timedelta(minutes=ttl_min)

    async def grant(
        self, admin: Principal, conversation_id: uuid.UUID, reason: str, client: ClientInfo
    ) -> GrantView:
        """Open a time-limited grant. ``InvalidInput`` (field ``reason``) for a reason under
        20 characters, ``NotFound`` for an unknown conversation."""
        reason = " ".join(reason.split())
        if len(reason) < MIN_REASON_CHARS:
            raise InvalidInput(
                f"State the reason for this access in at least {MIN_REASON_CHARS} characters.",
                field="reason",
            )
        owner_id = await self._chat.owner_of(conversation_id)
        grant_id = uuid.uuid4()
        sealed = self._keys.seal(reason, _reason_aad(grant_id))
        grant = BreakGlassGrant(
            id=grant_id,
            admin_id=admin.user_id,
            owner_id=owner_id,
            conversation_id=conversation_id,
            reason_ciphertext=sealed.ciphertext,
            reason_key_id=sealed.key_id,
            expires_at=utcnow() + self._ttl,
        )
        async with self._db.async_session() as session:
            session.add(grant)
            await session.commit()
        await self._audit.record(
            admin.audit_event(
                AuditAction.BREAK_GLASS_GRANT, client, "conversation", str(conversation_id)
            )
        )
        return self._view(grant)

    async def read(
        self, admin: Principal, grant_id: uuid.UUID, client: ClientInfo
    ) -> tuple[GrantView, ConversationDetail]:
        """The conversation of a live grant of this admin. ``NotFound`` for another admin's
        or an unknown grant, ``GrantExpired`` past its limit."""
        async with self._db.async_session() as session:
            grant = await session.get(BreakGlassGrant, grant_id)
        if grant is None or grant.admin_id != admin.user_id:
            raise NotFound(f"No break-glass grant {grant_id}.")
        if grant.expires_at <= utcnow():
            raise GrantExpired("This access has expired. Break glass again, with a reason.")
        detail = await self._chat.get_conversation(grant.owner_id, grant.conversation_id)
        await self._audit.record(
            admin.audit_event(
                AuditAction.BREAK_GLASS_READ, client, "conversation", str(grant.conversation_id)
            )
        )
        return self._view(grant), detail

    async def of_owner(self, owner_id: str) -> list[GrantView]:
        """Every grant on the owner's conversations, newest first (shown to the patient)."""
        async with self._db.async_session() as session:
            rows: Sequence[BreakGlassGrant] = (
                await session.exec(
                    select(BreakGlassGrant)
                    .where(BreakGlassGrant.owner_id == owner_id)
                    .order_by(col(BreakGlassGrant.created_at).desc())
                )
            ).all()
        return [self._view(row) for row in rows]

    async def forget_owner(self, owner_id: str) -> None:
        """Delete the grants on an owner's conversations (account deletion); the audit log
        keeps that they happened."""
        async with self._db.async_session() as session:
            for row in (
                await session.exec(
                    select(BreakGlassGrant).where(BreakGlassGrant.owner_id == owner_id)
                )
            ).all():
                await session.delete(row)
            await session.commit()

    def _view(self, grant: BreakGlassGrant) -> GrantView:
        reason = self._keys.open(
            Sealed(grant.reason_key_id, grant.reason_ciphertext), _reason_aad(grant.id)
        )
        return GrantView(
            grant.id, grant.conversation_id, reason, grant.created_at, grant.expires_at
        )


def _reason_aad(grant_id: uuid.UUID) -> bytes:
    return b"lumen/break-glass-reason/" + grant_id.bytes
