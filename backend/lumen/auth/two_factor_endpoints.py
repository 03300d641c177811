"""Second-factor routes (``/api/v1/auth/2fa/…``): TOTP enrollment, the sign-in challenge,
recovery codes and turning 2FA off. Thin: parse, call the service, set cookies."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from lumen.auth.deps import AuthDep, EnrollingUser, SecureCookies, TwoFactorDep
from lumen.auth.endpoints import signed_in
from lumen.auth.schemas import (
    AuthState,
    ChallengeIn,
    EnrollmentOut,
    RecoveryCodesOut,
    TotpCode,
    TotpDisableIn,
    TotpSetupOut,
)
from lumen.deps import AnySession, ClientDep, CurrentUser
from lumen.problems import problem_responses

router = APIRouter(prefix="/api/v1/auth/2fa", tags=["auth"])


@router.post("/setup", responses=problem_responses(401, 403, 409))
async def totp_setup(principal: EnrollingUser, two_factor: TwoFactorDep) -> TotpSetupOut:
    """Start TOTP enrollment (RFC 6238): a new secret and its ``otpauth://`` URI. Allowed
    signed in or during required enrollment; 409 when 2FA is already on."""
    assert principal.session
    secret, uri = await two_factor.setup_totp(principal.session)
    return TotpSetupOut(secret=secret, otpauth_uri=uri)


@router.post("/verify", responses=problem_responses(401, 403, 409, 429, 503))
async def totp_verify(
    body: TotpCode,
    response: Response,
    principal: EnrollingUser,
    secure: SecureCookies,
    auth: AuthDep,
    two_factor: TwoFactorDep,
    client: ClientDep,
) -> EnrollmentOut:
    """Confirm enrollment with a first code: 2FA on, ten recovery codes (shown once) and a
    new session id (privilege change). 422 for a wrong code."""
    assert principal.session_id and principal.session
    codes, sign_in = await two_factor.verify_totp(
        principal.session_id, principal.session, body.code, client
    )
    return EnrollmentOut(recovery_codes=codes, state=signed_in(response, secure, auth, sign_in))


@router.post("/challenge", responses=problem_responses(401, 409, 429, 503))
async def totp_challenge(
    body: ChallengeIn,
    response: Response,
    principal: AnySession,
    secure: SecureCookies,
    auth: AuthDep,
    two_factor: TwoFactorDep,
    client: ClientDep,
) -> AuthState:
    """Finish a sign-in with a TOTP code or a recovery code (each code works once). 401 for
    a wrong or replayed code, 409 when no challenge is pending, 429 after repeated failures."""
    assert principal.session_id and principal.session
    sign_in = await two_factor.challenge(
        principal.session_id, principal.session, client, body.code, body.recovery_code
    )
    return signed_in(response, secure, auth, sign_in)


@router.post(
    "/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 429, 503),
)
async def totp_disable(
    body: TotpDisableIn, principal: CurrentUser, two_factor: TwoFactorDep, client: ClientDep
) -> Response:
    """Turn 2FA off (password and a current code). 403 for pharma and admin."""
    assert principal.session
    await two_factor.disable_totp(principal.session, body.password, body.code, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/recovery-codes", responses=problem_responses(401, 403, 503))
async def recovery_codes(
    body: TotpCode, principal: CurrentUser, two_factor: TwoFactorDep, client: ClientDep
) -> RecoveryCodesOut:
    """Replace the recovery codes after a current TOTP code."""
    assert principal.session
    codes = await two_factor.regenerate_recovery_codes(principal.session, body.code, client)
    return RecoveryCodesOut(recovery_codes=codes)
