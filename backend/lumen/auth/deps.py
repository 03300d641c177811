"""Request dependencies of the auth domain: its services, the organisation sign-in client,
whether cookies get ``Secure``, and the caller who may enroll a second factor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from lumen.auth.cookies import secure_transport
from lumen.auth.oidc import OidcClient
from lumen.auth.principal import Principal
from lumen.auth.service import MFA_PENDING, AuthService
from lumen.auth.sessions import Sessions
from lumen.auth.two_factor import TwoFactorService
from lumen.deps import AnySession, provide
from lumen.problems import Forbidden, NotFound
from lumen.settings import Settings

AuthDep = Annotated[AuthService, Depends(provide(AuthService))]
TwoFactorDep = Annotated[TwoFactorService, Depends(provide(TwoFactorService))]
SessionsDep = Annotated[Sessions, Depends(provide(Sessions))]


async def secure_cookies(
    request: Request, settings: Annotated[Settings, Depends(provide(Settings))]
) -> bool:
    """Whether this response's cookies get ``Secure`` (``cookies.secure_transport``)."""
    return secure_transport(request, settings.environment == "production")


SecureCookies = Annotated[bool, Depends(secure_cookies)]


async def configured_oidc(request: Request) -> OidcClient | None:
    """The organisation sign-in client, or ``None`` without one: the server registers an
    ``OidcClient`` only when ``LUMEN_OIDC_ISSUER`` and ``LUMEN_OIDC_CLIENT_ID`` are set, so
    this looks it up rather than requiring it as ``provide`` does."""
    found = request.app.state.services.get(OidcClient)
    assert found is None or isinstance(found, OidcClient)
    return found


OptionalOidcDep = Annotated[OidcClient | None, Depends(configured_oidc)]


async def oidc_client(oidc: OptionalOidcDep) -> OidcClient:
    """The organisation sign-in client; 404 when none is configured."""
    if oidc is None:
        raise NotFound("Organisation sign-in is not configured.")
    return oidc


OidcDep = Annotated[OidcClient, Depends(oidc_client)]


async def enrolling_principal(principal: AnySession) -> Principal:
    """The signed-in caller, or one whose role requires 2FA that is not set up yet; 403
    (``code: "mfa_required"``) while a sign-in's TOTP challenge is pending."""
    assert principal.session is not None
    if principal.session.state == MFA_PENDING:
        raise Forbidden("Enter your current code first.", code=MFA_PENDING)
    return principal


EnrollingUser = Annotated[Principal, Depends(enrolling_principal)]
