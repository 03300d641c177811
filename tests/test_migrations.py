"""Alembic migrations build the same schema on SQLite and PostgreSQL, idempotently."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from lumen.migrate import upgrade_to_head

TABLES = {"documents", "document_sections", "conversations", "messages", "triage_events", "jobs"}


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_database_is_migrated_to_head_twice_without_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lumen.db'}"
    upgrade_to_head(url)
    upgrade_to_head(url)
    assert _tables(url) >= TABLES


@pytest.mark.postgres
def test_postgres_database_is_migrated_to_head_twice_without_error(postgres_url: str) -> None:
    upgrade_to_head(postgres_url)
    upgrade_to_head(postgres_url)
    assert _tables(postgres_url) >= TABLES


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_chain_written_before_batched_sealing_still_verifies_after_it(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Revision c41f7a9e2b10 moves entries into a table where the chain fields are filled in
    by the sealer: an existing chain keeps its hashes, new entries chain on after it, and a
    downgrade puts every sealed entry back."""
    from alembic import command
    from sqlalchemy import text

    from lumen.audit.actions import AuditAction
    from lumen.audit.chain import GENESIS_HASH, entry_hash
    from lumen.audit.models import AuditEntry
    from lumen.audit.service import AuditEvent, append, open_audit_log
    from lumen.db import Database, utcnow
    from lumen.migrate import alembic_config
    from lumen.settings import Settings

    url = (
        f"sqlite:///{tmp_path / 'lumen.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    command.upgrade(alembic_config(url), "3b9e1c2d4f60")
    engine = create_engine(url)
    prev = GENESIS_HASH
    with engine.begin() as connection:
        for seq in (1, 2, 3):
            old = AuditEntry(
                seq=seq, at=utcnow(), action="auth.sign_in", outcome="success", prev_hash=prev
            )
            old.hash = entry_hash(old)
            connection.execute(
                text(
                    "INSERT INTO audit_entries (seq, at, action, outcome, prev_hash, hash) "
                    "VALUES (:seq, :at, :action, :outcome, :prev_hash, :hash)"
                ),
                {
                    k: getattr(old, k)
                    for k in ("seq", "at", "action", "outcome", "prev_hash", "hash")
                },
            )
            prev = old.hash
        connection.execute(
            text("UPDATE audit_chain_head SET seq = 3, hash = :hash WHERE id = 1"), {"hash": prev}
        )
    engine.dispose()

    upgrade_to_head(url)
    settings = Settings(data_dir=tmp_path, database_url=None if kind == "sqlite" else url)
    db = Database(settings)
    log = open_audit_log(settings, db)
    with db.session() as session:
        append(session, AuditEvent(AuditAction.SESSION_END))
        session.commit()
    report = log.verify()
    assert report.ok and report.entries_checked == 4
    db.engine.dispose()

    command.downgrade(alembic_config(url), "3b9e1c2d4f60")
    engine = create_engine(url)
    with engine.connect() as connection:
        seqs = connection.execute(text("SELECT seq FROM audit_entries ORDER BY seq")).scalars()
        assert list(seqs) == [1, 2, 3, 4]
    engine.dispose()
