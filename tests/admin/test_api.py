"""Administration through the real API (real app, real uvicorn, real SQLite): invitations,
role changes and disabling; break glass that is reasoned, time-limited, audited and shown to
the patient."""

from __future__ import annotations

import sqlite3
import uuid

from tests.accounts import PASSWORD, audit_rows, browser
from tests.chat.sse_client import new_conversation, stream_answer


def test_invitation_role_change_and_disabling(live_server, admin) -> None:  # type: ignore[no-untyped-def]
    email = f"invitee-{uuid.uuid4().hex[:8]}@example.org"
    invited = admin.client.post(
        "/api/v1/admin/users/invite", json={"email": email, "role": "pharma"}
    )
    assert invited.status_code == 201
    token = invited.json()["invitation_path"].split("token=")[1]
    newcomer = browser(live_server.url)
    state = newcomer.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD}
    )
    assert (
        state.json()["status"] == "mfa_enrollment_required"
        and state.json()["user"]["role"] == "pharma"
    )
    reused = newcomer.post(
        "/api/v1/auth/invitations/accept", json={"token": token, "password": PASSWORD}
    )
    assert reused.status_code == 404
    user_id = state.json()["user"]["id"]
    assert (
        admin.client.patch(f"/api/v1/admin/users/{user_id}", json={"role": "patient"}).status_code
        == 200
    )
    assert newcomer.get("/api/v1/auth/me").status_code == 401, "a role change ends their sessions"
    assert (
        admin.client.patch(f"/api/v1/admin/users/{user_id}", json={"disabled": True}).json()[
            "status"
        ]
        == "disabled"
    )
    login = newcomer.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 401
    me = admin.client.get("/api/v1/auth/me").json()["user"]["id"]
    assert (
        admin.client.patch(f"/api/v1/admin/users/{me}", json={"role": "patient"}).status_code == 422
    )
    newcomer.close()


def test_break_glass_is_reasoned_time_limited_audited_and_shown_to_the_patient(
    patient, admin, small_runtime
) -> None:  # type: ignore[no-untyped-def]
    conversation = new_conversation(patient.client)
    stream_answer(patient.client, conversation, "How is asthma treated?")
    short = admin.client.post(
        "/api/v1/admin/break-glass", json={"conversation_id": conversation, "reason": "curious"}
    )
    assert short.status_code == 422 and short.json()["field"] == "reason"
    reason = "Safety review of an answer the patient reported, ticket walrus-quokka"
    grant = admin.client.post(
        "/api/v1/admin/break-glass", json={"conversation_id": conversation, "reason": reason}
    ).json()
    opened = admin.client.get(f"/api/v1/admin/break-glass/{grant['id']}").json()
    assert opened["conversation"]["messages"][0]["content"] == "How is asthma treated?"
    events = patient.client.get("/api/v1/account/access-events").json()["items"]
    assert events[0]["reason"] == reason and events[0]["conversation_id"] == conversation
    actions = [(r[4], r[6]) for r in audit_rows(small_runtime)]
    assert ("break_glass.grant", conversation) in actions
    assert ("break_glass.read", conversation) in actions
    rows = " ".join(str(row) for row in audit_rows(small_runtime))
    assert "walrus" not in rows, "the reason stays out of the audit log"
    with sqlite3.connect(small_runtime.settings.data_dir / "lumen.db") as raw:
        raw.execute(
            "UPDATE break_glass_grants SET expires_at = '2020-01-01 00:00:00.000000' WHERE id = ?",
            (grant["id"].replace("-", ""),),
        )
    assert admin.client.get(f"/api/v1/admin/break-glass/{grant['id']}").status_code == 410


def test_an_offset_past_any_database_integer_is_refused_not_crashed_on(admin) -> None:  # type: ignore[no-untyped-def]
    """Found by the API contract run: an offset of 2**101 overflowed SQLite's integer (500)."""
    for route in ("/api/v1/admin/users", "/api/v1/admin/audit"):
        refused = admin.client.get(route, params={"offset": 2**101})
        assert refused.status_code == 422, route
        assert refused.headers["content-type"] == "application/problem+json"
        assert admin.client.get(route, params={"offset": 2**31 - 1}).status_code == 200
