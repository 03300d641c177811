"""Organisation sign-in with OpenID Connect (authorization code flow with PKCE S256, RFC 7636)
through authlib's Starlette client.

authlib keeps the transaction (state, nonce, PKCE verifier) in Starlette's signed session
cookie ``lumen_oidc`` for ten minutes; it validates the ID token's signature (the provider's
JWKS), issuer, audience, nonce and expiry. The role comes from one claim
(``LUMEN_OIDC_ROLE_CLAIM``); an ``amr`` containing ``mfa`` (RFC 8176 section 2) counts as the
second factor, otherwise pharma and admin users enroll TOTP in Lumen as everyone else does.
The person's account is made at their first visit and keeps the provider's role since.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.starlette_client import OAuth, OAuthError
from starlette.requests import Request
from starlette.responses import Response

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditLog
from lumen.auth.models import User
from lumen.auth.principal import ClientInfo
from lumen.auth.repository import UserRepository
from lumen.auth.roles import Role
from lumen.auth.service import AuthService, SignIn, normalise_email, user_event
from lumen.db import Database, utcnow
from lumen.problems import Conflict, Unauthorized
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
    """One OpenID provider: the redirect out, the callback's completion and the sign-in of
    the person it vouched for."""

    def __init__(
        self, settings: Settings, db: Database, audit: AuditLog, auth: AuthService
    ) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id
        self.name = settings.oidc_name
        self.issuer = settings.oidc_issuer.rstrip("/")
        self._db = db
        self._audit = audit
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
    def from_settings(
        cls, settings: Settings, db: Database, audit: AuditLog, auth: AuthService
    ) -> OidcClient | None:
        """The client when ``LUMEN_OIDC_ISSUER`` and ``LUMEN_OIDC_CLIENT_ID`` are set."""
        if settings.oidc_issuer and settings.oidc_client_id:
            return cls(settings, db, audit, auth)
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
        sign_in = await self.sign_in(
            self.issuer, str(subject), str(email), role, mfa_done, client_info
        )
        return sign_in, safe_next(request.session.pop(NEXT_KEY, None))

    async def sign_in(
        self, issuer: str, subject: str, email: str, role: Role, mfa_done: bool, client: ClientInfo
    ) -> SignIn:
        """Sign in a person an OIDC provider vouched for, creating the account on first visit.

        The provider is the source of truth for the role: a changed claim changes the role
        (audited). ``mfa_done``: the provider asserted multi-factor authentication (``amr``),
        so no TOTP is asked. Raises ``Conflict`` when a password account already uses the
        address (linking it would let the provider take over that account).
        """
        email = normalise_email(email)
        async with self._db.async_session() as session:
            repo = UserRepository(session)
            user = await repo.by_oidc(issuer, subject)
            if user is None:
                if await repo.by_email(email) is not None:
                    raise Conflict(
                        "An account with this e-mail address signs in with a password.",
                        field="email",
                    )
                user = User(email=email, role=role, oidc_issuer=issuer, oidc_subject=subject)
                created = True
            else:
                created = False
        if not created and user.status != "active":  # recorded once the read is over
            await self._audit.record(
                user_event(
                    AuditAction.SIGN_IN_OIDC,
                    user,
                    client,
                    outcome="failure",
                    reason=f"user_{user.status}",
                    object_id=str(user.id),
                )  # fmt: skip
            )
            raise Unauthorized("This account is disabled.")
        async with self._db.async_session() as session:
            if not created:
                user = await session.merge(user)
            role_changed = not created and user.role != role
            user.role = role
            user.last_sign_in_at = utcnow()
            session.add(user)
            object_id = str(user.id)
            if created:
                await self._audit.append(
                    session, user_event(AuditAction.REGISTER, user, client, object_id=object_id)
                )
            elif role_changed:
                await self._audit.append(
                    session,
                    user_event(
                        AuditAction.ROLE_CHANGE,
                        user,
                        client,
                        object_id=object_id,
                        reason="oidc_claim",
                    ),  # fmt: skip
                )
            await self._audit.append(
                session, user_event(AuditAction.SIGN_IN_OIDC, user, client, object_id=object_id)
            )
            await session.commit()
        if role_changed:
            await self._auth.sessions.end_all(str(user.id))
        return await self._auth.start_session(user, client, mfa_done=mfa_done)

    def _role(self, value: object) -> Role:
        if isinstance(value, str) and value in Role.__members__.values():
            return Role(value)
        return self._default_role
