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
