"""Administration of accounts: list, invite, change role, disable; the CLI's first admin."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, AuditLog
from lumen.auth.models import User
from lumen.auth.passwords import check_password_policy, hash_password
from lumen.auth.principal import ClientInfo, Principal
from lumen.auth.repository import UserRepository
from lumen.auth.roles import Role
from lumen.auth.service import normalise_email, token_hash
from lumen.auth.sessions import Sessions
from lumen.db import Database, utcnow
from lumen.problems import InvalidInput, NotFound


class UserAdmin:
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
            await session.commit()
        await self._audit.record(
            admin.audit_event(
                AuditAction.INVITE, client, "user", str(user.id), reason=f"role_{role}"
            )
        )
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
            await session.commit()
        if events:
            await self._sessions.end_all(str(user.id))
        for action, reason in events:
            await self._audit.record(
                admin.audit_event(action, client, "user", str(user.id), reason=reason)
            )
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
            await session.commit()
        await self._audit.record(
            AuditEvent(
                action=AuditAction.REGISTER,
                actor_role="operator",
                object_type="user",
                object_id=str(user.id),
                reason=f"cli_role_{role}",
            )
        )
        return user
