"""Security of the HTTP API end to end (real app, real uvicorn, real SQLite): CSRF, session
fixation and cookies, IDOR on every object route, roles and 2FA gates, the audit view,
collections per role, and no PHI in logs or the audit log. API tokens, export and deletion:
``tests/account``; invitations, roles and break glass: ``tests/admin``."""

from __future__ import annotations

import logging
import uuid

import httpx
import pyotp
import pytest

from lumen.knowledge.schemas import REGULATORY, SourceDocument, SourceSection
from tests.accounts import PASSWORD, audit_rows, browser, register
from tests.chat.sse_client import new_conversation, stream_answer

ZERO = "00000000-0000-0000-0000-000000000000"


# --- CSRF ------------------------------------------------------------------------------------


def test_a_write_without_the_csrf_token_is_refused(patient) -> None:  # type: ignore[no-untyped-def]
    client = patient.client
    for headers in ({"X-CSRF-Token": ""}, {"X-CSRF-Token": "forged-token-value"}):
        refused = client.post("/api/v1/conversations", json={}, headers=headers)
        assert refused.status_code == 403 and refused.json()["code"] == "csrf"
        assert refused.headers["content-type"] == "application/problem+json"
    assert client.post("/api/v1/conversations", json={}).status_code == 201


def test_non_ascii_tokens_are_refused_not_crashed_on(patient) -> None:  # type: ignore[no-untyped-def]
    """Found by the API contract run: constant-time comparison of a non-ASCII string raised."""
    client = patient.client
    forged = {"X-CSRF-Token": "jeton-forgé".encode()}
    refused = client.post("/api/v1/conversations", json={}, headers=forged)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    unknown = client.delete("/api/v1/auth/sessions/séance")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def test_a_cross_origin_write_is_refused_even_with_the_token(patient) -> None:  # type: ignore[no-untyped-def]
    refused = patient.client.post(
        "/api/v1/conversations", json={}, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"


def test_sign_in_needs_the_pre_session_csrf_token(live_server) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_server.url) as bare:
        body = {"email": "x@example.org", "password": PASSWORD}
        assert bare.post("/api/v1/auth/login", json=body).status_code == 403
        assert bare.post("/api/v1/auth/register", json=body).status_code == 403


# --- sessions ----------------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_strict(live_server) -> None:  # type: ignore[no-untyped-def]
    client = browser(live_server.url)
    email = f"c-{uuid.uuid4().hex[:8]}@example.org"
    response = client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("lumen_session="))
    assert "HttpOnly" in session and "SameSite=strict" in session and "Max-Age" not in session
    csrf = next(c for c in cookies if c.startswith("lumen_csrf="))
    assert "HttpOnly" not in csrf
    client.close()


def test_a_planted_session_id_is_never_adopted(live_server, patient) -> None:  # type: ignore[no-untyped-def]
    client = browser(live_server.url)
    client.cookies.set("lumen_session", "attacker-chosen-session-id-0123456789", domain="127.0.0.1")
    response = client.post(
        "/api/v1/auth/login", json={"email": patient.email, "password": patient.password}
    )
    assert response.status_code == 200
    issued = client.cookies.get("lumen_session", domain="127.0.0.1")
    assert issued and issued != "attacker-chosen-session-id-0123456789"
    with httpx.Client(base_url=live_server.url) as attacker:
        attacker.cookies.set("lumen_session", "attacker-chosen-session-id-0123456789")
        assert attacker.get("/api/v1/auth/me").status_code == 401
    client.close()


def test_a_signed_out_session_id_stops_working(live_server, patient) -> None:  # type: ignore[no-untyped-def]
    stolen = patient.client.cookies.get("lumen_session")
    assert patient.client.post("/api/v1/auth/logout").status_code == 204
    with httpx.Client(base_url=live_server.url) as replay:
        replay.cookies.set("lumen_session", stolen)
        assert replay.get("/api/v1/conversations").status_code == 401


def test_sign_out_everywhere_and_password_change_end_other_sessions(live_server, patient) -> None:  # type: ignore[no-untyped-def]
    second = browser(live_server.url)
    second.post("/api/v1/auth/login", json={"email": patient.email, "password": patient.password})
    assert len(patient.client.get("/api/v1/auth/sessions").json()["items"]) == 2
    changed = patient.client.post(
        "/api/v1/auth/password",
        json={"current_password": patient.password, "new_password": "quartz-meadow-kettle-77"},
    )
    assert changed.status_code == 204
    assert second.get("/api/v1/auth/me").status_code == 401
    assert patient.client.get("/api/v1/auth/me").status_code == 200, "this one was rotated"
    second.post(
        "/api/v1/auth/login", json={"email": patient.email, "password": "quartz-meadow-kettle-77"}
    )
    assert patient.client.post("/api/v1/auth/logout-all").status_code == 204
    assert second.get("/api/v1/auth/me").status_code == 401
    assert patient.client.get("/api/v1/auth/me").status_code == 401
    second.close()


def test_weak_password_change_is_refused_and_nothing_changes(patient) -> None:  # type: ignore[no-untyped-def]
    wrong = patient.client.post(
        "/api/v1/auth/password",
        json={"current_password": "not-my-password-9", "new_password": "quartz-meadow-kettle-77"},
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "current_password"
    response = patient.client.post(
        "/api/v1/auth/password",
        json={"current_password": patient.password, "new_password": "password1234"},
    )
    assert response.status_code == 422 and response.json()["field"] == "new_password"
    assert patient.client.get("/api/v1/auth/me").status_code == 200


def test_login_lockout_answers_429_with_retry_after(live_server, patient) -> None:  # type: ignore[no-untyped-def]
    client = browser(live_server.url)
    statuses = []
    for _ in range(5):
        response = client.post(
            "/api/v1/auth/login", json={"email": patient.email, "password": "not-the-password-1"}
        )
        statuses.append(response.status_code)
    assert statuses[:3] == [401, 401, 401] and 429 in statuses[3:]
    throttled = next(r for r in [response] if r.status_code == 429)
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["retry_after_s"] >= 1
    client.close()


# --- IDOR on every object route ----------------------------------------------------------------


def test_no_object_route_reveals_another_users_object(
    live_server, patient, pharma, admin, small_runtime
) -> None:  # type: ignore[no-untyped-def]
    mine = new_conversation(patient.client)
    answer = stream_answer(patient.client, mine, "What is high blood pressure?")
    message_id = answer.first("meta")["message_id"]
    other = register(live_server.url).client
    routes = [
        ("GET", f"/api/v1/conversations/{mine}", None),
        ("DELETE", f"/api/v1/conversations/{mine}", None),
        ("POST", f"/api/v1/conversations/{mine}/messages", {"content": "hello"}),
        ("POST", f"/api/v1/conversations/{mine}/messages/{message_id}/regenerate", None),
    ]
    for method, path, body in routes:
        response = other.request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.text)
        admin_try = admin.client.request(method, path, json=body)
        assert admin_try.status_code == 404, "admins read content only by break glass"
    # Sessions and tokens of someone else.
    handle = patient.client.get("/api/v1/auth/sessions").json()["items"][0]["id"]
    assert other.delete(f"/api/v1/auth/sessions/{handle}").status_code == 404
    token = pharma.client.post(
        "/api/v1/account/tokens", json={"name": "ci", "scopes": ["search"]}
    ).json()["item"]["id"]
    other_pharma_session = _second_pharma(live_server, small_runtime)
    assert other_pharma_session.delete(f"/api/v1/account/tokens/{token}").status_code == 404
    # Another admin's break-glass grant.
    grant = admin.client.post(
        "/api/v1/admin/break-glass",
        json={"conversation_id": mine, "reason": "Patient reported a harmful answer, ticket 4411"},
    ).json()["id"]
    from tests.accounts import staff

    second_admin = staff(live_server.url, small_runtime, "admin")
    assert second_admin.client.get(f"/api/v1/admin/break-glass/{grant}").status_code == 404
    assert patient.client.get(f"/api/v1/conversations/{mine}").status_code == 200
    failures = [
        r for r in audit_rows(small_runtime) if r[4] == "conversation.read" and r[7] == "failure"
    ]
    assert any(r[6] == mine for r in failures), "IDOR attempts are audited"
    for client in (other, other_pharma_session, second_admin.client):
        client.close()


def _second_pharma(live_server, runtime) -> httpx.Client:  # type: ignore[no-untyped-def]
    from tests.accounts import staff

    return staff(live_server.url, runtime, "pharma").client


# --- roles and the second factor ---------------------------------------------------------------


def test_patients_cannot_reach_pharma_or_admin_routes(patient) -> None:  # type: ignore[no-untyped-def]
    for path in (
        "/api/v1/search?q=aspirin", "/api/v1/admin/users", "/api/v1/admin/audit",
        "/api/v1/admin/audit/verify", "/api/v1/account/tokens",
    ):  # fmt: skip
        response = patient.client.get(path)
        assert response.status_code == 403 and response.json()["code"] == "role", path


def test_staff_must_enroll_totp_before_anything_else(live_server, small_runtime) -> None:  # type: ignore[no-untyped-def]
    from tests.accounts import set_role

    account = register(live_server.url)
    set_role(small_runtime, account.email, "pharma")
    client = browser(live_server.url)
    state = client.post(
        "/api/v1/auth/login", json={"email": account.email, "password": account.password}
    ).json()
    assert state["status"] == "mfa_enrollment_required"
    blocked = client.get("/api/v1/conversations")
    assert blocked.status_code == 403 and blocked.json()["code"] == "mfa_enrollment_required"
    secret = client.post("/api/v1/auth/2fa/setup").json()["secret"]
    before = client.cookies.get("lumen_session")
    assert client.post("/api/v1/auth/2fa/verify", json={"code": "000000"}).status_code == 422
    enrolled = client.post("/api/v1/auth/2fa/verify", json={"code": pyotp.TOTP(secret).now()})
    assert enrolled.status_code == 200 and enrolled.json()["state"]["status"] == "signed_in"
    assert client.cookies.get("lumen_session") != before, "privilege change rotates the id"
    assert client.get("/api/v1/search", params={"q": "Lipitor"}).status_code == 200
    disable = client.post("/api/v1/auth/2fa/disable", json={"password": PASSWORD, "code": "1"})
    assert disable.status_code == 403, "2FA stays on for pharma"
    client.close()
    account.client.close()


def test_a_pending_totp_challenge_grants_nothing(live_server, patient) -> None:  # type: ignore[no-untyped-def]
    from tests.accounts import enroll_totp

    secret, _codes = enroll_totp(patient.client)
    client = browser(live_server.url)
    state = client.post(
        "/api/v1/auth/login", json={"email": patient.email, "password": patient.password}
    ).json()
    assert state["status"] == "mfa_required"
    assert client.get("/api/v1/conversations").status_code == 403
    wrong = client.post("/api/v1/auth/2fa/challenge", json={"code": "123456"})
    assert wrong.status_code == 401
    client.close()


# --- audit view ----------------------------------------------------------------------------------


def test_the_audit_view_filters_paginates_verifies_exports_and_audits_itself(
    live_server, admin
) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):  # sign-ins enough for two pages of two, whatever ran before
        other = browser(live_server.url)
        credentials = {"email": admin.email, "password": admin.password}
        assert other.post("/api/v1/auth/login", json=credentials).status_code == 200
        other.close()
    page = admin.client.get(
        "/api/v1/admin/audit", params={"action": "auth.sign_in", "limit": 2}
    ).json()
    assert len(page["items"]) == 2 and page["total"] >= 2
    assert all(item["action"] == "auth.sign_in" for item in page["items"])
    assert page["items"][0]["id"] > page["items"][1]["id"], "newest first"
    second = admin.client.get(
        "/api/v1/admin/audit", params={"action": "auth.sign_in", "limit": 2, "offset": 2}
    ).json()
    assert {i["id"] for i in second["items"]}.isdisjoint({i["id"] for i in page["items"]})
    verify = admin.client.get("/api/v1/admin/audit/verify").json()
    assert verify["ok"] and verify["first_broken_seq"] is None
    csv_export = admin.client.get(
        "/api/v1/admin/audit/export", params={"format": "csv", "action": "auth.sign_in"}
    )
    lines = csv_export.text.strip().splitlines()
    assert lines[0].startswith("id,seq,at,actor_id") and len(lines) - 1 == page["total"]
    json_export = admin.client.get("/api/v1/admin/audit/export", params={"format": "json"}).json()
    assert json_export[0]["seq"] == 1, "verification sealed every entry it checked"
    own = admin.client.get("/api/v1/admin/audit", params={"actor_id": admin.user_id}).json()[
        "items"
    ]
    assert {"audit.read", "audit.verify", "audit.export"} <= {i["action"] for i in own}
    by_email = admin.client.get("/api/v1/admin/audit", params={"actor_id": admin.email.upper()})
    assert {i["actor_id"] for i in by_email.json()["items"]} == {admin.user_id}
    nobody = admin.client.get("/api/v1/admin/audit", params={"actor_id": "nobody@example.org"})
    assert nobody.json()["total"] == 0


# --- collections per role ----------------------------------------------------------------------

SOP = (
    "Deviation handling in GMP batch record review: a quality assurance officer classifies "
    "each deviation as critical, major or minor within two working days."
)


def test_regulatory_documents_reach_pharma_but_never_patients(
    patient, pharma, small_runtime
) -> None:  # type: ignore[no-untyped-def]
    document = SourceDocument(
        id="sop:qa-017", source="sop", source_name="Lumen SOP", collection=REGULATORY,
        title="SOP QA-017 Deviation handling", url=None, licence="internal", attribution="QA",
        version="1", text=SOP, sections=(SourceSection("qa-017-1", "Procedure", 0, len(SOP)),),
    )  # fmt: skip
    small_runtime.ingestor.ingest([document])
    query = "How are GMP batch record deviations classified by quality assurance?"
    found = pharma.client.get("/api/v1/search", params={"q": query, "k": 3}).json()["items"]
    assert found[0]["document_id"] == "sop:qa-017"
    conversation = new_conversation(patient.client)
    answer = stream_answer(patient.client, conversation, query)
    assert all(s["document_id"] != "sop:qa-017" for s in answer.first("meta")["sources"])
    assert patient.client.get("/api/v1/documents/sop:qa-017").status_code == 404
    assert pharma.client.get("/api/v1/documents/sop:qa-017").status_code == 200


# --- no PHI in logs or the audit log -----------------------------------------------------------

PHI = ("Margaret Okonkwo", "415-555-0199", "1958-03-14")


def test_no_phi_reaches_the_logs_or_the_audit_table(
    patient, small_runtime, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    conversation = new_conversation(patient.client)
    message = (
        f"My name is {PHI[0]}, phone {PHI[1]}, date of birth {PHI[2]}. "
        "I want to end my life tonight."
    )
    stream_answer(patient.client, conversation, message)
    stream_answer(patient.client, conversation, f"{PHI[0]} here again: what helps with insomnia?")
    patient.client.get(f"/api/v1/conversations/{conversation}")
    logged = caplog.text
    rows = " ".join(str(row) for row in audit_rows(small_runtime))
    for item in (*PHI, patient.email):
        assert item not in logged, f"{item!r} reached the log"
        assert item not in rows, f"{item!r} reached the audit table"
    assert "conversation.message" in rows and "conversation.escalation" in rows
