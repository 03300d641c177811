"""label search keys: folded brand and generic names with the indexes label search uses

Revision ID: d2c8f4a61e93
Revises: f1a7c3e9b5d2
Create Date: 2026-12-03 08:00:00.000000

Drug search over a full FDA label set (about 150,000 labels) must not scan the documents
table. ``brand_key`` and ``generic_key`` hold the names as search compares them (the ORM sets
them on every write; existing rows are filled in here with the same folding), and two btree
indexes serve name prefixes, paging and, on SQLite, the substring scan (each covers both
keys). On PostgreSQL the keys use collation "C" (a prefix is exactly an index range) and get
pg_trgm GIN indexes for substring search; pg_trgm is a trusted extension since PostgreSQL 13:
a database owner may create it. On SQLite, substring search has an FTS5 table with the
trigram tokenizer over the labels' keys (external content: rowids of ``documents``), which
triggers keep in step with every insert, update and delete (SQLite 3.34 or newer with FTS5,
as Debian 12's and Python's own builds are). Its rows are ``documents`` rowids: SQLite's VACUUM
may renumber them (the table has no INTEGER PRIMARY KEY), and a later migration that rebuilds
``documents`` (Alembic's batch mode) drops the triggers; after either, recreate the triggers
as here and run ``INSERT INTO documents_label_trigrams(documents_label_trigrams) VALUES
('rebuild')``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d2c8f4a61e93"
down_revision: str | None = "f1a7c3e9b5d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEARCH_KEY = sa.String(500).with_variant(sa.String(500, collation="C"), "postgresql")
BACKFILL_BATCH = 5000
TRIGRAMS = "documents_label_trigrams"
SQLITE_TRIGRAMS = [
    f"CREATE VIRTUAL TABLE {TRIGRAMS} USING fts5(brand_key, generic_key, content='documents', "
    "tokenize='trigram')",
    f"CREATE TRIGGER {TRIGRAMS}_insert AFTER INSERT ON documents WHEN new.source = 'spl' BEGIN "
    f"INSERT INTO {TRIGRAMS}(rowid, brand_key, generic_key) "
    "VALUES (new.rowid, new.brand_key, new.generic_key); END",
    f"CREATE TRIGGER {TRIGRAMS}_delete AFTER DELETE ON documents WHEN old.source = 'spl' BEGIN "
    f"INSERT INTO {TRIGRAMS}({TRIGRAMS}, rowid, brand_key, generic_key) "
    "VALUES ('delete', old.rowid, old.brand_key, old.generic_key); END",
    # One trigger, so that the old names leave the index before the new ones enter it.
    f"CREATE TRIGGER {TRIGRAMS}_update AFTER UPDATE OF source, brand_key, generic_key "
    "ON documents BEGIN "
    f"INSERT INTO {TRIGRAMS}({TRIGRAMS}, rowid, brand_key, generic_key) "
    "SELECT 'delete', old.rowid, old.brand_key, old.generic_key WHERE old.source = 'spl'; "
    f"INSERT INTO {TRIGRAMS}(rowid, brand_key, generic_key) "
    "SELECT new.rowid, new.brand_key, new.generic_key WHERE new.source = 'spl'; END",
    f"INSERT INTO {TRIGRAMS}(rowid, brand_key, generic_key) "
    "SELECT rowid, brand_key, generic_key FROM documents WHERE source = 'spl'",
]


def _name_key(name: str | None) -> str:
    # lumen.knowledge.models.name_key as of this revision (a migration keeps its own copy).
    return " ".join((name or "").lower().split())


def upgrade() -> None:
    op.add_column(
        "documents", sa.Column("brand_key", SEARCH_KEY, nullable=False, server_default="")
    )
    op.add_column(
        "documents", sa.Column("generic_key", SEARCH_KEY, nullable=False, server_default="")
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT id, brand_name, generic_name FROM documents "
            "WHERE brand_name IS NOT NULL OR generic_name IS NOT NULL"
        )
    ).all()
    update = sa.text(
        "UPDATE documents SET brand_key = :brand, generic_key = :generic WHERE id = :id"
    )
    for start in range(0, len(rows), BACKFILL_BATCH):
        connection.execute(
            update,
            [
                {"id": id_, "brand": _name_key(brand), "generic": _name_key(generic)}
                for id_, brand, generic in rows[start : start + BACKFILL_BATCH]
            ],
        )
    op.create_index(
        "ix_documents_label_brand",
        "documents",
        ["source", "status", "brand_key", "id", "generic_key"],
    )
    op.create_index(
        "ix_documents_label_generic",
        "documents",
        ["source", "status", "generic_key", "id", "brand_key"],
    )
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_TRIGRAMS:
            op.execute(statement)
    if connection.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for key in ("brand_key", "generic_key"):
            op.execute(
                f"CREATE INDEX ix_documents_{key}_trgm ON documents USING gin ({key} gin_trgm_ops)"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {TRIGRAMS}_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {TRIGRAMS}")
    if op.get_bind().dialect.name == "postgresql":
        for key in ("brand_key", "generic_key"):
            op.execute(f"DROP INDEX IF EXISTS ix_documents_{key}_trgm")
    op.drop_index("ix_documents_label_generic", table_name="documents")
    op.drop_index("ix_documents_label_brand", table_name="documents")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("generic_key")
        batch_op.drop_column("brand_key")
