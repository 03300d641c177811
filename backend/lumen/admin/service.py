"""What administrators do: manage accounts (list, invite, change role, disable; the CLI's first
admin) and break glass.

Break glass is an administrator's emergency read of one conversation (HIPAA 45 CFR
164.312(a)(2)(ii), emergency access procedure): an explicit act with a stated reason (at least
20 characters), valid for ``break_glass_ttl_min`` minutes, audited at grant and at every read,
and shown to the patient on their account page with the reason.

Every change is recorded in the transaction that makes it.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lumen.admin.models import BreakGlassGrant
from lumen.admin.repository import BreakGlassRepository
from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, AuditLog
from lumen.auth.models import User
from lumen.auth.passwords import check_password_policy, hash_password
from lumen.auth.principal import ClientInfo, Principal
from lumen.auth.repository import UserRepository
from lumen.auth.roles import Role
from lumen.auth.service import normalise_email, token_hash
from lumen.auth.sessions import Sessions
from lumen.chat.schemas import ConversationDetail
from lumen.chat.service import ChatService
from lumen.db import Database, utcnow
from lumen.problems import InvalidInput, NotFound, Problem
from lumen.security.encryption import KeyRing, Sealed

MIN_REASON_CHARS = 20


class UserAdminService:
    """What an admin does to accounts. Every change is audited; a changed role or a
    disabled account ends that user's sessions (privilege change, OWASP ASVS 3.3.1)."""

    def __init__(
        self, db: Database, sessions: Sessions, audit: AuditLog, invitation_ttl_h: int
    ) -> None:
        self._db = db
        self._sessions = sessions
        self._audit = audit
        self._invitation_ttl = timedelta(hours=invitation_ttl_h)

    async def search(
        self, q: str, role: Role | None, limit: int, offset: int
    ) -> tuple[Sequence[User], int]:
        """Users by e-mail fragment and role, and the total."""
        async with self._db.async_session() as session:
            return await UserRepository(session).search(q, role, limit, offset)

    async def emails_of(self, user_ids: set[str]) -> dict[str, str]:
        """E-mail addresses by user id, for naming actors in the audit view (resolved at read
        time: the log itself holds ids only)."""
        async with self._db.async_session() as session:
            return await UserRepository(session).emails_of(user_ids)

    async def id_of(self, email: str) -> str | None:
        """The user id of an e-mail address, if it has an account."""
        async with self._db.async_session() as session:
            user = await UserRepository(session).by_email(email.strip().lower())
        return str(user.id) if user else None

    async def invite(
        self, admin: Principal, email: str, role: Role, client: ClientInfo
    ) -> tuple[User, str]:
        """An ``invited`` account and its one-time invitation token (valid
        ``invitation_ttl_h``). ``Conflict`` when the address has an account."""
        email = normalise_email(email)
        token = secrets.token_urlsafe(32)
        async with self._db.async_session() as session:
            user = User(
                email=email,
                role=role,
                status="invited",
                invitation_token_hash=token_hash(token),
                invitation_expires_at=utcnow() + self._invitation_ttl,
            )
            await UserRepository(session).add_new(user)
            await self._audit.append(
                session,
                admin.audit_event(
                    AuditAction.INVITE, client, "user", str(user.id), reason=f"role_{role}"
                ),
            )
            await session.commit()
        return user, token

    async def update(
        self,
        admin: Principal,
        user_id: uuid.UUID,
        role: Role | None,
        disabled: bool | None,
        client: ClientInfo,
    ) -> User:
        """Change a user's role and/or disable or re-enable them. ``InvalidInput`` for changes
        to oneself (an admin cannot lock themself out), ``NotFound`` for an unknown id."""
        if user_id == admin.user_id:
            raise InvalidInput("Administrators cannot change their own role or status.")
        events: list[tuple[AuditAction, str | None]] = []
        async with self._db.async_session() as session:
            user = await UserRepository(session).by_id(user_id)
            if user is None:
                raise NotFound(f"No user {user_id}.")
            if role is not None and role != user.role:
                events.append((AuditAction.ROLE_CHANGE, f"{user.role}_to_{role}"))
                user.role = role
            if disabled is True and user.status != "disabled":
                events.append((AuditAction.USER_DISABLE, None))
                user.status = "disabled"
            elif disabled is False and user.status == "disabled":
                events.append((AuditAction.USER_ENABLE, None))
                user.status = "active" if user.password_hash or user.oidc_subject else "invited"
            session.add(user)
            for action, reason in events:
                await self._audit.append(
                    session, admin.audit_event(action, client, "user", str(user.id), reason=reason)
                )
            await session.commit()
        if events:
            await self._sessions.end_all(str(user.id))
        return user

    async def create(self, email: str, role: Role, password: str) -> User:
        """An active account made by the operator (``lumen users create``); the password
        must meet the policy. ``Conflict`` when the address has an account."""
        email = normalise_email(email)
        check_password_policy(password, email)
        async with self._db.async_session() as session:
            user = User(
                email=email,
                role=role,
                password_hash=hash_password(password),
                password_changed_at=utcnow(),
            )
            await UserRepository(session).add_new(user)
            await self._audit.append(
                session,
                AuditEvent(
                    action=AuditAction.REGISTER,
                    actor_role="operator",
                    object_type="user",
                    object_id=str(user.id),
                    reason=f"cli_role_{role}",
                ),
            )
            await session.commit()
        return user


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


class BreakGlassService:
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
            await self._audit.append(
                session,
                admin.audit_event(
                    AuditAction.BREAK_GLASS_GRANT, client, "conversation", str(conversation_id)
                ),
            )
            await session.commit()
        return self._view(grant)

    async def read(
        self, admin: Principal, grant_id: uuid.UUID, client: ClientInfo
    ) -> tuple[GrantView, ConversationDetail]:
        """The conversation of a live grant of this admin (a read: recorded on its own).
        ``NotFound`` for another admin's or an unknown grant, ``GrantExpired`` past its
        limit."""
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
            rows = await BreakGlassRepository(session).of_owner(owner_id)
        return [self._view(row) for row in rows]

    async def forget_owner(self, owner_id: str) -> None:
        """Delete the grants on an owner's conversations (account deletion); the audit log
        keeps that they happened."""
        async with self._db.async_session() as session:
            for row in await BreakGlassRepository(session).of_owner(owner_id):
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
