"""The user's own account: data export and deletion, API tokens, break-glass accesses."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Request, Response, status

from lumen.auth.cookies import clear_session_cookies, secure_transport
from lumen.auth.schemas import (
    AccessEventList,
    AccessEventOut,
    AccountDeleteIn,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenOut,
)
from lumen.deps import AccessDep, ClientDep, CurrentUser, PharmaUser, RuntimeDep

router = APIRouter(prefix="/api/v1/account", tags=["account"])


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "The data, as a file"}},
)
async def export_data(user: CurrentUser, access: AccessDep, client: ClientDep) -> Response:
    """Everything Lumen holds about the caller, as a JSON file: the account, every
    conversation with its messages and sources, and administrators' accesses (audited)."""
    row = await access.auth.user_of(user.session)  # type: ignore[arg-type]
    data = await access.account.export(user, row, client)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="lumen-my-data.json"'},
    )


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def delete_account(
    body: AccountDeleteIn,
    request: Request,
    user: CurrentUser,
    runtime: RuntimeDep,
    access: AccessDep,
    client: ClientDep,
) -> Response:
    """Delete the account and its conversations after re-authentication (the password, or
    ``confirm: "DELETE"`` for organisation accounts); the audit trail stays. 422 (``field``)
    for a wrong password or a missing confirmation."""
    row = await access.auth.user_of(user.session)  # type: ignore[arg-type]
    await access.account.delete(user, row, body.password, body.confirm, client)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(
        response, secure_transport(request, runtime.settings.environment == "production")
    )
    return response


@router.get("/access-events")
async def access_events(user: CurrentUser, access: AccessDep) -> AccessEventList:
    """Administrators' break-glass accesses to the caller's conversations, with reasons."""
    grants = await access.break_glass.of_owner(user.owner_id)
    return AccessEventList(
        items=[
            AccessEventOut(
                id=g.id,
                conversation_id=g.conversation_id,
                reason=g.reason,
                created_at=g.created_at,
                expires_at=g.expires_at,
            )
            for g in grants
        ]
    )


@router.get("/tokens")
async def list_tokens(user: PharmaUser, access: AccessDep) -> TokenList:
    """The pharma user's API tokens, newest first."""
    return TokenList(items=[TokenOut.of(row) for row in await access.tokens.list(user)])


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
async def create_token(
    body: TokenCreate, user: PharmaUser, access: AccessDep, client: ClientDep
) -> TokenCreated:
    """A new API token with scopes ``search`` and/or ``drugs``, valid 1–365 days; the token
    is in this response only."""
    raw, row = await access.tokens.create(
        user, body.name, body.scopes, body.expires_in_days, client
    )
    return TokenCreated(token=raw, item=TokenOut.of(row))


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_token(
    token_id: uuid.UUID, user: PharmaUser, access: AccessDep, client: ClientDep
) -> Response:
    """Revoke a token at once. 404 if it is not the caller's."""
    await access.tokens.revoke(user, token_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
