"""Redis hung (SIGSTOP) and then gone (SIGKILL) under a real ``lumen serve``: sign-in, session
checks and rate limits fail closed with 503 problem+json within about a second; nobody is
signed in, nobody is taken for anonymous, nobody is signed out (the cookie is kept, and works
again once Redis is back with the sessions it kept), and attempts refused in the outage do not
count toward a lockout. The database is SQLite: Redis is the only thing broken here."""

from __future__ import annotations

import json
import signal
import time
import uuid
from pathlib import Path

import httpx

from tests.accounts import PASSWORD, browser, register
from tests.faults.conftest import OwnRedis
from tests.servers import lumen_serve

FAST_S = 2.0  # redis_timeout_s is 1 s: a hung Redis costs one timeout


def _timed(send):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    response = send()
    return response, time.monotonic() - started


def _assert_fails_closed(response: httpx.Response, elapsed_s: float) -> None:
    """503 problem+json with Retry-After, fast, and no cookie cleared or set."""
    assert response.status_code == 503, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers.get("retry-after"), response.headers
    assert json.loads(response.text)["status"] == 503
    assert elapsed_s < FAST_S, f"took {elapsed_s:.2f} s"
    assert "lumen_session" not in response.headers.get("set-cookie", ""), "cookie touched"


def _sign_in(url: str, email: str, password: str) -> httpx.Response:
    """A sign-in from a fresh browser."""
    client = browser(url)
    try:
        return client.post("/api/v1/auth/login", json={"email": email, "password": password})
    finally:
        client.close()


def _register(url: str, email: str) -> httpx.Response:
    """A registration from a fresh browser."""
    client = browser(url)
    try:
        return client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    finally:
        client.close()


def test_redis_down_fails_closed_and_sessions_survive_it(
    tmp_path: Path, own_redis: OwnRedis
) -> None:
    env = {
        "LUMEN_REDIS_URL": own_redis.url,
        "LUMEN_REDIS_KEY_PREFIX": f"lumen-faults-{uuid.uuid4().hex[:8]}",
    }
    with lumen_serve(tmp_path / "var", env, log=tmp_path / "serve.log") as (url, _pid):
        patient = register(url)
        other = register(url)
        other.client.close()
        me = patient.client.get("/api/v1/auth/me")
        assert me.status_code == 200
        cookie = patient.client.cookies["lumen_session"]
        anonymous = httpx.Client(base_url=url, timeout=30)
        wrong = "not-the-password-" * 2
        newcomer = f"newcomer-{uuid.uuid4().hex[:8]}@example.org"

        for outage in ("hung", "gone"):
            if outage == "hung":
                own_redis.signal(signal.SIGSTOP)
            else:
                own_redis.kill()

            # A session check: 503, the cookie kept (not signed out), not run as anonymous.
            _assert_fails_closed(*_timed(lambda: patient.client.get("/api/v1/auth/me")))
            listed = _timed(lambda: patient.client.get("/api/v1/conversations"))
            _assert_fails_closed(*listed)
            assert patient.client.cookies["lumen_session"] == cookie
            # No cookie: still 401, never served.
            assert anonymous.get("/api/v1/conversations").status_code == 401
            # Sign-in: 503 with the right password (nobody signed in) and with wrong ones.
            _assert_fails_closed(*_timed(lambda: _sign_in(url, other.email, PASSWORD)))
            for _ in range(3):
                _assert_fails_closed(*_timed(lambda: _sign_in(url, other.email, wrong)))
            # Registration's rate limit fails closed: no account is made unmetered.
            refused = _register(url, newcomer)
            assert refused.status_code == 503, refused.text
            # Readiness says so, quickly.
            ready, elapsed = _timed(lambda: httpx.get(f"{url}/readyz", timeout=30))
            assert ready.status_code == 503 and elapsed < FAST_S
            assert ready.json()["sessions"]["state"] == "down"

            if outage == "hung":
                own_redis.signal(signal.SIGCONT)
            else:
                own_redis.start()  # same port, same append-only file

            # The same cookie works again: the session was kept, not ended.
            back = patient.client.get("/api/v1/auth/me")
            assert back.status_code == 200, back.text
            assert back.json()["user"]["id"] == patient.user_id
            assert httpx.get(f"{url}/readyz", timeout=30).status_code == 200

        # Six wrong sign-ins were refused in the outages; none counted. Two more now stay below
        # the back-off (from the third failure), and the right password signs in.
        for _ in range(2):
            assert _sign_in(url, other.email, wrong).status_code == 401
        signed_in = _sign_in(url, other.email, PASSWORD)
        assert signed_in.status_code == 200, signed_in.text
        made = _register(url, newcomer)
        assert made.status_code == 201, "the refused registration made no account"
        anonymous.close()
        patient.client.close()
    failed = "Exception in ASGI application"
    assert failed not in (tmp_path / "serve.log").read_text(errors="replace")
