"""Request dependencies shared by every domain: the caller's sign-in session, the current user,
role guards, CSRF, and ``provide`` through which each domain declares its own service aliases.

``SessionDep`` is the caller's sign-in session (not a database session: services open their
own transactions).

Authentication: the ``lumen_session`` cookie (browser) or ``Authorization: Bearer lmn_…``
(pharma API tokens, read routes only). Every state-changing request with a session or a CSRF
cookie must carry ``X-CSRF-Token`` equal to the session's token (synchronizer token pattern,
OWASP CSRF Prevention Cheat Sheet); before sign-in it must equal the ``lumen_csrf`` cookie
(double submit), and a cross-origin ``Origin`` is refused outright.

Dependencies are ``async def`` even when they await nothing: FastAPI runs a plain ``def``
dependency in its thread pool, a hand-off to a worker thread and back for each one of each
request. Before an answer's first token that was four hand-offs, each waiting its turn on a
busy event loop (issue 11).
"""

from __future__ import annotations

import functools
import secrets
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from fastapi import Depends, Query, Request

from lumen.account.tokens import ApiTokenService
from lumen.auth.cookies import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from lumen.auth.operator import OPERATOR_HEADER, OPERATOR_ID, is_operator
from lumen.auth.principal import ClientInfo, Principal
from lumen.auth.roles import Role
from lumen.auth.service import SIGNED_IN
from lumen.auth.sessions import SessionRecord, Sessions
from lumen.problems import Forbidden, Unauthorized

# Pagination offsets fit a signed 32-bit integer, which every database's OFFSET takes (a
# larger one overflowed SQLite's: found by the API contract run).
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="Rows to skip.")]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sent by the web app's background polling: such a request does not count as activity.
BACKGROUND_HEADER = "x-lumen-background"
_UNRESOLVED = object()


_T = TypeVar("_T")


@functools.cache
def provide(kind: type[_T]) -> Callable[[Request], Coroutine[Any, Any, _T]]:
    """The dependency resolving to this process's instance of ``kind``, as registered by the
    app's lifespan in ``app.state.services`` (``Server.services()``). A domain declares
    ``XDep = Annotated[X, Depends(provide(X))]`` with it and never imports the composition
    root. Cached, so that every use of one kind is one dependency (and one override in
    tests)."""

    async def dependency(request: Request) -> _T:
        instance = request.app.state.services[kind]
        assert isinstance(instance, kind), f"{kind.__name__} is registered as another type"
        return instance

    dependency.__name__ = f"provide_{kind.__name__}"
    return dependency


async def client_info(request: Request) -> ClientInfo:
    """The caller's address (behind a proxy: uvicorn's ``--proxy-headers``) and user agent."""
    return ClientInfo(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


ClientDep = Annotated[ClientInfo, Depends(client_info)]


async def current_session(
    request: Request, sessions: Annotated[Sessions, Depends(provide(Sessions))]
) -> tuple[str, SessionRecord] | None:
    """The caller's live session (resolved once per request), or ``None``. Every request
    counts as activity for the idle timeout but those with ``X-Lumen-Background: 1``."""
    cached: tuple[str, SessionRecord] | None | object = getattr(
        request.state, "lumen_session", _UNRESOLVED
    )
    if cached is not _UNRESOLVED:
        return cached  # type: ignore[return-value]
    session_id = request.cookies.get(SESSION_COOKIE)
    found = None
    if session_id:
        activity = request.headers.get(BACKGROUND_HEADER) != "1"
        record = await sessions.resolve(session_id, activity=activity)
        found = (session_id, record) if record is not None else None
    request.state.lumen_session = found
    return found


SessionDep = Annotated[tuple[str, SessionRecord] | None, Depends(current_session)]


async def csrf_protect(request: Request, session: SessionDep) -> None:
    """Refuse a state-changing request without the right ``X-CSRF-Token`` (403, ``code:
    "csrf"``). Requests that carry no ambient credential (no cookies: bearer token or the
    loopback operator token) cannot be forged by another site and pass."""
    if request.method in SAFE_METHODS or not request.url.path.startswith("/api/"):
        return
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise Forbidden("Cross-origin requests are not accepted.", code="csrf")
    cookie = request.cookies.get(CSRF_COOKIE)
    no_cookies = session is None and cookie is None and SESSION_COOKIE not in request.cookies
    if no_cookies and (
        request.headers.get("authorization") or request.headers.get(OPERATOR_HEADER)
    ):
        return
    sent = request.headers.get(CSRF_HEADER) or ""
    expected = session[1].csrf_token if session is not None else cookie
    if not sent or not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(
            "The request lacks a valid CSRF token. Reload the page and try again.", code="csrf"
        )


async def session_principal(session: SessionDep) -> Principal:
    """The signed-in caller in any session state (sign-out, 2FA steps). 401 without one."""
    if session is None:
        raise Unauthorized("Sign in to continue.")
    session_id, record = session
    return Principal(
        user_id=uuid.UUID(record.user_id),
        role=Role(record.role),
        session_id=session_id,
        session=record,
    )


AnySession = Annotated[Principal, Depends(session_principal)]


async def current_user(principal: AnySession) -> Principal:
    """The fully signed-in caller; 403 with ``code`` while a 2FA step is outstanding."""
    assert principal.session is not None
    if principal.session.state != SIGNED_IN:
        raise Forbidden("Complete two-factor authentication first.", code=principal.session.state)
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(*roles: Role) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency admitting only signed-in users of ``roles`` (403 otherwise)."""

    async def guard(user: CurrentUser) -> Principal:
        if user.role not in roles:
            raise Forbidden(f"This needs the {' or '.join(roles)} role.", code="role")
        return user

    return guard


AdminUser = Annotated[Principal, Depends(require_role(Role.ADMIN))]
PharmaUser = Annotated[Principal, Depends(require_role(Role.PHARMA))]


def reader(
    scope: str, roles: tuple[Role, ...] = tuple(Role)
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency for read routes open to API tokens: a bearer token with ``scope``, or a
    signed-in session of ``roles``. 401 without either, 403 for a missing scope or role."""

    async def guard(
        request: Request,
        tokens: Annotated[ApiTokenService, Depends(provide(ApiTokenService))],
        session: SessionDep,
    ) -> Principal:
        if session is None and is_operator(request):
            return Principal(user_id=OPERATOR_ID, role=Role.ADMIN, scopes=frozenset({scope}))
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            principal = await tokens.authenticate(header[7:].strip())
            if principal is None:
                raise Unauthorized("The API token is invalid, expired or revoked.")
            if scope not in principal.scopes:
                raise Forbidden(f"The API token lacks the {scope!r} scope.", code="scope")
            return principal
        user = await current_user(await session_principal(session))
        if user.role not in roles:
            raise Forbidden(f"This needs the {' or '.join(roles)} role.", code="role")
        return user

    return guard
