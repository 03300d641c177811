"""The test OIDC provider itself: a code flow with PKCE, as a real relying party drives it."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.auth.oidc_fixtures import OidcProvider

SCOPE = "openid email profile"


@pytest.fixture(scope="module")
def discovery(oidc_provider: OidcProvider) -> dict[str, Any]:  # noqa: F811
    """The provider's discovery document."""
    response = httpx.get(f"{oidc_provider.issuer}/.well-known/openid-configuration")
    response.raise_for_status()
    return dict(response.json())


def _client(provider: OidcProvider) -> OAuth2Client:
    return OAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        scope=SCOPE,
        redirect_uri=provider.redirect_uris[0],
        token_endpoint_auth_method="client_secret_basic",
        code_challenge_method="S256",
    )


def _authorize(
    provider: OidcProvider, discovery: dict[str, Any], login: str
) -> tuple[OAuth2Client, str, str, str]:
    """Sign ``login`` in; returns the client, the callback URL, the verifier and the nonce."""
    client = _client(provider)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = client.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    callback = provider.login(url, login)
    assert callback.startswith(provider.redirect_uris[0] + "?"), callback
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == [state]
    assert query["iss"] == [provider.issuer]
    assert query["code"]
    return client, callback, verifier, nonce


def test_code_flow_with_pkce_issues_an_id_token_with_the_lumen_claims(
    oidc_provider: OidcProvider,  # noqa: F811
    discovery: dict[str, Any],
) -> None:
    client, callback, verifier, nonce = _authorize(
        oidc_provider, discovery, "pharma.user@example.org"
    )
    with client:
        token = client.fetch_token(
            discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier
        )

    keys = KeySet.import_key_set(httpx.get(discovery["jwks_uri"]).json())
    decoded = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        options={
            "iss": {"essential": True, "value": oidc_provider.issuer},
            "aud": {"essential": True, "value": oidc_provider.client_id},
        },
        params={"nonce": nonce, "access_token": token["access_token"]},
    )
    claims.validate()

    assert claims["sub"] == "pharma-1"
    assert claims["email"] == "pharma.user@example.org"
    assert claims["email_verified"] is True
    assert claims["lumen_role"] == "pharma"
    assert "mfa" in claims["amr"]


def test_other_accounts_carry_their_own_claims(
    oidc_provider: OidcProvider,  # noqa: F811
    discovery: dict[str, Any],
) -> None:
    for login, sub, role in [
        ("admin.user@example.org", "admin-1", "admin"),
        ("patient.user@example.org", "patient-1", None),
        ("someone@example.net", "someone@example.net", None),
    ]:
        client, callback, verifier, _ = _authorize(oidc_provider, discovery, login)
        with client:
            token = client.fetch_token(
                discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier
            )
        keys = KeySet.import_key_set(httpx.get(discovery["jwks_uri"]).json())
        claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
        assert (claims["sub"], claims["email"], claims.get("lumen_role")) == (sub, login, role)


def test_a_token_request_without_the_pkce_verifier_is_refused(
    oidc_provider: OidcProvider,  # noqa: F811
    discovery: dict[str, Any],
) -> None:
    client, callback, _, _ = _authorize(oidc_provider, discovery, "pharma.user@example.org")
    client.close()
    code = parse_qs(urlsplit(callback).query)["code"][0]
    response = httpx.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": oidc_provider.redirect_uris[0],
        },
        auth=(oidc_provider.client_id, oidc_provider.client_secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_an_authorization_request_without_a_code_challenge_is_refused(
    oidc_provider: OidcProvider,  # noqa: F811
    discovery: dict[str, Any],
) -> None:
    with OAuth2Client(
        client_id=oidc_provider.client_id,
        scope=SCOPE,
        redirect_uri=oidc_provider.redirect_uris[0],
    ) as client:
        url, _ = client.create_authorization_url(discovery["authorization_endpoint"])
    callback = oidc_provider.login(url, "pharma.user@example.org")
    query = parse_qs(urlsplit(callback).query)
    assert query["error"] == ["invalid_request"]
    assert "code" not in query
