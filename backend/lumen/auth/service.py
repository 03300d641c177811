"""Registration, sign-in (password, invitation), password changes and sessions: the auth
domain's logic. The second factor is in ``two_factor``, organisation sign-in in ``oidc``.

Every change that matters to an auditor is recorded in the transaction that makes it, with
ids and machine codes only (no e-mail addresses, no secrets); refused attempts, which change
nothing, are recorded on their own. CPU-heavy checks (argon2id, zxcvbn) run off the event loop.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

import anyio
from limits.aio.storage import Storage

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, AuditLog
from lumen.auth import passwords
from lumen.auth.models import User
from lumen.auth.principal import ClientInfo, audit_event
from lumen.auth.repository import UserRepository
from lumen.auth.roles import MFA_REQUIRED, Role
from lumen.auth.sessions import SessionRecord, Sessions
from lumen.auth.throttle import (
    ACCOUNT_POLICY,
    IP_POLICY,
    FailureThrottle,
    RateLimit,
    account_key,
    ip_key,
)
from lumen.db import Database, utcnow
from lumen.problems import InvalidInput, NotFound, Unauthorized

SIGNED_IN = "signed_in"
MFA_PENDING = "mfa_required"
MFA_ENROLLMENT = "mfa_enrollment_required"
BAD_CREDENTIALS = "The e-mail address or password is incorrect."
# Deliberately loose (RFC 5321 addresses are too varied for a regex); the address is only an
# identifier here, nothing is mailed to it.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class SignIn:
    """A new session: the raw id for the cookie, its record and the user."""

    session_id: str
    record: SessionRecord
    user: User


def normalise_email(email: str) -> str:
    """Trimmed, lower-case address; ``InvalidInput`` (field ``email``) if it is not one."""
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidInput("Enter an e-mail address such as name@example.org.", field="email")
    return email


def token_hash(token: str) -> str:
    """SHA-256 hex of a high-entropy token (invitations, API tokens)."""
    return hashlib.sha256(token.encode()).hexdigest()


async def signed_in_user(repo: UserRepository, user_id: uuid.UUID | str) -> User:
    """The user of a live session or token. ``Unauthorized`` when the account is gone."""
    user = await repo.by_id(user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(user_id))
    if user is None:
        raise Unauthorized("This account no longer exists.")
    return user


def user_event(
    action: AuditAction,
    user: User | None,
    client: ClientInfo,
    *,
    outcome: str = "success",
    reason: str | None = None,
    object_id: str | None = None,
) -> AuditEvent:
    """The audit entry of ``action`` by ``user`` (``None``: no such account) on the account
    ``object_id``, if one is named."""
    return audit_event(
        action,
        str(user.id) if user else None,
        user.role if user else None,
        client,
        "user" if object_id else None,
        object_id,
        outcome=outcome,
        reason=reason,
    )  # fmt: skip


class AuthService:
    """Accounts and sessions over the database, the session store and the throttles."""

    def __init__(
        self,
        db: Database,
        sessions: Sessions,
        storage: Storage,
        audit: AuditLog,
        register_rate_limit: str,
    ) -> None:
        self._db = db
        self.sessions = sessions
        self._audit = audit
        self._login_throttle = FailureThrottle(storage, "login")
        self._register_limit = RateLimit(storage, "register", register_rate_limit)

    # --- registration and sign-in ----------------------------------------------------------

    async def register(self, email: str, password: str, client: ClientInfo) -> SignIn:
        """Create a ``patient`` account and sign it in.

        Raises ``InvalidInput``/``WeakPassword`` (422, with ``field``), ``Conflict`` (409) when
        the address has an account, ``TooManyRequests`` past the registration rate per IP.
        """
        email = normalise_email(email)
        await self._register_limit.hit(ip_key(client.ip))
        await anyio.to_thread.run_sync(passwords.check_password_policy, password, email)
        password_hash = await anyio.to_thread.run_sync(passwords.hash_password, password)
        async with self._db.async_session() as session:
            user = User(
                email=email,
                role=Role.PATIENT,
                password_hash=password_hash,
                password_changed_at=utcnow(),
                last_sign_in_at=utcnow(),
            )
            await UserRepository(session).add_new(user)
            await self._audit.append(
                session, user_event(AuditAction.REGISTER, user, client, object_id=str(user.id))
            )
            await session.commit()
        return await self.start_session(user, client)

    async def login(self, email: str, password: str, client: ClientInfo) -> SignIn:
        """Check e-mail and password and start a session (its ``state`` says whether a TOTP
        challenge or an enrollment comes next).

        Raises ``Unauthorized`` with one message for every failure (no account enumeration),
        ``TooManyRequests`` with ``Retry-After`` while the account or address backs off or is
        locked.
        """
        email = email.strip().lower()
        keys = {account_key(email): ACCOUNT_POLICY, ip_key(client.ip): IP_POLICY}
        await self._login_throttle.check(*keys)
        async with self._db.async_session() as session:
            user = await UserRepository(session).by_email(email)
        # The password is checked with no transaction open (argon2 takes ~100 ms; SQLite's
        # write lock is not held through it).
        usable = user is not None and user.status == "active"
        stored = user.password_hash if user is not None and usable else None
        ok = await anyio.to_thread.run_sync(passwords.verify_password, password, stored)
        if not ok:
            locked = await self._login_throttle.failure(keys)
            reason = "bad_credentials" if usable or user is None else f"user_{user.status}"
            object_id = str(user.id) if user else None
            await self._audit.record(
                user_event(
                    AuditAction.SIGN_IN,
                    user,
                    client,
                    outcome="failure",
                    reason=reason,
                    object_id=object_id,
                )  # fmt: skip
            )
            if locked:
                await self._audit.record(
                    user_event(
                        AuditAction.LOCKOUT,
                        user,
                        client,
                        reason="failed_sign_ins",
                        object_id=object_id,
                    )  # fmt: skip
                )
            raise Unauthorized(BAD_CREDENTIALS)
        assert user is not None
        await self._login_throttle.success(account_key(email))
        rehashed = (
            await anyio.to_thread.run_sync(passwords.hash_password, password)
            if passwords.needs_rehash(user.password_hash)
            else None
        )
        async with self._db.async_session() as session:
            user = await signed_in_user(UserRepository(session), user.id)
            if user.status != "active":  # disabled while the password was being checked
                raise Unauthorized(BAD_CREDENTIALS)
            if rehashed is not None:
                user.password_hash = rehashed
            user.last_sign_in_at = utcnow()
            session.add(user)
            await self._audit.append(
                session, user_event(AuditAction.SIGN_IN, user, client, object_id=str(user.id))
            )
            await session.commit()
        return await self.start_session(user, client)

    async def accept_invitation(self, token: str, password: str, client: ClientInfo) -> SignIn:
        """Set the password of an invited account and sign it in. ``NotFound`` for an
        unknown, used or expired invitation; ``WeakPassword`` as for registration."""
        async with self._db.async_session() as session:
            user = await UserRepository(session).by_invitation(token_hash(token))
            expires = user.invitation_expires_at if user else None
            if user is None or user.status != "invited" or expires is None or expires < utcnow():
                raise NotFound("This invitation is unknown, used or expired. Ask for a new one.")
            await anyio.to_thread.run_sync(passwords.check_password_policy, password, user.email)
            user.password_hash = await anyio.to_thread.run_sync(passwords.hash_password, password)
            user.password_changed_at = user.last_sign_in_at = utcnow()
            user.status = "active"
            user.invitation_token_hash = user.invitation_expires_at = None
            session.add(user)
            await self._audit.append(
                session,
                user_event(AuditAction.INVITATION_ACCEPT, user, client, object_id=str(user.id)),
            )
            await session.commit()
        return await self.start_session(user, client)

    async def start_session(self, user: User, client: ClientInfo, mfa_done: bool = False) -> SignIn:
        """A new session for ``user``, waiting for the TOTP challenge or enrollment the
        account needs; ``mfa_done``: an organisation's provider did the second factor."""
        if mfa_done:
            state = SIGNED_IN
        elif user.totp_enabled:
            state = MFA_PENDING
        elif Role(user.role) in MFA_REQUIRED:
            state = MFA_ENROLLMENT
        else:
            state = SIGNED_IN
        session_id, record = await self.sessions.issue(
            str(user.id), user.role, state, client.ip, client.user_agent
        )
        return SignIn(session_id, record, user)

    # --- password and sessions ---------------------------------------------------------------

    async def change_password(
        self, session_id: str, record: SessionRecord, current: str, new: str, client: ClientInfo
    ) -> SignIn:
        """Replace the password after checking the current one; every other session ends and
        this one gets a new id. ``InvalidInput`` (field ``current_password``) for a wrong
        current password, ``WeakPassword`` for a new one that fails the policy."""
        async with self._db.async_session() as session:
            user = await signed_in_user(UserRepository(session), record.user_id)
            if user.password_hash is None:
                raise InvalidInput("This account signs in through your organisation.")
            await self.reauthenticate(user, current, "current_password")
            await anyio.to_thread.run_sync(
                passwords.check_password_policy, new, user.email, "new_password"
            )
            user.password_hash = await anyio.to_thread.run_sync(passwords.hash_password, new)
            user.password_changed_at = utcnow()
            session.add(user)
            await self._audit.append(
                session,
                user_event(AuditAction.PASSWORD_CHANGE, user, client, object_id=str(user.id)),
            )
            await session.commit()
        await self.sessions.end_all(record.user_id, keep_session_id=session_id)
        session_id, record = await self.sessions.rotate(session_id, record)
        return SignIn(session_id, record, user)

    # Ending sessions changes the session store, not the database: there is no transaction to
    # share, so these entries are recorded once the sessions are gone.

    async def logout(self, session_id: str, record: SessionRecord, client: ClientInfo) -> None:
        """End this session."""
        await self.sessions.end(session_id, record.user_id)
        await self._audit.record(
            audit_event(
                AuditAction.SESSION_END, record.user_id, record.role, client, reason="sign_out"
            )
        )

    async def logout_all(self, record: SessionRecord, client: ClientInfo) -> int:
        """End every session of the user, this one included; how many ended."""
        ended = await self.sessions.end_all(record.user_id)
        await self._audit.record(
            audit_event(AuditAction.SESSIONS_END_ALL, record.user_id, record.role, client)
        )
        return ended

    async def end_session(self, record: SessionRecord, handle: str, client: ClientInfo) -> None:
        """End one of the user's sessions by its public handle. ``NotFound`` if none."""
        if not await self.sessions.end_by_handle(record.user_id, handle):
            raise NotFound(f"No session {handle}.")
        await self._audit.record(
            audit_event(
                AuditAction.SESSION_END, record.user_id, record.role, client, "session", handle
            )
        )

    async def user_of(self, record: SessionRecord) -> User:
        """The user a session belongs to."""
        async with self._db.async_session() as session:
            return await signed_in_user(UserRepository(session), record.user_id)

    async def reauthenticate(self, user: User, password: str, field: str = "password") -> None:
        """Check the password of a signed-in user (a wrong one is a 422 on ``field``, not a
        401: the session is fine) under the sign-in throttle."""
        throttle_key = account_key(user.email)
        await self._login_throttle.check(throttle_key)
        ok = await anyio.to_thread.run_sync(passwords.verify_password, password, user.password_hash)
        if not ok:
            await self._login_throttle.failure({throttle_key: ACCOUNT_POLICY})
            raise InvalidInput("The password is not right.", field=field)
