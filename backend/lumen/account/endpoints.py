"""The user's own account (``/api/v1/account/…``): data export and deletion, break-glass
accesses to their conversations, and (pharma) API tokens."""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Response, status

from lumen.account.deps import AccountDep, ApiTokensDep
from lumen.account.schemas import (
    AccessEventList,
    AccountDeleteIn,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenOut,
)
from lumen.admin.deps import BreakGlassDep
from lumen.auth.cookies import clear_session_cookies
from lumen.auth.deps import SecureCookies
from lumen.deps import ClientDep, CurrentUser, PharmaUser
from lumen.problems import problem_responses

# 401 without a session, 403 for another role or a 2FA step still to do.
router = APIRouter(
    prefix="/api/v1/account", tags=["account"], responses=problem_responses(401, 403)
)


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "The data, as a file"},
        **problem_responses(503),
    },
)
async def export_data(user: CurrentUser, account: AccountDep, client: ClientDep) -> Response:
    """Everything Lumen holds about the caller, as a JSON file: the account, every
    conversation with its messages and sources, and administrators' accesses (audited)."""
    data = await account.export(user, client)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="lumen-my-data.json"'},
    )


@router.delete("", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(503))
async def delete_account(
    body: AccountDeleteIn,
    user: CurrentUser,
    secure: SecureCookies,
    account: AccountDep,
    client: ClientDep,
) -> Response:
    """Delete the account and its conversations after re-authentication (the password, or
    ``confirm: "DELETE"`` for organisation accounts); the audit trail stays. 422 (``field``)
    for a wrong password or a missing confirmation."""
    await account.delete(user, body.password, body.confirm, client)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, secure)
    return response


@router.get("/access-events")
async def access_events(user: CurrentUser, grants: BreakGlassDep) -> AccessEventList:
    """Administrators' break-glass accesses to the caller's conversations, with reasons."""
    return AccessEventList.of(await grants.of_owner(user.owner_id))


@router.get("/tokens")
async def list_tokens(user: PharmaUser, tokens: ApiTokensDep) -> TokenList:
    """The pharma user's API tokens, newest first."""
    return TokenList(items=[TokenOut.of(row) for row in await tokens.list(user)])


@router.post("/tokens", status_code=status.HTTP_201_CREATED, responses=problem_responses(503))
async def create_token(
    body: TokenCreate, user: PharmaUser, tokens: ApiTokensDep, client: ClientDep
) -> TokenCreated:
    """A new API token with scopes ``search`` and/or ``drugs``, valid 1–365 days; the token
    is in this response only."""
    raw, row = await tokens.create(user, body.name, body.scopes, body.expires_in_days, client)
    return TokenCreated(token=raw, item=TokenOut.of(row))


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 503),
)
async def revoke_token(
    token_id: uuid.UUID, user: PharmaUser, tokens: ApiTokensDep, client: ClientDep
) -> Response:
    """Revoke a token at once. 404 if it is not the caller's."""
    await tokens.revoke(user, token_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
