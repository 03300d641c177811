"""Admin routes for users and break glass (role ``admin``, 2FA done)."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, status
from pydantic import BaseModel

from lumen.auth.break_glass import GrantView
from lumen.auth.roles import Role
from lumen.auth.schemas import (
    AdminUserList,
    AdminUserOut,
    BreakGlassIn,
    BreakGlassOut,
    InviteIn,
    InviteOut,
    UserUpdate,
)
from lumen.chat.schemas import ConversationDetail
from lumen.deps import AccessDep, AdminUser, ClientDep

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


class BreakGlassRead(BaseModel):
    """A grant and the conversation it opens."""

    grant: BreakGlassOut
    conversation: ConversationDetail


def _grant_out(view: GrantView) -> BreakGlassOut:
    return BreakGlassOut(
        id=view.id,
        conversation_id=view.conversation_id,
        reason=view.reason,
        created_at=view.created_at,
        expires_at=view.expires_at,
    )


@router.get("/users")
async def list_users(
    admin: AdminUser,
    access: AccessDep,
    q: Annotated[str, Query(max_length=254)] = "",
    role: Role | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AdminUserList:
    """Users whose e-mail contains ``q``, optionally of one role, oldest first."""
    rows, total = await access.users.search(q, role, limit, offset)
    return AdminUserList(items=[AdminUserOut.of(u) for u in rows], total=total)


@router.post("/users/invite", status_code=status.HTTP_201_CREATED)
async def invite_user(
    body: InviteIn, admin: AdminUser, access: AccessDep, client: ClientDep
) -> InviteOut:
    """Invite someone with a role; the response's ``invitation_path`` is the one-time link
    to hand them (no e-mail is sent). 409 when the address has an account."""
    user, token = await access.users.invite(admin, body.email, body.role, client)
    assert user.invitation_expires_at is not None
    return InviteOut(
        user=AdminUserOut.of(user),
        invitation_path="/invite?" + urlencode({"token": token}),
        expires_at=user.invitation_expires_at,
    )


@router.patch("/users/{user_id}")
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, admin: AdminUser, access: AccessDep, client: ClientDep
) -> AdminUserOut:
    """Change a user's role or disable/enable them; their sessions end. 422 for oneself."""
    user = await access.users.update(admin, user_id, body.role, body.disabled, client)
    return AdminUserOut.of(user)


@router.post("/break-glass", status_code=status.HTTP_201_CREATED)
async def break_glass(
    body: BreakGlassIn, admin: AdminUser, access: AccessDep, client: ClientDep
) -> BreakGlassOut:
    """Open a time-limited, audited access to one conversation, with a stated reason (at
    least 20 characters) that the patient will see. 404 for an unknown conversation."""
    view = await access.break_glass.grant(admin, body.conversation_id, body.reason, client)
    return _grant_out(view)


@router.get("/break-glass/{grant_id}")
async def read_break_glass(
    grant_id: uuid.UUID, admin: AdminUser, access: AccessDep, client: ClientDep
) -> BreakGlassRead:
    """The conversation of a live grant (each read audited). 410 once the grant expired."""
    view, detail = await access.break_glass.read(admin, grant_id, client)
    return BreakGlassRead(grant=_grant_out(view), conversation=detail)
