"""Auth routes (DESIGN.md: ``/api/v1/auth/…``): register, sign in and out, password, sessions,
invitations and organisation sign-in (2FA: ``two_factor_endpoints``). Thin: parse, call the
service, set cookies."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import RedirectResponse

from lumen.auth.cookies import (
    CSRF_COOKIE,
    clear_session_cookies,
    new_csrf_token,
    set_csrf_cookie,
    set_session_cookies,
)
from lumen.auth.deps import AuthDep, OidcDep, OptionalOidcDep, SecureCookies
from lumen.auth.schemas import (
    AuthState,
    Credentials,
    CsrfOut,
    InvitationAcceptIn,
    OidcProviderOut,
    PasswordChangeIn,
    ProvidersOut,
    SessionList,
    SessionOut,
)
from lumen.auth.service import MFA_ENROLLMENT, SignIn
from lumen.deps import AnySession, ClientDep, CurrentUser
from lumen.problems import Problem, problem_responses

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
ENROLLMENT_PAGE = "/account/2fa"


def signed_in(response: Response, secure: bool, auth: AuthDep, sign_in: SignIn) -> AuthState:
    """Set the new session's cookies on ``response``; the sign-in state to answer with."""
    set_session_cookies(response, sign_in.session_id, sign_in.record, secure)
    return AuthState.of(sign_in.record, sign_in.user, auth.sessions.idle_timeout_s)


@router.get("/csrf")
async def csrf(request: Request, response: Response, secure: SecureCookies) -> CsrfOut:
    """A CSRF token for the requests before sign-in; set as the ``lumen_csrf`` cookie."""
    token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    set_csrf_cookie(response, token, secure)
    return CsrfOut(csrf_token=token)


@router.get("/providers")
async def providers(oidc: OptionalOidcDep) -> ProvidersOut:
    """The organisation sign-in, when one is configured."""
    if oidc is None:
        return ProvidersOut(oidc=None)
    return ProvidersOut(oidc=OidcProviderOut(name=oidc.name, login_url="/api/v1/auth/oidc/login"))


@router.post(
    "/register", status_code=status.HTTP_201_CREATED, responses=problem_responses(409, 429, 503)
)
async def register(
    body: Credentials, response: Response, secure: SecureCookies, auth: AuthDep, client: ClientDep
) -> AuthState:
    """Create a patient account and sign in. 422 (``field``) for an invalid address or a
    password outside the policy (NIST SP 800-63B), 409 when the address has an account, 429
    past the registration rate per address."""
    sign_in = await auth.register(body.email, body.password, client)
    return signed_in(response, secure, auth, sign_in)


@router.post("/login", responses=problem_responses(401, 429, 503))
async def login(
    body: Credentials, response: Response, secure: SecureCookies, auth: AuthDep, client: ClientDep
) -> AuthState:
    """Sign in with e-mail and password; a new session id every time (no fixation). The
    state says whether a TOTP challenge or 2FA enrollment comes next. 401 for any failure,
    429 with ``Retry-After`` during back-off or lockout."""
    sign_in = await auth.login(body.email, body.password, client)
    return signed_in(response, secure, auth, sign_in)


@router.post(
    "/logout", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 503)
)
async def logout(
    principal: AnySession, secure: SecureCookies, auth: AuthDep, client: ClientDep
) -> Response:
    """End this session."""
    assert principal.session_id and principal.session
    await auth.logout(principal.session_id, principal.session, client)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, secure)
    return response


@router.post(
    "/logout-all", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(401, 503)
)
async def logout_all(
    principal: AnySession, secure: SecureCookies, auth: AuthDep, client: ClientDep
) -> Response:
    """End every session of this user, this one included."""
    assert principal.session
    await auth.logout_all(principal.session, client)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, secure)
    return response


@router.get("/me", responses=problem_responses(401))
async def me(principal: AnySession, auth: AuthDep) -> AuthState:
    """The caller's sign-in state. 401 without a live session."""
    assert principal.session
    user = await auth.user_of(principal.session)
    return AuthState.of(principal.session, user, auth.sessions.idle_timeout_s)


@router.post(
    "/password",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 429, 503),
)
async def change_password(
    body: PasswordChangeIn,
    principal: CurrentUser,
    secure: SecureCookies,
    auth: AuthDep,
    client: ClientDep,
) -> Response:
    """Change the password; other sessions end and this one gets a new id. 422 with ``field``
    ``current_password`` when it is wrong, ``new_password`` outside the policy."""
    assert principal.session_id and principal.session
    sign_in = await auth.change_password(
        principal.session_id, principal.session, body.current_password, body.new_password, client
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    set_session_cookies(response, sign_in.session_id, sign_in.record, secure)
    return response


@router.get("/sessions", responses=problem_responses(401))
async def list_sessions(principal: AnySession, auth: AuthDep) -> SessionList:
    """The user's live sessions, newest first; ``current`` marks this one."""
    assert principal.session
    items = [
        SessionOut(
            id=record.handle,
            created_at=datetime.fromtimestamp(record.created_at, UTC),
            last_seen_at=datetime.fromtimestamp(record.last_seen_at, UTC),
            expires_at=datetime.fromtimestamp(record.expires_at, UTC),
            ip=record.ip,
            user_agent=record.user_agent,
            current=record.handle == principal.session.handle,
        )
        for _key, record in await auth.sessions.list(principal.session.user_id)
    ]
    return SessionList(items=items)


@router.delete(
    "/sessions/{session_handle}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 404, 503),
)
async def end_session(
    session_handle: str, principal: AnySession, auth: AuthDep, client: ClientDep
) -> Response:
    """End one of the user's sessions. 404 if it is not theirs or already over."""
    assert principal.session
    await auth.end_session(principal.session, session_handle, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/invitations/accept", responses=problem_responses(404, 503))
async def accept_invitation(
    body: InvitationAcceptIn,
    response: Response,
    secure: SecureCookies,
    auth: AuthDep,
    client: ClientDep,
) -> AuthState:
    """Accept an invitation: set a password and sign in with the invited role. 404 for an
    unknown, used or expired invitation; 422 for a password outside the policy."""
    sign_in = await auth.accept_invitation(body.token, body.password, client)
    return signed_in(response, secure, auth, sign_in)


@router.get(
    "/oidc/login",
    response_class=RedirectResponse,
    status_code=302,
    responses=problem_responses(404),
)
async def oidc_login(request: Request, oidc: OidcDep, next: str | None = None) -> Response:
    """Redirect to the organisation's OpenID provider (code flow, PKCE S256). 404 when no
    provider is configured."""
    return await oidc.redirect(request, str(request.url_for("oidc_callback")), next)


@router.get(
    "/oidc/callback",
    response_class=RedirectResponse,
    status_code=302,
    name="oidc_callback",
    responses=problem_responses(404),
)
async def oidc_callback(
    request: Request, oidc: OidcDep, secure: SecureCookies, client: ClientDep
) -> Response:
    """Complete organisation sign-in and redirect into the app (or to ``/signin?error=sso``
    with the reason when the provider's answer is refused)."""
    try:
        sign_in, next_path = await oidc.complete(request, client)
    except Problem:
        return RedirectResponse("/signin?error=sso", status_code=302)
    target = ENROLLMENT_PAGE if sign_in.record.state == MFA_ENROLLMENT else next_path
    response = RedirectResponse(target, status_code=302)
    set_session_cookies(response, sign_in.session_id, sign_in.record, secure)
    return response
