"""Request and response shapes of the admin routes: users, invitations, break glass."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from lumen.auth.models import User
from lumen.auth.roles import Role
from lumen.chat.schemas import ConversationDetail


class AdminUserOut(BaseModel):
    """A user as the admin users page lists them."""

    id: uuid.UUID
    email: str
    role: Role
    status: str
    totp_enabled: bool
    sso: bool
    created_at: datetime
    last_sign_in_at: datetime | None

    @classmethod
    def of(cls, user: User) -> AdminUserOut:
        """From the table row."""
        return cls(
            id=user.id,
            email=user.email,
            role=Role(user.role),
            status=user.status,
            totp_enabled=user.totp_enabled,
            sso=user.oidc_subject is not None,
            created_at=user.created_at,
            last_sign_in_at=user.last_sign_in_at,
        )


class AdminUserList(BaseModel):
    """A page of users and the total."""

    items: list[AdminUserOut]
    total: int


class InviteIn(BaseModel):
    """Whom to invite, with which role."""

    email: str = Field(max_length=254)
    role: Role


class InviteOut(BaseModel):
    """The invited user and the link to hand them (valid until ``expires_at``)."""

    user: AdminUserOut
    invitation_path: str
    expires_at: datetime


class UserUpdate(BaseModel):
    """A role change and/or disabling or re-enabling."""

    role: Role | None = None
    disabled: bool | None = None


class BreakGlassIn(BaseModel):
    """The conversation to open and why."""

    conversation_id: uuid.UUID
    reason: str = Field(max_length=1000)


class BreakGlassOut(BaseModel):
    """A break-glass grant (read from the service's ``GrantView``)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    conversation_id: uuid.UUID
    reason: str
    created_at: datetime
    expires_at: datetime


class BreakGlassRead(BaseModel):
    """A grant and the conversation it opens."""

    grant: BreakGlassOut
    conversation: ConversationDetail
