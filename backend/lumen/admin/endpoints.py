"""Admin routes for users and break glass (role ``admin``, 2FA done)."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, status

from lumen.admin.deps import BreakGlassDep, UserAdminDep
from lumen.admin.schemas import (
    AdminUserList,
    AdminUserOut,
    BreakGlassIn,
    BreakGlassOut,
    BreakGlassRead,
    InviteIn,
    InviteOut,
    UserUpdate,
)
from lumen.auth.roles import Role
from lumen.deps import AdminUser, ClientDep, Offset
from lumen.problems import problem_responses

# 401 without a session, 403 for another role or a 2FA step still to do.
router = APIRouter(prefix="/api/v1/admin", tags=["admin"], responses=problem_responses(401, 403))


@router.get("/users")
async def list_users(
    admin: AdminUser,
    users: UserAdminDep,
    q: Annotated[str, Query(max_length=254)] = "",
    role: Role | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> AdminUserList:
    """Users whose e-mail contains ``q``, optionally of one role, oldest first."""
    rows, total = await users.search(q, role, limit, offset)
    return AdminUserList(items=[AdminUserOut.of(u) for u in rows], total=total)


@router.post(
    "/users/invite", status_code=status.HTTP_201_CREATED, responses=problem_responses(409, 503)
)
async def invite_user(
    body: InviteIn, admin: AdminUser, users: UserAdminDep, client: ClientDep
) -> InviteOut:
    """Invite someone with a role; the response's ``invitation_path`` is the one-time link
    to hand them (no e-mail is sent). 409 when the address has an account."""
    user, token = await users.invite(admin, body.email, body.role, client)
    assert user.invitation_expires_at is not None
    return InviteOut(
        user=AdminUserOut.of(user),
        invitation_path="/invite?" + urlencode({"token": token}),
        expires_at=user.invitation_expires_at,
    )


@router.patch("/users/{user_id}", responses=problem_responses(404, 503))
async def update_user(
    user_id: uuid.UUID, body: UserUpdate, admin: AdminUser, users: UserAdminDep, client: ClientDep
) -> AdminUserOut:
    """Change a user's role or disable/enable them; their sessions end. 422 for oneself."""
    user = await users.update(admin, user_id, body.role, body.disabled, client)
    return AdminUserOut.of(user)


@router.post(
    "/break-glass", status_code=status.HTTP_201_CREATED, responses=problem_responses(404, 503)
)
async def break_glass(
    body: BreakGlassIn, admin: AdminUser, grants: BreakGlassDep, client: ClientDep
) -> BreakGlassOut:
    """Open a time-limited, audited access to one conversation, with a stated reason (at
    least 20 characters) that the patient will see. 404 for an unknown conversation."""
    view = await grants.grant(admin, body.conversation_id, body.reason, client)
    return BreakGlassOut.model_validate(view)


@router.get("/break-glass/{grant_id}", responses=problem_responses(404, 410, 503))
async def read_break_glass(
    grant_id: uuid.UUID, admin: AdminUser, grants: BreakGlassDep, client: ClientDep
) -> BreakGlassRead:
    """The conversation of a live grant (each read audited). 410 once the grant expired."""
    view, detail = await grants.read(admin, grant_id, client)
    return BreakGlassRead(grant=BreakGlassOut.model_validate(view), conversation=detail)
