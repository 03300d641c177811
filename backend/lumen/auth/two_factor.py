"""The second factor: TOTP enrollment, the sign-in challenge, recovery codes, turning it off.

The codes themselves (RFC 6238, replay refusal, recovery code format) are in ``totp``; this is
the service that keeps the sealed secret and the recovery codes of an account, throttles wrong
codes and records every change in the transaction that makes it.
"""

from __future__ import annotations

import secrets
import uuid

from limits.aio.storage import Storage

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditLog
from lumen.auth import totp
from lumen.auth.models import RecoveryCode, User
from lumen.auth.principal import ClientInfo
from lumen.auth.repository import UserRepository
from lumen.auth.roles import MFA_REQUIRED, Role
from lumen.auth.service import (
    MFA_PENDING,
    SIGNED_IN,
    AuthService,
    SignIn,
    signed_in_user,
    user_event,
)
from lumen.auth.sessions import SessionRecord, Sessions
from lumen.auth.throttle import ACCOUNT_POLICY, FailureThrottle
from lumen.db import Database, utcnow
from lumen.problems import Conflict, Forbidden, InvalidInput, Unauthorized
from lumen.security.encryption import KeyRing, Sealed

BAD_CODE = "That code is not valid. Codes change every 30 seconds and work once."


class TwoFactorService:
    """TOTP and recovery codes of accounts; the password re-check goes through ``auth``."""

    def __init__(
        self,
        db: Database,
        keys: KeyRing,
        sessions: Sessions,
        storage: Storage,
        audit: AuditLog,
        auth: AuthService,
    ) -> None:
        self._db = db
        self._keys = keys
        self._sessions = sessions
        self._audit = audit
        self._auth = auth
        self._throttle = FailureThrottle(storage, "mfa")

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
        await self._throttle.check(throttle_key)
        action = (
            AuditAction.MFA_RECOVERY_USE
            if recovery_code and not code
            else AuditAction.MFA_CHALLENGE
        )
        async with self._db.async_session() as session:
            repo = UserRepository(session)
            user = await signed_in_user(repo, record.user_id)
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
                await self._audit.append(
                    session, user_event(action, user, client, object_id=str(user.id))
                )
                await session.commit()
        if not ok:
            await self._throttle.failure({throttle_key: ACCOUNT_POLICY})
            await self._audit.record(
                user_event(action, user, client, outcome="failure", reason="bad_code")
            )
            raise Unauthorized(BAD_CODE)
        await self._throttle.success(throttle_key)
        session_id, record = await self._sessions.rotate(session_id, record, state=SIGNED_IN)
        return SignIn(session_id, record, user)

    async def setup_totp(self, record: SessionRecord) -> tuple[str, str]:
        """A new pending TOTP secret and its ``otpauth://`` URI. ``Conflict`` if 2FA is on."""
        async with self._db.async_session() as session:
            user = await signed_in_user(UserRepository(session), record.user_id)
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
        await self._throttle.check(throttle_key)
        async with self._db.async_session() as session:
            repo = UserRepository(session)
            user = await signed_in_user(repo, record.user_id)
            if user.totp_enabled:
                raise Conflict("Two-factor authentication is already on.")
            if user.totp_secret_ciphertext is None:
                raise Conflict("Start the set-up first: no secret is pending.")
            if not self._accept_totp(user, code):
                await self._throttle.failure({throttle_key: ACCOUNT_POLICY})
                raise InvalidInput(BAD_CODE, field="code")
            user.totp_enabled = True
            codes = await self._replace_recovery_codes(repo, user.id)
            session.add(user)
            await self._audit.append(
                session, user_event(AuditAction.MFA_ENROLL, user, client, object_id=str(user.id))
            )
            await session.commit()
        await self._throttle.success(throttle_key)
        session_id, record = await self._sessions.rotate(session_id, record, state=SIGNED_IN)
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
            user = await signed_in_user(repo, record.user_id)
            await self._auth.reauthenticate(user, password)
            if not user.totp_enabled or not self._accept_totp(user, code):
                raise InvalidInput(BAD_CODE, field="code")
            user.totp_enabled = False
            user.totp_secret_ciphertext = user.totp_key_id = user.totp_last_step = None
            for row in await repo.recovery_codes(user.id):
                await session.delete(row)
            session.add(user)
            await self._audit.append(
                session, user_event(AuditAction.MFA_DISABLE, user, client, object_id=str(user.id))
            )
            await session.commit()

    async def regenerate_recovery_codes(
        self, record: SessionRecord, code: str, client: ClientInfo
    ) -> list[str]:
        """Ten new recovery codes (the old ones stop working) after a current TOTP code."""
        async with self._db.async_session() as session:
            repo = UserRepository(session)
            user = await signed_in_user(repo, record.user_id)
            if not user.totp_enabled or not self._accept_totp(user, code):
                raise InvalidInput(BAD_CODE, field="code")
            codes = await self._replace_recovery_codes(repo, user.id)
            session.add(user)
            await self._audit.append(
                session,
                user_event(
                    AuditAction.MFA_RECOVERY_REGENERATE, user, client, object_id=str(user.id)
                ),
            )
            await session.commit()
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


def _totp_aad(user_id: uuid.UUID) -> bytes:
    return b"lumen/totp-secret/" + user_id.bytes
