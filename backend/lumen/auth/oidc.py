"""Organisation sign-in with OpenID Connect (authorization code flow with PKCE S256, RFC 7636)
through authlib's Starlette client.

authlib keeps the transaction (state, nonce, PKCE verifier) in Starlette's signed session
cookie ``lumen_oidc`` for ten minutes; it validates the ID token's signature (the provider's
JWKS), issuer, audience, nonce and expiry. The role comes from one claim
(``LUMEN_OIDC_ROLE_CLAIM``); an ``amr`` containing ``mfa`` (RFC 8176 section 2) counts as the
second factor, otherwise pharma and admin users enroll TOTP in Lumen as everyone else does.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.requests import Request
from starlette.responses import Response

from lumen.auth.principal import ClientInfo
from lumen.auth.roles import Role
from lumen.auth.service import AuthService, SignIn
from lumen.problems import Unauthorized
from lumen.settings import Settings

PROVIDER = "organisation"
NEXT_KEY = "lumen_next"
STATE_COOKIE = "lumen_oidc"
STATE_MAX_AGE_S = 600


def safe_next(path: str | None) -> str:
    """``path`` if it is a path on this site (no open redirect), else ``/chat``."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return "/chat"


class OidcClient:
    """One OpenID provider: the redirect out and the callback's completion."""

    def __init__(self, settings: Settings, auth: AuthService) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id
        self.name = settings.oidc_name
        self.issuer = settings.oidc_issuer.rstrip("/")
        self._auth = auth
        self._role_claim = settings.oidc_role_claim
        self._default_role = Role(settings.oidc_default_role)
        self._oauth = OAuth()
        secret = settings.oidc_client_secret
        self._oauth.register(
            PROVIDER,
            client_id=settings.oidc_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            server_metadata_url=f"{self.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
        )

    @classmethod
    def from_settings(cls, settings: Settings, auth: AuthService) -> OidcClient | None:
        """The client when ``LUMEN_OIDC_ISSUER`` and ``LUMEN_OIDC_CLIENT_ID`` are set."""
        if settings.oidc_issuer and settings.oidc_client_id:
            return cls(settings, auth)
        return None

    async def redirect(
        self, request: Request, redirect_uri: str, next_path: str | None
    ) -> Response:
        """A 302 to the provider's authorization endpoint (state, nonce, PKCE challenge)."""
        request.session[NEXT_KEY] = safe_next(next_path)
        client = self._oauth.create_client(PROVIDER)
        response: Response = await client.authorize_redirect(request, redirect_uri)
        return response

    async def complete(self, request: Request, client_info: ClientInfo) -> tuple[SignIn, str]:
        """Exchange the code, validate the ID token and sign the person in; the sign-in and
        the local path to go to. ``Unauthorized`` when the provider's answer is refused."""
        client = self._oauth.create_client(PROVIDER)
        try:
            token: dict[str, Any] = await client.authorize_access_token(request)
        except OAuthError as exc:
            raise Unauthorized(f"Organisation sign-in failed ({exc.error}).") from exc
        claims: dict[str, Any] = token.get("userinfo") or {}
        subject, email = claims.get("sub"), claims.get("email")
        if not subject or not email:
            raise Unauthorized("The organisation did not share an e-mail address.")
        role = self._role(claims.get(self._role_claim))
        mfa_done = "mfa" in (claims.get("amr") or [])
        sign_in = await self._auth.sign_in_external(
            self.issuer, str(subject), str(email), role, mfa_done, client_info
        )
        return sign_in, safe_next(request.session.pop(NEXT_KEY, None))

    def _role(self, value: object) -> Role:
        if isinstance(value, str) and value in Role.__members__.values():
            return Role(value)
        return self._default_role
