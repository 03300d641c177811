"""The session and CSRF cookies (OWASP Session Management and CSRF Prevention cheat sheets)."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from lumen.auth.sessions import SessionRecord

SESSION_COOKIE = "lumen_session"
CSRF_COOKIE = "lumen_csrf"
CSRF_HEADER = "x-csrf-token"


def secure_transport(request: Request, production: bool) -> bool:
    """Whether cookies get ``Secure``: always in production, and on any HTTPS request; only
    plain-HTTP development on this machine goes without."""
    return production or request.url.scheme == "https"


def set_session_cookies(
    response: Response, session_id: str, record: SessionRecord, secure: bool
) -> None:
    """The HttpOnly, SameSite=Strict session cookie and the readable CSRF cookie (the
    synchronizer token of this session, sent back in ``X-CSRF-Token``). Both are session
    cookies (no Max-Age): the server enforces the timeouts."""
    response.set_cookie(
        SESSION_COOKIE, session_id, httponly=True, secure=secure, samesite="strict", path="/"
    )
    set_csrf_cookie(response, record.csrf_token, secure)


def set_csrf_cookie(response: Response, token: str, secure: bool) -> None:
    """The CSRF cookie JavaScript reads to fill ``X-CSRF-Token``."""
    response.set_cookie(
        CSRF_COOKIE, token, httponly=False, secure=secure, samesite="strict", path="/"
    )


def clear_session_cookies(response: Response, secure: bool) -> None:
    """Sign-out: drop the session cookie and issue a fresh anonymous CSRF token."""
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="strict"
    )
    set_csrf_cookie(response, new_csrf_token(), secure)


def new_csrf_token() -> str:
    """A pre-session CSRF token (double-submit until a session binds its own)."""
    return secrets.token_urlsafe(32)
