"""A user's own data: download it, or delete the account (HIPAA right of access; GDPR art. 15
and 17 for users it applies to). Deletion removes the account, conversations, messages,
second-factor rows, tokens, grants and sessions; the audit trail stays (it holds no content).
Conversations are the chat domain's and grants the admin domain's: both through their services.
"""

from __future__ import annotations

from typing import Any

import anyio

from lumen.admin.service import BreakGlassService
from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditLog
from lumen.auth import passwords
from lumen.auth.models import User
from lumen.auth.principal import ClientInfo, Principal
from lumen.auth.repository import UserRepository
from lumen.auth.service import signed_in_user
from lumen.auth.sessions import Sessions
from lumen.chat.service import ChatService
from lumen.db import Database, utcnow
from lumen.problems import InvalidInput

DELETE_CONFIRMATION = "DELETE"


class AccountService:
    """Export and deletion of one user's data."""

    def __init__(
        self,
        db: Database,
        chat: ChatService,
        break_glass: BreakGlassService,
        sessions: Sessions,
        audit: AuditLog,
    ) -> None:
        self._db = db
        self._chat = chat
        self._break_glass = break_glass
        self._sessions = sessions
        self._audit = audit

    async def export(self, principal: Principal, client: ClientInfo) -> dict[str, Any]:
        """Everything Lumen holds about the user, as JSON-ready data (a read: recorded on
        its own). ``Unauthorized`` when the account is gone."""
        user = await self._user(principal)
        conversations = await self._chat.export(principal.owner_id)
        grants = await self._break_glass.of_owner(principal.owner_id)
        await self._audit.record(
            principal.audit_event(AuditAction.DATA_EXPORT, client, "user", principal.actor_id)
        )
        return {
            "exported_at": utcnow().isoformat(),
            "user": {
                "id": str(user.id),
                "email": user.email,
                "role": user.role,
                "created_at": user.created_at.isoformat(),
                "totp_enabled": user.totp_enabled,
            },
            "conversations": [c.model_dump(mode="json") for c in conversations],
            "access_events": [
                {
                    "id": str(g.id),
                    "conversation_id": str(g.conversation_id),
                    "reason": g.reason,
                    "created_at": g.created_at.isoformat(),
                    "expires_at": g.expires_at.isoformat(),
                }
                for g in grants
            ],
        }

    async def delete(
        self,
        principal: Principal,
        password: str | None,
        confirm: str | None,
        client: ClientInfo,
    ) -> None:
        """Delete the account after re-authentication: the password, or for an account
        without one (organisation sign-in) the word ``DELETE``. ``InvalidInput`` (with
        ``field``) for a wrong password or a missing confirmation, ``Unauthorized`` when the
        account is gone."""
        user = await self._user(principal)
        if user.password_hash is not None:
            ok = await anyio.to_thread.run_sync(
                passwords.verify_password, password or "", user.password_hash
            )
            if not ok:
                raise InvalidInput("The password is not right.", field="password")
        elif confirm != DELETE_CONFIRMATION:
            raise InvalidInput(f"Type {DELETE_CONFIRMATION} to confirm.", field="confirm")
        # Content first: if a later step fails, the account still exists and deletion can be
        # run again; nothing is left half-deleted but reported as done.
        await self._chat.delete_all(principal.owner_id)
        await self._break_glass.forget_owner(principal.owner_id)
        async with self._db.async_session() as session:
            row = await session.get(User, user.id)
            if row is not None:
                await session.delete(row)  # recovery codes and tokens cascade
            await self._audit.append(
                session,
                principal.audit_event(AuditAction.USER_DELETE, client, "user", principal.actor_id),
            )
            await session.commit()
        await self._sessions.end_all(principal.actor_id)

    async def _user(self, principal: Principal) -> User:
        async with self._db.async_session() as session:
            return await signed_in_user(UserRepository(session), principal.user_id)
