"""Auth routes (DESIGN.md: ``/api/v1/auth/…``): register, sign in and out, 2FA, password,
sessions, invitations and organisation sign-in. Thin: parse, call the service, set cookies."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import RedirectResponse

from lumen.auth.cookies import (
    CSRF_COOKIE,
    clear_session_cookies,
    new_csrf_token,
    secure_transport,
    set_csrf_cookie,
    set_session_cookies,
)
from lumen.auth.oidc import OidcClient
from lumen.auth.schemas import (
    AuthState,
    ChallengeIn,
    Credentials,
    CsrfOut,
    EnrollmentOut,
    InvitationAcceptIn,
    OidcProviderOut,
    PasswordChangeIn,
    ProvidersOut,
    RecoveryCodesOut,
    SessionList,
    SessionOut,
    TotpCode,
    TotpDisableIn,
    TotpSetupOut,
    UserOut,
)
from lumen.auth.service import MFA_ENROLLMENT, MFA_PENDING, SIGNED_IN, SignIn
from lumen.deps import AccessDep, AnySession, ClientDep, RuntimeDep
from lumen.problems import Forbidden, NotFound, Problem

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
ENROLLMENT_PAGE = "/account/2fa"


def _secure(request: Request, runtime: RuntimeDep) -> bool:
    return secure_transport(request, runtime.settings.environment == "production")


def _state(sign_in: SignIn, idle_timeout_s: int) -> AuthState:
    record = sign_in.record
    return AuthState(
        status=record.state,
        user=UserOut.of(sign_in.user),
        csrf_token=record.csrf_token,
        idle_timeout_s=idle_timeout_s,
        expires_at=datetime.fromtimestamp(record.expires_at, UTC),
    )


def _signed_in(
    request: Request, response: Response, runtime: RuntimeDep, sign_in: SignIn
) -> AuthState:
    set_session_cookies(response, sign_in.session_id, sign_in.record, _secure(request, runtime))
    assert runtime.access is not None
    return _state(sign_in, runtime.access.sessions.idle_timeout_s)


@router.get("/csrf")
async def csrf(request: Request, response: Response, runtime: RuntimeDep) -> CsrfOut:
    """A CSRF token for the requests before sign-in; set as the ``lumen_csrf`` cookie."""
    token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
    set_csrf_cookie(response, token, _secure(request, runtime))
    return CsrfOut(csrf_token=token)


@router.get("/providers")
async def providers(access: AccessDep) -> ProvidersOut:
    """The organisation sign-in, when one is configured."""
    if access.oidc is None:
        return ProvidersOut(oidc=None)
    return ProvidersOut(
        oidc=OidcProviderOut(name=access.oidc.name, login_url="/api/v1/auth/oidc/login")
    )


@router.post("/register", status_code=status.HTTP_201_CREATED)
async def register(
    body: Credentials,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    access: AccessDep,
    client: ClientDep,
) -> AuthState:
    """Create a patient account and sign in. 422 (``field``) for an invalid address or a
    password outside the policy (NIST SP 800-63B), 409 when the address has an account, 429
    past the registration rate per address."""
    sign_in = await access.auth.register(body.email, body.password, client)
    return _signed_in(request, response, runtime, sign_in)


@router.post("/login")
async def login(
    body: Credentials,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    access: AccessDep,
    client: ClientDep,
) -> AuthState:
    """Sign in with e-mail and password; a new session id every time (no fixation). The
    state says whether a TOTP challenge or 2FA enrollment comes next. 401 for any failure,
    429 with ``Retry-After`` during back-off or lockout."""
    sign_in = await access.auth.login(body.email, body.password, client)
    return _signed_in(request, response, runtime, sign_in)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    request: Request,
    principal: AnySession,
    runtime: RuntimeDep,
    access: AccessDep,
    client: ClientDep,
) -> Response:
    """End this session."""
    assert principal.session_id and principal.session
    await access.auth.logout(principal.session_id, principal.session, client)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, _secure(request, runtime))
    return response


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT)
async def logout_all(
    request: Request,
    principal: AnySession,
    runtime: RuntimeDep,
    access: AccessDep,
    client: ClientDep,
) -> Response:
    """End every session of this user, this one included."""
    assert principal.session
    await access.auth.logout_all(principal.session, client)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookies(response, _secure(request, runtime))
    return response


@router.get("/me")
async def me(principal: AnySession, access: AccessDep) -> AuthState:
    """The caller's sign-in state. 401 without a live session."""
    assert principal.session_id and principal.session
    user = await access.auth.user_of(principal.session)
    return _state(
        SignIn(principal.session_id, principal.session, user), access.sessions.idle_timeout_s
    )


@router.post("/2fa/setup")
async def totp_setup(principal: AnySession, access: AccessDep) -> TotpSetupOut:
    """Start TOTP enrollment (RFC 6238): a new secret and its ``otpauth://`` URI. Allowed
    signed in or during required enrollment; 409 when 2FA is already on."""
    assert principal.session
    _not_during_challenge(principal.session.state)
    secret, uri = await access.auth.setup_totp(principal.session)
    return TotpSetupOut(secret=secret, otpauth_uri=uri)


@router.post("/2fa/verify")
async def totp_verify(
    body: TotpCode,
    request: Request,
    response: Response,
    principal: AnySession,
    runtime: RuntimeDep,
    access: AccessDep,
    client: ClientDep,
) -> EnrollmentOut:
    """Confirm enrollment with a first code: 2FA on, ten recovery codes (shown once) and a
    new session id (privilege change). 422 for a wrong code."""
    assert principal.session_id and principal.session
    _not_during_challenge(principal.session.state)
    codes, sign_in = await access.auth.verify_totp(
        principal.session_id, principal.session, body.code, client
    )
    return EnrollmentOut(
        recovery_codes=codes, state=_signed_in(request, response, runtime, sign_in)
    )


@router.post("/2fa/challenge")
async def totp_challenge(
    body: ChallengeIn,
    request: Request,
    response: Response,
    principal: AnySession,
    runtime: RuntimeDep,
    access: AccessDep,
    client: ClientDep,
) -> AuthState:
    """Finish a sign-in with a TOTP code or a recovery code (each code works once). 401 for
    a wrong or replayed code, 409 when no challenge is pending, 429 after repeated failures."""
    assert principal.session_id and principal.session
    sign_in = await access.auth.challenge(
        principal.session_id, principal.session, client, body.code, body.recovery_code
    )
    return _signed_in(request, response, runtime, sign_in)


@router.post("/2fa/disable", status_code=status.HTTP_204_NO_CONTENT)
async def totp_disable(
    body: TotpDisableIn, principal: AnySession, access: AccessDep, client: ClientDep
) -> Response:
    """Turn 2FA off (password and a current code). 403 for pharma and admin."""
    assert principal.session
    _signed_in_only(principal.session.state)
    await access.auth.disable_totp(principal.session, body.password, body.code, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/2fa/recovery-codes")
async def recovery_codes(
    body: TotpCode, principal: AnySession, access: AccessDep, client: ClientDep
) -> RecoveryCodesOut:
    """Replace the recovery codes after a current TOTP code."""
    assert principal.session
    _signed_in_only(principal.session.state)
    codes = await access.auth.regenerate_recovery_codes(principal.session, body.code, client)
    return RecoveryCodesOut(recovery_codes=codes)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: PasswordChangeIn,
    request: Request,
    principal: AnySession,
    runtime: RuntimeDep,
    access: AccessDep,
    client: ClientDep,
) -> Response:
    """Change the password; other sessions end and this one gets a new id. 422 with ``field``
    ``current_password`` when it is wrong, ``new_password`` outside the policy."""
    assert principal.session_id and principal.session
    _signed_in_only(principal.session.state)
    sign_in = await access.auth.change_password(
        principal.session_id, principal.session, body.current_password, body.new_password, client
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    set_session_cookies(response, sign_in.session_id, sign_in.record, _secure(request, runtime))
    return response


@router.get("/sessions")
async def list_sessions(principal: AnySession, access: AccessDep) -> SessionList:
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
        for _key, record in await access.sessions.list(principal.session.user_id)
    ]
    return SessionList(items=items)


@router.delete("/sessions/{session_handle}", status_code=status.HTTP_204_NO_CONTENT)
async def end_session(
    session_handle: str, principal: AnySession, access: AccessDep, client: ClientDep
) -> Response:
    """End one of the user's sessions. 404 if it is not theirs or already over."""
    assert principal.session
    await access.auth.end_session(principal.session, session_handle, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/invitations/accept")
async def accept_invitation(
    body: InvitationAcceptIn,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    access: AccessDep,
    client: ClientDep,
) -> AuthState:
    """Accept an invitation: set a password and sign in with the invited role. 404 for an
    unknown, used or expired invitation; 422 for a password outside the policy."""
    sign_in = await access.auth.accept_invitation(body.token, body.password, client)
    return _signed_in(request, response, runtime, sign_in)


@router.get("/oidc/login", response_class=RedirectResponse, status_code=302)
async def oidc_login(request: Request, access: AccessDep, next: str | None = None) -> Response:
    """Redirect to the organisation's OpenID provider (code flow, PKCE S256). 404 when no
    provider is configured."""
    oidc = _oidc(access)
    return await oidc.redirect(request, str(request.url_for("oidc_callback")), next)


@router.get(
    "/oidc/callback", response_class=RedirectResponse, status_code=302, name="oidc_callback"
)
async def oidc_callback(
    request: Request, runtime: RuntimeDep, access: AccessDep, client: ClientDep
) -> Response:
    """Complete organisation sign-in and redirect into the app (or to ``/signin?error=sso``
    with the reason when the provider's answer is refused)."""
    oidc = _oidc(access)
    try:
        sign_in, next_path = await oidc.complete(request, client)
    except Problem:
        return RedirectResponse("/signin?error=sso", status_code=302)
    target = ENROLLMENT_PAGE if sign_in.record.state == MFA_ENROLLMENT else next_path
    response = RedirectResponse(target, status_code=302)
    set_session_cookies(response, sign_in.session_id, sign_in.record, _secure(request, runtime))
    return response


def _oidc(access: AccessDep) -> OidcClient:
    if access.oidc is None:
        raise NotFound("Organisation sign-in is not configured.")
    return access.oidc


def _not_during_challenge(state: str) -> None:
    if state == MFA_PENDING:
        raise Forbidden("Enter your current code first.", code=MFA_PENDING)


def _signed_in_only(state: str) -> None:
    if state != SIGNED_IN:
        raise Forbidden("Complete two-factor authentication first.", code=state)
