"""Who is calling: a signed-in session or a personal API token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent
from lumen.auth.roles import Role, collections_for
from lumen.auth.sessions import SessionRecord


@dataclass(frozen=True)
class ClientInfo:
    """The caller's network address and user agent, as the audit log records them."""

    ip: str | None
    user_agent: str | None


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``session_id`` is the raw cookie value (never logged)."""

    user_id: uuid.UUID
    role: Role
    session_id: str | None = field(default=None, repr=False)
    session: SessionRecord | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def actor_id(self) -> str:
        """The id the audit log names."""
        return str(self.user_id)

    @property
    def owner_id(self) -> str:
        """The owner id of this user's conversations."""
        return str(self.user_id)

    @property
    def collections(self) -> tuple[str, ...]:
        """Knowledge collections this caller may retrieve from."""
        return collections_for(self.role)

    def audit_event(
        self,
        action: AuditAction,
        client: ClientInfo,
        object_type: str | None = None,
        object_id: str | None = None,
        *,
        outcome: str = "success",
        reason: str | None = None,
    ) -> AuditEvent:
        """The audit entry of ``action`` done by this caller from ``client``."""
        return audit_event(
            action, self.actor_id, self.role, client, object_type, object_id,
            outcome=outcome, reason=reason,
        )  # fmt: skip


def audit_event(
    action: AuditAction,
    actor_id: str | None,
    actor_role: str | None,
    client: ClientInfo,
    object_type: str | None = None,
    object_id: str | None = None,
    *,
    outcome: str = "success",
    reason: str | None = None,
) -> AuditEvent:
    """The audit entry of ``action`` by ``actor_id`` (``None``: unknown, e.g. a failed
    sign-in for an address without an account) from ``client``."""
    return AuditEvent(
        action=action,
        outcome=outcome,
        actor_id=actor_id,
        actor_role=actor_role,
        object_type=object_type,
        object_id=object_id,
        reason=reason,
        ip=client.ip,
        user_agent=client.user_agent,
    )
