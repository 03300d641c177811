"""Signed-in HTTP clients for API tests: real registration, sign-in and TOTP enrollment; and
the audit rows their requests leave."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass

import httpx
import pyotp
from sqlmodel import select

PASSWORD = "violet-harbour-lantern-42"


def _send_csrf(request: httpx.Request, client: httpx.Client) -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS") and "x-csrf-token" not in request.headers:
        token = client.cookies.get("lumen_csrf")
        if token:
            request.headers["X-CSRF-Token"] = token


def browser(base_url: str, timeout: float = 60) -> httpx.Client:
    """A client that behaves like the web app: it fetches a CSRF cookie and echoes it in
    ``X-CSRF-Token`` on every write."""
    client = httpx.Client(base_url=base_url, timeout=timeout)
    client.event_hooks["request"] = [lambda request: _send_csrf(request, client)]
    client.get("/api/v1/auth/csrf").raise_for_status()
    return client


@dataclass
class Account:
    """A user and their signed-in client."""

    client: httpx.Client
    email: str
    password: str
    user_id: str
    totp_secret: str | None = None


def register(base_url: str, email: str | None = None, password: str = PASSWORD) -> Account:
    """A new patient account, signed in."""
    email = email or f"patient-{uuid.uuid4().hex[:10]}@example.org"
    client = browser(base_url)
    response = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return Account(client, email, password, response.json()["user"]["id"])


def enroll_totp(client: httpx.Client) -> tuple[str, list[str]]:
    """Turn TOTP on for the signed-in user; the secret and the recovery codes."""
    secret = client.post("/api/v1/auth/2fa/setup").json()["secret"]
    response = client.post("/api/v1/auth/2fa/verify", json={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200, response.text
    return secret, response.json()["recovery_codes"]


def set_role(runtime, email: str, role: str) -> None:  # type: ignore[no-untyped-def]
    """Give an account a role directly in the database (as an admin would)."""
    from lumen.auth.models import User

    with runtime.db.session() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        user.role = role
        session.add(user)
        session.commit()


def staff(base_url: str, runtime, role: str) -> Account:  # type: ignore[no-untyped-def]
    """A pharma or admin account, signed in through its required TOTP enrollment."""
    account = register(base_url, email=f"{role}-{uuid.uuid4().hex[:10]}@example.org")
    set_role(runtime, account.email, role)
    account.client.close()
    client = browser(base_url)
    state = client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": account.password}
    ).json()
    assert state["status"] == "mfa_enrollment_required", state
    account.client = client
    account.totp_secret, _codes = enroll_totp(client)
    return account


def audit_rows(runtime) -> list[tuple]:  # type: ignore[no-untyped-def, type-arg]
    """Every row of the audit table of ``runtime``'s SQLite database, as stored, in insertion
    order: (seq, at, actor_id, actor_role, action, object_type, object_id, outcome, reason,
    ip, user_agent, prev_hash, hash); ``seq`` and the hashes are ``None`` until sealed."""
    with sqlite3.connect(runtime.settings.data_dir / "lumen.db") as raw:
        return raw.execute(
            "SELECT seq, at, actor_id, actor_role, action, object_type, object_id, outcome, "
            "reason, ip, user_agent, prev_hash, hash FROM audit_entries ORDER BY id"
        ).fetchall()
