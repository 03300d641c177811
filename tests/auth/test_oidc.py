"""Organisation sign-in against a real OpenID provider (panva's oidc-provider on Node.js):
authorization code + PKCE through authlib, role from a claim, ``amr`` as the second factor."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from lumen.app import create_app
from lumen.auth.oidc import OidcClient
from tests.auth.oidc_fixtures import OidcProvider


@pytest.fixture
async def sso(small_runtime, oidc_provider: OidcProvider) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """The app configured for the provider, reached at http://testserver (its redirect URI)."""
    settings = small_runtime.settings.model_copy(
        update={
            "oidc_issuer": oidc_provider.issuer,
            "oidc_client_id": oidc_provider.client_id,
            "oidc_client_secret": SecretStr(oidc_provider.client_secret),
        }
    )
    oidc = OidcClient(settings, small_runtime.db, small_runtime.audit, small_runtime.auth)
    runtime = dataclasses.replace(small_runtime, settings=settings, oidc=oidc)
    app = create_app(settings, runtime=runtime)
    app.state.services = runtime.services()
    app.state.operator_token = "unused"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _sign_in(client: httpx.AsyncClient, provider: OidcProvider, login: str) -> httpx.Response:
    start = await client.get("/api/v1/auth/oidc/login", params={"next": "/drugs"})
    assert start.status_code == 302
    callback = provider.login(start.headers["location"], login)
    parts = urlsplit(callback)
    return await client.get(f"{parts.path}?{parts.query}")


async def test_the_redirect_uses_pkce_s256_state_and_nonce(sso: httpx.AsyncClient) -> None:
    start = await sso.get("/api/v1/auth/oidc/login")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) >= 43
    assert query["state"] and query["nonce"] and query["response_type"] == ["code"]
    providers = (await sso.get("/api/v1/auth/providers")).json()
    assert providers["oidc"]["login_url"] == "/api/v1/auth/oidc/login"


async def test_a_pharma_user_whose_provider_did_mfa_is_signed_in_with_the_claimed_role(
    sso: httpx.AsyncClient, oidc_provider: OidcProvider
) -> None:
    done = await _sign_in(sso, oidc_provider, "pharma.user@example.org")
    assert done.status_code == 302 and done.headers["location"] == "/drugs"
    me = (await sso.get("/api/v1/auth/me")).json()
    assert me["status"] == "signed_in" and me["user"]["role"] == "pharma" and me["user"]["sso"]
    assert (await sso.get("/api/v1/search", params={"q": "Lipitor"})).status_code == 200


async def test_an_admin_without_mfa_at_the_provider_must_enroll_totp(
    sso: httpx.AsyncClient, oidc_provider: OidcProvider
) -> None:
    done = await _sign_in(sso, oidc_provider, "admin.user@example.org")
    assert done.headers["location"] == "/account/2fa"
    me = (await sso.get("/api/v1/auth/me")).json()
    assert me["status"] == "mfa_enrollment_required" and me["user"]["role"] == "admin"
    assert (await sso.get("/api/v1/admin/users")).status_code == 403


async def test_without_a_role_claim_the_default_role_applies(
    sso: httpx.AsyncClient, oidc_provider: OidcProvider
) -> None:
    await _sign_in(sso, oidc_provider, "patient.user@example.org")
    me = (await sso.get("/api/v1/auth/me")).json()
    assert me["status"] == "signed_in" and me["user"]["role"] == "patient"


async def test_a_callback_with_a_forged_state_is_refused(
    sso: httpx.AsyncClient, oidc_provider: OidcProvider
) -> None:
    start = await sso.get("/api/v1/auth/oidc/login")
    callback = oidc_provider.login(start.headers["location"], "pharma.user@example.org")
    query = parse_qs(urlsplit(callback).query)
    forged = await sso.get(
        "/api/v1/auth/oidc/callback", params={"code": query["code"][0], "state": "forged"}
    )
    assert forged.status_code == 302 and forged.headers["location"] == "/signin?error=sso"
    assert (await sso.get("/api/v1/auth/me")).status_code == 401
