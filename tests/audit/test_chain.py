"""The audit log's hash chain on SQLite and PostgreSQL: appends, sealing in batches,
verification, tampering, and signed checkpoints outside the database."""

from __future__ import annotations

from dataclasses import replace

import anyio
import pytest
import sqlalchemy as sa

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, AuditLog, append, open_audit_log
from lumen.db import Database
from lumen.settings import Settings


@pytest.fixture
def log(migrated: tuple[Settings, Database]) -> AuditLog:
    """An audit log over a fresh, migrated database of each kind."""
    settings, db = migrated
    audit = open_audit_log(settings, db)
    audit.db = db  # type: ignore[attr-defined]
    return audit


def _event(n: int) -> AuditEvent:
    return AuditEvent(
        AuditAction.CONVERSATION_READ, actor_id=f"user-{n}", actor_role="patient",
        object_type="conversation", object_id=f"c-{n}", ip="127.0.0.1", user_agent="pytest",
    )  # fmt: skip


def _fill(log: AuditLog, count: int) -> None:
    """Append ``count`` entries, each in its own transaction, and seal them."""
    db: Database = log.db  # type: ignore[attr-defined]
    for n in range(count):
        with db.session() as session:
            append(session, _event(n))
            session.commit()
    log.sealer.seal()


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


def _rewrite_from(log: AuditLog, seq: int) -> None:
    """What an attacker with the database (not the signing key) does to hide an edit: change
    entry ``seq``, recompute every later hash and link, and move the head to match."""
    from lumen.audit.chain import entry_hash
    from lumen.audit.models import AuditChainHead, AuditEntry

    with log.db.session() as session:  # type: ignore[attr-defined]
        rows = session.exec(
            sa.select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)  # type: ignore[operator]
        ).all()
        head = session.get(AuditChainHead, 1)
        assert head is not None
        prev = rows[0][0].prev_hash
        statements = [*_drop_triggers(log)]
        for (row,) in rows:
            forged = AuditEntry(**{**row.model_dump(), "prev_hash": prev})
            if row.seq == seq:
                forged.object_id = "c-forged"
            forged.hash = entry_hash(forged)
            statements.append(
                f"UPDATE audit_entries SET object_id = '{forged.object_id}', "
                f"prev_hash = '{forged.prev_hash}', hash = '{forged.hash}' WHERE seq = {row.seq}"
            )
            prev = forged.hash
        statements.append(f"UPDATE audit_chain_head SET hash = '{prev}' WHERE id = 1")
    _raw(log, *statements)


def test_a_rewritten_tail_and_head_pass_the_chain_but_not_the_signed_checkpoint(
    log: AuditLog,
) -> None:
    from lumen.audit.chain import verify_chain
    from lumen.audit.models import AuditChainHead
    from lumen.audit.repository import in_chain_order

    _fill(log, 3)
    assert log.sealer.checkpoint() is not None  # signed at entry 3
    _fill(log, 3)
    assert log.sealer.checkpoint() is not None  # signed at entry 6
    _rewrite_from(log, 5)

    with log.db.session() as session:  # type: ignore[attr-defined]
        head = session.get(AuditChainHead, 1)
        assert head is not None
        alone = verify_chain(in_chain_order(session), head.seq, head.hash)
    assert alone.ok, "the rewrite is consistent: the chain alone cannot see it"
    report = log.verify()
    assert not report.ok
    assert report.first_broken_seq == 4, "dated after the last checkpoint that still matches"
    assert (
        report.problem
        == "entries 4 to 6 were rewritten: entry 6 differs from its signed checkpoint"
    )


def test_a_deleted_tail_with_the_head_moved_back_is_caught_by_the_checkpoint(
    log: AuditLog,
) -> None:
    _fill(log, 5)
    log.sealer.checkpoint()
    with log.db.session() as session:  # type: ignore[attr-defined]
        from lumen.audit.models import AuditEntry

        third = session.exec(sa.select(AuditEntry).where(AuditEntry.seq == 3)).one()[0]  # type: ignore[arg-type]
    _raw(
        log,
        *_drop_triggers(log),
        "DELETE FROM audit_entries WHERE seq > 3",
        f"UPDATE audit_chain_head SET seq = 3, hash = '{third.hash}' WHERE id = 1",
    )
    report = log.verify()
    assert not report.ok and report.first_broken_seq == 1
    assert report.problem == "the chain ends at 3; a signed checkpoint saw entry 5"


def test_a_forged_checkpoint_is_refused(log: AuditLog) -> None:
    import json

    _fill(log, 2)
    written = log.sealer.checkpoint()
    assert written is not None
    path = next(log.sealer.checkpoints.folder.glob("checkpoint-*.json"))
    forged = json.loads(path.read_text()) | {"hash": "f" * 64}
    path.write_text(json.dumps(forged))
    report = log.verify()
    assert not report.ok and report.first_broken_seq is None
    assert report.problem == f"{path.name}: the signature does not verify"


def test_entries_wait_unsealed_until_the_sealer_chains_them_in_order(log: AuditLog) -> None:
    from lumen.audit.models import AuditEntry

    db: Database = log.db  # type: ignore[attr-defined]
    for n in range(3):
        with db.session() as session:
            append(session, _event(n))
            session.commit()
    with db.session() as session:
        rows = session.exec(sa.select(AuditEntry).order_by(AuditEntry.id)).all()  # type: ignore[arg-type]
        assert [r[0].seq for r in rows] == [None, None, None]
    assert log.sealer.seal() == 3
    with db.session() as session:
        rows = session.exec(sa.select(AuditEntry).order_by(AuditEntry.id)).all()  # type: ignore[arg-type]
        assert [r[0].seq for r in rows] == [1, 2, 3]
    assert log.verify().ok


def test_the_database_refuses_to_reseal_or_edit_an_unsealed_entry(log: AuditLog) -> None:
    _fill(log, 1)
    with log.db.session() as session:  # type: ignore[attr-defined]
        append(session, _event(9))
        session.commit()
    for statement in (
        "UPDATE audit_entries SET hash = 'x' WHERE seq = 1",  # sealed: final
        "UPDATE audit_entries SET actor_id = 'someone' WHERE seq IS NULL",  # content: final
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            _raw(log, statement)
    assert log.verify().ok


def test_the_sealer_thread_seals_within_its_interval(log: AuditLog) -> None:
    import time

    db: Database = log.db  # type: ignore[attr-defined]
    log.sealer.start()
    try:
        with db.session() as session:
            append(session, _event(1))
            session.commit()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with db.session() as session:
                if (
                    session.execute(
                        sa.text("SELECT count(*) FROM audit_entries WHERE hash IS NULL")
                    ).scalar()
                    == 0
                ):
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the entry was not sealed within 5 s")
    finally:
        log.sealer.stop()
    assert log.sealer.checkpoints.latest() is not None, "stopping writes a last checkpoint"


async def test_entries_recorded_together_share_a_commit_but_not_a_refusal(log: AuditLog) -> None:
    """Group commit: a burst of own-transaction entries commits in batches; an entry the
    database refuses fails its own caller only, and every other entry of its batch commits."""
    from lumen.audit.service import AuditUnavailable

    refused = "refused-actor"
    if log.db.url.startswith("sqlite"):  # type: ignore[attr-defined]
        trigger = (
            "CREATE TRIGGER refuse_one BEFORE INSERT ON audit_entries "
            f"WHEN NEW.actor_id = '{refused}' BEGIN SELECT RAISE(ABORT, 'refused'); END",
        )
    else:
        trigger = (
            "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.actor_id = '{refused}' THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$",
            "CREATE TRIGGER refuse_one BEFORE INSERT ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION refuse_one()",
        )
    _raw(log, *trigger)
    outcomes: dict[int, bool] = {}

    async def record(n: int) -> None:
        event = _event(n) if n != 7 else replace(_event(n), actor_id=refused)
        try:
            await log.record(event)
            outcomes[n] = True
        except AuditUnavailable:
            outcomes[n] = False

    async with anyio.create_task_group() as group:
        for n in range(30):
            group.start_soon(record, n)
    assert outcomes == {n: n != 7 for n in range(30)}
    report = log.verify()
    assert report.ok and report.entries_checked == 29
