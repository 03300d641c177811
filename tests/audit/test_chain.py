"""The audit log's hash chain on SQLite and PostgreSQL: appends, verification, tampering."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import sqlalchemy as sa

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, AuditLog, append
from lumen.db import Database
from lumen.migrate import upgrade_to_head
from lumen.settings import Settings


@pytest.fixture(params=["sqlite", "postgresql"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuditLog]:
    """An audit log over a fresh, migrated database of each kind."""
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    settings = Settings(data_dir=tmp_path, database_url=url)
    upgrade_to_head(settings.sqlalchemy_url)
    db = Database(settings)
    audit = AuditLog(db)
    audit.db = db  # type: ignore[attr-defined]
    yield audit
    anyio.run(db.dispose)


def _event(n: int) -> AuditEvent:
    return AuditEvent(
        AuditAction.CONVERSATION_READ, actor_id=f"user-{n}", actor_role="patient",
        object_type="conversation", object_id=f"c-{n}", ip="127.0.0.1", user_agent="pytest",
    )  # fmt: skip


def _fill(log: AuditLog, count: int) -> None:
    db: Database = log.db  # type: ignore[attr-defined]
    for n in range(count):
        with db.session() as session:
            append(session, _event(n))
            session.commit()


def _raw(log: AuditLog, *statements: str) -> None:
    """Run SQL as an attacker with database access would (triggers dropped first)."""
    engine = log.db.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))


def _drop_triggers(log: AuditLog) -> list[str]:
    if log.db.url.startswith("sqlite"):  # type: ignore[attr-defined]
        return ["DROP TRIGGER audit_entries_no_update", "DROP TRIGGER audit_entries_no_delete"]
    return ["DROP TRIGGER audit_entries_append_only ON audit_entries"]


def test_an_untouched_chain_verifies(log: AuditLog) -> None:
    _fill(log, 5)
    report = log.verify()
    assert report.ok and report.entries_checked == 5


async def test_concurrent_appends_keep_one_unbroken_chain(log: AuditLog) -> None:
    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(log.record, _event(n))
    report = log.verify()
    assert report.ok and report.entries_checked == 20


def test_the_database_refuses_updates_and_deletes_of_entries(log: AuditLog) -> None:
    _fill(log, 2)
    for statement in ("UPDATE audit_entries SET outcome = 'failure'", "DELETE FROM audit_entries"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            _raw(log, statement)
    assert log.verify().ok


def test_an_edited_entry_is_named_as_the_first_broken_one(log: AuditLog) -> None:
    _fill(log, 6)
    _raw(log, *_drop_triggers(log), "UPDATE audit_entries SET actor_id = 'someone' WHERE seq = 3")
    report = log.verify()
    assert not report.ok and report.first_broken_seq == 3
    assert report.problem == "the entry was altered"


def test_a_deleted_entry_in_the_middle_breaks_the_chain(log: AuditLog) -> None:
    _fill(log, 6)
    _raw(log, *_drop_triggers(log), "DELETE FROM audit_entries WHERE seq = 4")
    report = log.verify()
    assert not report.ok and report.first_broken_seq == 4


def test_a_deleted_tail_is_caught_by_the_chain_head(log: AuditLog) -> None:
    _fill(log, 4)
    _raw(log, *_drop_triggers(log), "DELETE FROM audit_entries WHERE seq = 4")
    report = log.verify()
    assert not report.ok and report.first_broken_seq == 4


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_next_link(log: AuditLog) -> None:
    from lumen.audit.chain import entry_hash
    from lumen.audit.models import AuditEntry

    _fill(log, 5)
    with log.db.session() as session:  # type: ignore[attr-defined]
        row = session.get(AuditEntry, 2)
        assert row is not None
        forged = AuditEntry(**{**row.model_dump(), "object_id": "c-forged"})
    _raw(
        log,
        *_drop_triggers(log),
        "UPDATE audit_entries SET object_id = 'c-forged', "
        f"hash = '{entry_hash(forged)}' WHERE seq = 2",
    )
    report = log.verify()
    assert not report.ok and report.first_broken_seq == 3
