"""The user's own account through the real API (real app, real uvicorn, real SQLite): API
tokens that are scoped, expiring and revocable; data export, then deletion that removes the
content and keeps the audit trail."""

from __future__ import annotations

import sqlite3

import httpx

from tests.accounts import audit_rows, browser
from tests.chat.sse_client import new_conversation, stream_answer


def test_api_tokens_are_scoped_expiring_and_revocable(live_server, pharma, small_runtime) -> None:  # type: ignore[no-untyped-def]
    created = pharma.client.post(
        "/api/v1/account/tokens",
        json={"name": "notebook", "scopes": ["drugs"], "expires_in_days": 7},
    )
    assert created.status_code == 201
    token, item = created.json()["token"], created.json()["item"]
    assert token.startswith("lmn_") and item["prefix"] in token
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live_server.url, headers=bearer) as api:
        assert api.get("/api/v1/drugs", params={"q": "lipitor"}).status_code == 200
        no_scope = api.get("/api/v1/search", params={"q": "statin"})
        assert no_scope.status_code == 403 and no_scope.json()["code"] == "scope"
        assert api.post("/api/v1/conversations", json={}).status_code == 401, "no chat by token"
        with sqlite3.connect(small_runtime.settings.data_dir / "lumen.db") as raw:
            stored = [row[0] for row in raw.execute("SELECT token_hash FROM api_tokens")]
        assert token not in stored, "only the hash is stored"
        assert pharma.client.delete(f"/api/v1/account/tokens/{item['id']}").status_code == 204
        assert api.get("/api/v1/drugs", params={"q": "lipitor"}).status_code == 401
    searching = pharma.client.post(
        "/api/v1/account/tokens", json={"name": "search", "scopes": ["search"]}
    ).json()
    with sqlite3.connect(small_runtime.settings.data_dir / "lumen.db") as raw:
        raw.execute(
            "UPDATE api_tokens SET expires_at = '2020-01-01 00:00:00.000000' WHERE id = ?",
            (searching["item"]["id"].replace("-", ""),),
        )
    expired = httpx.get(
        f"{live_server.url}/api/v1/search",
        params={"q": "statin"},
        headers={"Authorization": f"Bearer {searching['token']}"},
    )
    assert expired.status_code == 401


def test_export_then_deletion_removes_content_and_keeps_the_audit_trail(
    live_server, patient, small_runtime
) -> None:  # type: ignore[no-untyped-def]
    conversation = new_conversation(patient.client)
    stream_answer(patient.client, conversation, "What causes migraine headaches?")
    export = patient.client.get("/api/v1/account/export")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    data = export.json()
    assert data["user"]["email"] == patient.email
    assert data["conversations"][0]["messages"][0]["content"] == "What causes migraine headaches?"
    wrong = patient.client.request("DELETE", "/api/v1/account", json={"password": "nope-nope-nope"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "password", "the session is fine"
    assert (
        patient.client.request(
            "DELETE", "/api/v1/account", json={"password": patient.password}
        ).status_code
        == 204
    )
    with sqlite3.connect(small_runtime.settings.data_dir / "lumen.db") as raw:
        owner = patient.user_id
        assert (
            raw.execute(
                "SELECT count(*) FROM conversations WHERE owner_id = ?", (owner,)
            ).fetchone()[0]
            == 0
        )
        assert (
            raw.execute("SELECT count(*) FROM users WHERE email = ?", (patient.email,)).fetchone()[
                0
            ]
            == 0
        )
    trail = [r for r in audit_rows(small_runtime) if r[2] == patient.user_id]
    assert {"user.register", "user.data_export", "user.delete"} <= {r[4] for r in trail}
    again = browser(live_server.url)
    assert (
        again.post(
            "/api/v1/auth/login", json={"email": patient.email, "password": patient.password}
        ).status_code
        == 401
    )
    again.close()
