"""An action and its audit entry commit together or not at all (HIPAA 164.312(b) audit controls):
through the real API, in each domain that changes something, a failure between the change and
the commit leaves neither, and an audit store that refuses the entry rolls the change back and
answers 503 problem+json."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, Engine, Insert, event, text
from sqlalchemy.orm import Session

from tests.accounts import Account, register, staff


@dataclass
class Scenario:
    """One audited change: who asks, the request, and how to count the change it makes."""

    action: str
    role: str
    send: Callable[[Account, Any], httpx.Response]
    # (SQL counting what the change adds or alters, its parameters) for one account
    changed: Callable[[Account, Any], tuple[str, dict[str, Any]]]
    prepare: Callable[[Account, Any], Any] = lambda _account, _runtime: None


def _conversation(account: Account, _runtime: Any) -> str:
    response = account.client.post("/api/v1/conversations", json={})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _patient_of(admin: Account, _runtime: Any) -> str:
    patient = register(str(admin.client.base_url).rstrip("/"))
    patient.client.close()
    return patient.user_id


SCENARIOS = [
    Scenario(
        action="conversation.create",
        role="patient",
        send=lambda account, _: account.client.post("/api/v1/conversations", json={}),
        changed=lambda account, _: (
            "SELECT count(*) FROM conversations WHERE owner_id = :owner",
            {"owner": account.user_id},
        ),
    ),
    Scenario(
        action="conversation.message",
        role="patient",
        prepare=_conversation,
        send=lambda account, conversation: account.client.post(
            f"/api/v1/conversations/{conversation}/messages",
            json={"content": "What are the symptoms of glaucoma?"},
        ),
        changed=lambda _account, conversation: (
            "SELECT count(*) FROM messages WHERE conversation_id = :id",
            {"id": conversation.replace("-", "")},
        ),
    ),
    Scenario(
        action="conversation.delete",
        role="patient",
        prepare=_conversation,
        send=lambda account, conversation: account.client.delete(
            f"/api/v1/conversations/{conversation}"
        ),
        changed=lambda _account, conversation: (
            "SELECT count(*) = 0 FROM conversations WHERE id = :id",
            {"id": conversation.replace("-", "")},
        ),
    ),
    Scenario(
        action="api_token.create",
        role="pharma",
        send=lambda account, _: account.client.post(
            "/api/v1/account/tokens", json={"name": "nightly export", "scopes": ["search"]}
        ),
        changed=lambda account, _: (
            "SELECT count(*) FROM api_tokens WHERE user_id = :user",
            {"user": account.user_id.replace("-", "")},
        ),
    ),
    Scenario(
        action="user.role_change",
        role="admin",
        prepare=_patient_of,
        send=lambda account, patient: account.client.patch(
            f"/api/v1/admin/users/{patient}", json={"role": "pharma"}
        ),
        changed=lambda _account, patient: (
            "SELECT count(*) FROM users WHERE id = :id AND role = 'pharma'",
            {"id": patient.replace("-", "")},
        ),
    ),
]


def _count(runtime: Any, query: tuple[str, dict[str, Any]]) -> int:
    with runtime.db.engine.connect() as connection:
        return int(connection.execute(text(query[0]), query[1]).scalar_one())


def _entries(runtime: Any, action: str, actor: str) -> int:
    return _count(
        runtime,
        (
            "SELECT count(*) FROM audit_entries WHERE action = :action AND actor_id = :actor",
            {"action": action, "actor": actor},
        ),
    )


@pytest.fixture
def account_of(live_server, small_runtime) -> Iterator[Callable[[str], Account]]:  # type: ignore[no-untyped-def]
    made: list[Account] = []

    def make(role: str) -> Account:
        account = (
            register(live_server.url)
            if role == "patient"
            else staff(live_server.url, small_runtime, role)
        )
        # A 500 ends the connection; each request opens its own so the next one is clean.
        account.client.headers["Connection"] = "close"
        made.append(account)
        return account

    yield make
    for account in made:
        account.client.close()


@contextmanager
def _failing_commit_of(action: str) -> Iterator[None]:
    """Raise in ``before_commit`` of the transaction that holds an ``action`` entry: after the
    change and its entry are written, before either commits. (The entry is a Core INSERT on the
    session's connection, its values given as parameters: the connection notes it.)"""

    def mark(
        connection: Connection,
        statement: Any,
        multiparams: Sequence[Mapping[str, Any]],
        params: Mapping[str, Any],
        _options: Any,
    ) -> None:
        if not (isinstance(statement, Insert) and statement.table.name == "audit_entries"):
            return
        given = [*multiparams, params]
        if any(values.get("action") == action for values in given):
            connection.info["fail_before_commit"] = True

    def fail(session: Session) -> None:
        if session.connection().info.pop("fail_before_commit", False):
            raise RuntimeError(f"injected failure before the commit of {action}")

    event.listen(Engine, "before_execute", mark)
    event.listen(Session, "before_commit", fail)
    try:
        yield
    finally:
        event.remove(Engine, "before_execute", mark)
        event.remove(Session, "before_commit", fail)


@contextmanager
def _audit_store_refusing(runtime: Any, action: str) -> Iterator[None]:
    """A real database failure of the audit insert for ``action`` (a SQLite trigger)."""
    with runtime.db.engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries "
                f"WHEN NEW.action = '{action}' "
                "BEGIN SELECT RAISE(ABORT, 'audit store refused the entry'); END"
            )
        )
    try:
        yield
    finally:
        with runtime.db.engine.begin() as connection:
            connection.execute(text("DROP TRIGGER refuse_audit"))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.action)
def test_a_failure_before_the_commit_leaves_neither_the_change_nor_its_entry(
    scenario: Scenario,
    account_of: Callable[[str], Account],
    small_runtime,  # type: ignore[no-untyped-def]
) -> None:
    account = account_of(scenario.role)
    subject = scenario.prepare(account, small_runtime)
    before = _count(small_runtime, scenario.changed(account, subject))
    entries_before = _entries(small_runtime, scenario.action, account.user_id)

    with _failing_commit_of(scenario.action):
        response = scenario.send(account, subject)

    assert response.status_code == 500
    assert _count(small_runtime, scenario.changed(account, subject)) == before
    assert _entries(small_runtime, scenario.action, account.user_id) == entries_before
    # The same request, once nothing fails, makes the change and its entry together.
    assert scenario.send(account, subject).status_code < 300
    assert _count(small_runtime, scenario.changed(account, subject)) != before
    assert _entries(small_runtime, scenario.action, account.user_id) == entries_before + 1


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.action)
def test_an_audit_store_failure_rolls_the_change_back_and_answers_503(
    scenario: Scenario,
    account_of: Callable[[str], Account],
    small_runtime,  # type: ignore[no-untyped-def]
) -> None:
    account = account_of(scenario.role)
    subject = scenario.prepare(account, small_runtime)
    before = _count(small_runtime, scenario.changed(account, subject))

    with _audit_store_refusing(small_runtime, scenario.action):
        response = scenario.send(account, subject)

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Audit log unavailable"
    assert _count(small_runtime, scenario.changed(account, subject)) == before
    assert _entries(small_runtime, scenario.action, account.user_id) == 0


def test_a_sign_out_the_audit_log_refuses_still_ends_the_session(
    account_of: Callable[[str], Account],
    small_runtime,  # type: ignore[no-untyped-def]
) -> None:
    """Sessions live in the session store (Redis in production), which shares no transaction
    with the audit log: the session ends first, then its entry is written. When the entry
    cannot be written the client hears 503, and the session is over all the same: the failure
    leaves less access, never a sign-out on record that left the session open."""
    account = account_of("patient")

    with _audit_store_refusing(small_runtime, "auth.session_end"):
        response = account.client.post("/api/v1/auth/logout")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert account.client.get("/api/v1/auth/me").status_code == 401
