"""Personal API tokens for pharma users: ``Authorization: Bearer lmn_…`` on read routes.

A token is 256 random bits, shown once; the database keeps its SHA-256 (no salt needed at that
entropy, NIST SP 800-63B section 5.1.1.2), a short prefix to tell tokens apart, its scopes and
expiry. It stops working when revoked, expired, or when its owner is no longer an active
pharma user.

A module of its own rather than part of ``service``: every request with a bearer token is
authenticated here (``lumen.deps.reader``), and that must not load conversations.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import timedelta

from lumen.account.models import ApiToken
from lumen.account.repository import ApiTokenRepository
from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditLog
from lumen.auth.principal import ClientInfo, Principal
from lumen.auth.repository import UserRepository
from lumen.auth.roles import Role
from lumen.auth.service import token_hash
from lumen.db import Database, utcnow
from lumen.problems import NotFound

TOKEN_PREFIX = "lmn_"
SCOPES = ("search", "drugs")  # search: GET /search; drugs: GET /drugs…, GET /documents/{id}
TOKEN_ROLES = frozenset({Role.PHARMA})
LAST_USED_RESOLUTION_S = 60  # write last_used_at at most once a minute per token


class ApiTokenService:
    """Issue, list, revoke and authenticate API tokens."""

    def __init__(self, db: Database, audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    async def create(
        self, owner: Principal, name: str, scopes: Sequence[str], days: int, client: ClientInfo
    ) -> tuple[str, ApiToken]:
        """A new token (the raw value, returned only here) and its row."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiToken(
            user_id=owner.user_id,
            name=name.strip(),
            prefix=raw[: len(TOKEN_PREFIX) + 6],
            token_hash=token_hash(raw),
            scopes=sorted(set(scopes)),
            expires_at=utcnow() + timedelta(days=days),
        )
        async with self._db.async_session() as session:
            session.add(row)
            await self._audit.append(
                session,
                owner.audit_event(AuditAction.TOKEN_CREATE, client, "api_token", str(row.id)),
            )
            await session.commit()
        return raw, row

    async def list(self, owner: Principal) -> Sequence[ApiToken]:
        """The owner's tokens, newest first (revoked and expired ones included)."""
        async with self._db.async_session() as session:
            return await ApiTokenRepository(session).of_user(owner.user_id)

    async def revoke(self, owner: Principal, token_id: uuid.UUID, client: ClientInfo) -> None:
        """Revoke one of the owner's tokens (again: nothing changes, the request is still
        recorded). ``NotFound`` if it is not theirs."""
        async with self._db.async_session() as session:
            row = await session.get(ApiToken, token_id)
            if row is None or row.user_id != owner.user_id:
                raise NotFound(f"No API token {token_id}.")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                session.add(row)
            await self._audit.append(
                session,
                owner.audit_event(AuditAction.TOKEN_REVOKE, client, "api_token", str(token_id)),
            )
            await session.commit()

    async def authenticate(self, raw: str) -> Principal | None:
        """The principal of a valid bearer token, or ``None``."""
        if not raw.startswith(TOKEN_PREFIX):
            return None
        now = utcnow()
        async with self._db.async_session() as session:
            row = await ApiTokenRepository(session).by_hash(token_hash(raw))
            if row is None or row.revoked_at is not None or row.expires_at <= now:
                return None
            user = await UserRepository(session).by_id(row.user_id)
            if user is None or user.status != "active" or Role(user.role) not in TOKEN_ROLES:
                return None
            last = row.last_used_at
            if last is None or (now - last).total_seconds() > LAST_USED_RESOLUTION_S:
                row.last_used_at = now
                session.add(row)
                await session.commit()
        return Principal(user_id=user.id, role=Role(user.role), scopes=frozenset(row.scopes))
