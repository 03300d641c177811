"""Sign-in, registration, 2FA, password changes and sessions: the auth domain's logic.

Every outcome that matters to an auditor is written to the audit log here, with ids and
machine codes only (no e-mail addresses, no secrets). CPU-heavy checks (argon2id, zxcvbn) run
off the event loop.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass

import anyio
from limits.aio.storage import Storage

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditLog
from lumen.auth import passwords, totp
from lumen.auth.models import RecoveryCode, User
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
from lumen.problems import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from lumen.security.encryption import KeyRing, Sealed

SIGNED_IN = "signed_in"
MFA_PENDING = "mfa_required"
MFA_ENROLLMENT = "mfa_enrollment_required"
BAD_CREDENTIALS = "The e-mail address or password is incorrect."
BAD_CODE = "That code is not valid. Codes change every 30 seconds and work once."
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


class AuthService:
    """Accounts and sessions over the database, the session store and the throttles."""

    def __init__(
        self,
        db: Database,
        keys: KeyRing,
        sessions: Sessions,
        storage: Storage,
        audit: AuditLog,
        register_rate_limit: str,
    ) -> None:
        self._db = db
        self._keys = keys
        self.sessions = sessions
        self._audit = audit
        self._login_throttle = FailureThrottle(storage, "login")
        self._mfa_throttle = FailureThrottle(storage, "mfa")
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
            await session.commit()
        await self._record(AuditAction.REGISTER, user, client, object_id=str(user.id))
        return await self._start_session(user, client)

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
            usable = user is not None and user.status == "active"
            stored = user.password_hash if user is not None and usable else None
            ok = await anyio.to_thread.run_sync(passwords.verify_password, password, stored)
            if not ok:
                locked = await self._login_throttle.failure(keys)
                reason = "bad_credentials" if usable or user is None else f"user_{user.status}"
                await self._record(
                    AuditAction.SIGN_IN, user, client, outcome="failure", reason=reason,
                    object_id=str(user.id) if user else None,
                )  # fmt: skip
                if locked:
                    await self._record(
                        AuditAction.LOCKOUT, user, client, reason="failed_sign_ins",
                        object_id=str(user.id) if user else None,
                    )  # fmt: skip
                raise Unauthorized(BAD_CREDENTIALS)
            assert user is not None
            await self._login_throttle.success(account_key(email))
            if passwords.needs_rehash(user.password_hash):
                user.password_hash = await anyio.to_thread.run_sync(
                    passwords.hash_password, password
                )
            user.last_sign_in_at = utcnow()
            session.add(user)
            await session.commit()
        await self._record(AuditAction.SIGN_IN, user, client, object_id=str(user.id))
        return await self._start_session(user, client)

    async def sign_in_external(
        self, issuer: str, subject: str, email: str, role: Role, mfa_done: bool, client: ClientInfo
    ) -> SignIn:
        """Sign in a person an OIDC provider vouched for, creating the account on first visit.

        The provider is the source of truth for the role: a changed claim changes the role
        (audited). ``mfa_done``: the provider asserted multi-factor authentication (``amr``),
        so no TOTP is asked. Raises ``Conflict`` when a password account already uses the
        address (linking it would let the provider take over that account).
        """
        email = normalise_email(email)
        async with self._db.async_session() as session:
            repo = UserRepository(session)
            user = await repo.by_oidc(issuer, subject)
            if user is None:
                if await repo.by_email(email) is not None:
                    raise Conflict(
                        "An account with this e-mail address signs in with a password.",
                        field="email",
                    )
                user = User(email=email, role=role, oidc_issuer=issuer, oidc_subject=subject)
                created = True
            else:
                created = False
                if user.status != "active":
                    await self._record(
                        AuditAction.SIGN_IN_OIDC, user, client, outcome="failure",
                        reason=f"user_{user.status}", object_id=str(user.id),
                    )  # fmt: skip
                    raise Unauthorized("This account is disabled.")
            previous_role = user.role
            user.role = role
            user.last_sign_in_at = utcnow()
            session.add(user)
            await session.commit()
        if created:
            await self._record(AuditAction.REGISTER, user, client, object_id=str(user.id))
        elif previous_role != role:
            await self._record(
                AuditAction.ROLE_CHANGE, user, client, object_id=str(user.id), reason="oidc_claim"
            )
            await self.sessions.end_all(str(user.id))
        await self._record(AuditAction.SIGN_IN_OIDC, user, client, object_id=str(user.id))
        return await self._start_session(user, client, mfa_done=mfa_done)

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
            await session.commit()
        await self._record(AuditAction.INVITATION_ACCEPT, user, client, object_id=str(user.id))
        return await self._start_session(user, client)

    async def _start_session(
        self, user: User, client: ClientInfo, mfa_done: bool = False
    ) -> SignIn:
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

    # --- second factor ---------------------------------------------------------------------

    async def challenge(
        self,
        session_id: str,
        record: SessionRecord,
        client: ClientInfo,
        code: str | None = None,
        recovery_code: str | None = None,
    ) -> SignIn:
        """Complete a pending sign-in with a TOTP code or a recovery code; rotates the session.

        Raises ``Conflict`` when no challenge is pending, ``Unauthorized`` for a wrong, used or
        replayed code, ``TooManyRequests`` after repeated failures.
        """
        if record.state != MFA_PENDING:
            raise Conflict("No two-factor challenge is pending for this session.")
        throttle_key = f"user:{record.user_id}"
        await self._mfa_throttle.check(throttle_key)
        async with self._db.async_session() as session:
            repo = UserRepository(session)
            user = await self._user(repo, record)
            ok = False
            if code:
                ok = self._accept_totp(user, code)
            elif recovery_code:
                wanted = totp.recovery_code_hash(recovery_code)
                for row in await repo.unused_recovery_codes(user.id):
                    if secrets.compare_digest(row.code_hash, wanted):
                        row.used_at = utcnow()
                        session.add(row)
                        ok = True
            if ok:
                session.add(user)
                await session.commit()
        action = (
            AuditAction.MFA_RECOVERY_USE
            if recovery_code and not code
            else AuditAction.MFA_CHALLENGE
        )
        if not ok:
            await self._mfa_throttle.failure({throttle_key: ACCOUNT_POLICY})
            await self._record(action, user, client, outcome="failure", reason="bad_code")
            raise Unauthorized(BAD_CODE)
        await self._mfa_throttle.success(throttle_key)
        await self._record(action, user, client, object_id=str(user.id))
        session_id, record = await self.sessions.rotate(session_id, record, state=SIGNED_IN)
        return SignIn(session_id, record, user)

    async def setup_totp(self, record: SessionRecord) -> tuple[str, str]:
        """A new pending TOTP secret and its ``otpauth://`` URI. ``Conflict`` if 2FA is on."""
        async with self._db.async_session() as session:
            user = await self._user(UserRepository(session), record)
            if user.totp_enabled:
                raise Conflict("Two-factor authentication is already on.")
            secret = totp.new_secret()
            sealed = self._keys.seal(secret, _totp_aad(user.id))
            user.totp_secret_ciphertext, user.totp_key_id = sealed.ciphertext, sealed.key_id
            session.add(user)
            await session.commit()
        return secret, totp.provisioning_uri(secret, user.email)

    async def verify_totp(
        self, session_id: str, record: SessionRecord, code: str, client: ClientInfo
    ) -> tuple[list[str], SignIn]:
        """Confirm enrollment with a first code: 2FA on, ten recovery codes (returned once),
        and a rotated, fully signed-in session. ``InvalidInput`` (field ``code``) when wrong."""
        throttle_key = f"user:{record.user_id}"
        await self._mfa_throttle.check(throttle_key)
        async with self._db.async_session() as session:
            repo = UserRepository(session)
            user = await self._user(repo, record)
            if user.totp_enabled:
                raise Conflict("Two-factor authentication is already on.")
            if user.totp_secret_ciphertext is None:
                raise Conflict("Start the set-up first: no secret is pending.")
            if not self._accept_totp(user, code):
                await self._mfa_throttle.failure({throttle_key: ACCOUNT_POLICY})
                raise InvalidInput(BAD_CODE, field="code")
            user.totp_enabled = True
            codes = await self._replace_recovery_codes(repo, user.id)
            session.add(user)
            await session.commit()
        await self._mfa_throttle.success(throttle_key)
        await self._record(AuditAction.MFA_ENROLL, user, client, object_id=str(user.id))
        session_id, record = await self.sessions.rotate(session_id, record, state=SIGNED_IN)
        return codes, SignIn(session_id, record, user)

    async def disable_totp(
        self, record: SessionRecord, password: str, code: str, client: ClientInfo
    ) -> None:
        """Turn 2FA off after re-checking password and a code. ``Forbidden`` for roles that
        require it; ``InvalidInput`` (``field`` password or code) when either is wrong."""
        if Role(record.role) in MFA_REQUIRED:
            raise Forbidden(
                f"Two-factor authentication is required for the {record.role} role.",
                code="mfa_required_for_role",
            )
        async with self._db.async_session() as session:
            repo = UserRepository(session)
            user = await self._user(repo, record)
            await self._reauthenticate(user, password)
            if not user.totp_enabled or not self._accept_totp(user, code):
                raise InvalidInput(BAD_CODE, field="code")
            user.totp_enabled = False
            user.totp_secret_ciphertext = user.totp_key_id = user.totp_last_step = None
            for row in await repo.recovery_codes(user.id):
                await session.delete(row)
            session.add(user)
            await session.commit()
        await self._record(AuditAction.MFA_DISABLE, user, client, object_id=str(user.id))

    async def regenerate_recovery_codes(
        self, record: SessionRecord, code: str, client: ClientInfo
    ) -> list[str]:
        """Ten new recovery codes (the old ones stop working) after a current TOTP code."""
        async with self._db.async_session() as session:
            repo = UserRepository(session)
            user = await self._user(repo, record)
            if not user.totp_enabled or not self._accept_totp(user, code):
                raise InvalidInput(BAD_CODE, field="code")
            codes = await self._replace_recovery_codes(repo, user.id)
            session.add(user)
            await session.commit()
        await self._record(
            AuditAction.MFA_RECOVERY_REGENERATE, user, client, object_id=str(user.id)
        )
        return codes

    def _accept_totp(self, user: User, code: str) -> bool:
        if user.totp_secret_ciphertext is None or user.totp_key_id is None:
            return False
        secret = self._keys.open(
            Sealed(user.totp_key_id, user.totp_secret_ciphertext), _totp_aad(user.id)
        )
        step = totp.matching_step(secret, code, user.totp_last_step)
        if step is None:
            return False
        user.totp_last_step = step
        return True

    async def _replace_recovery_codes(self, repo: UserRepository, user_id: uuid.UUID) -> list[str]:
        for row in await repo.recovery_codes(user_id):
            await repo.session.delete(row)
        codes = totp.new_recovery_codes()
        for code in codes:
            repo.session.add(RecoveryCode(user_id=user_id, code_hash=totp.recovery_code_hash(code)))
        return codes

    # --- password and sessions ---------------------------------------------------------------

    async def change_password(
        self, session_id: str, record: SessionRecord, current: str, new: str, client: ClientInfo
    ) -> SignIn:
        """Replace the password after checking the current one; every other session ends and
        this one gets a new id. ``InvalidInput`` (field ``current_password``) for a wrong
        current password, ``WeakPassword`` for a new one that fails the policy."""
        async with self._db.async_session() as session:
            user = await self._user(UserRepository(session), record)
            if user.password_hash is None:
                raise InvalidInput("This account signs in through your organisation.")
            await self._reauthenticate(user, current, "current_password")
            await anyio.to_thread.run_sync(
                passwords.check_password_policy, new, user.email, "new_password"
            )
            user.password_hash = await anyio.to_thread.run_sync(passwords.hash_password, new)
            user.password_changed_at = utcnow()
            session.add(user)
            await session.commit()
        await self.sessions.end_all(record.user_id, keep_session_id=session_id)
        await self._record(AuditAction.PASSWORD_CHANGE, user, client, object_id=str(user.id))
        session_id, record = await self.sessions.rotate(session_id, record)
        return SignIn(session_id, record, user)

    async def logout(self, session_id: str, record: SessionRecord, client: ClientInfo) -> None:
        """End this session."""
        await self.sessions.end(session_id, record.user_id)
        await self._record_for(record, AuditAction.SESSION_END, client, reason="sign_out")

    async def logout_all(self, record: SessionRecord, client: ClientInfo) -> int:
        """End every session of the user, this one included; how many ended."""
        ended = await self.sessions.end_all(record.user_id)
        await self._record_for(record, AuditAction.SESSIONS_END_ALL, client)
        return ended

    async def end_session(self, record: SessionRecord, handle: str, client: ClientInfo) -> None:
        """End one of the user's sessions by its public handle. ``NotFound`` if none."""
        if not await self.sessions.end_by_handle(record.user_id, handle):
            raise NotFound(f"No session {handle}.")
        await self._record_for(
            record, AuditAction.SESSION_END, client, object_type="session", object_id=handle
        )

    async def user_of(self, record: SessionRecord) -> User:
        """The user a session belongs to."""
        async with self._db.async_session() as session:
            return await self._user(UserRepository(session), record)

    async def _reauthenticate(self, user: User, password: str, field: str = "password") -> None:
        """Check the password of a signed-in user (a wrong one is a 422 on ``field``, not a
        401: the session is fine) under the sign-in throttle."""
        throttle_key = account_key(user.email)
        await self._login_throttle.check(throttle_key)
        ok = await anyio.to_thread.run_sync(passwords.verify_password, password, user.password_hash)
        if not ok:
            await self._login_throttle.failure({throttle_key: ACCOUNT_POLICY})
            raise InvalidInput("The password is not right.", field=field)

    async def _user(self, repo: UserRepository, record: SessionRecord) -> User:
        user = await repo.by_id(uuid.UUID(record.user_id))
        if user is None:
            raise Unauthorized("This account no longer exists.")
        return user

    async def _record(
        self,
        action: AuditAction,
        user: User | None,
        client: ClientInfo,
        *,
        outcome: str = "success",
        reason: str | None = None,
        object_id: str | None = None,
    ) -> None:
        await self._audit.record(
            audit_event(
                action,
                str(user.id) if user else None,
                user.role if user else None,
                client,
                "user" if object_id else None,
                object_id,
                outcome=outcome,
                reason=reason,
            )  # fmt: skip
        )

    async def _record_for(
        self,
        record: SessionRecord,
        action: AuditAction,
        client: ClientInfo,
        *,
        reason: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
    ) -> None:
        await self._audit.record(
            audit_event(
                action, record.user_id, record.role, client, object_type, object_id, reason=reason
            )
        )


def _totp_aad(user_id: uuid.UUID) -> bytes:
    return b"lumen/totp-secret/" + user_id.bytes
