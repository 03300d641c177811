"""audit entries sealed into the hash chain in batches

Revision ID: c41f7a9e2b10
Revises: 3b9e1c2d4f60
Create Date: 2026-12-02 15:10:00.000000

An entry is inserted in the transaction of the change it records with no chain position; the
sealer gives entries their ``seq``, ``prev_hash`` and ``hash`` in batches, in insertion order
(issue 11: one chain-head lock per request serialised every audited request). ``id`` is the
insertion order. Existing entries keep their ``seq`` (and their hashes, which cover ``seq``, not
``id``) with ``id = seq``.

The triggers keep the log append-only: DELETE is refused, and UPDATE is refused unless it only
fills in the chain fields of an entry that has none yet.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c41f7a9e2b10"
down_revision: str | None = "3b9e1c2d4f60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTENT = (
    "id", "at", "actor_id", "actor_role", "action", "object_type", "object_id", "outcome",
    "reason", "ip", "user_agent",
)  # fmt: skip
INDEXED = ("action", "actor_id", "at", "object_id", "object_type")


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def _event_columns() -> list[sa.Column[object]]:
    """The columns that say what happened (the same before and after this revision)."""
    return [
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor_id", _string(64), nullable=True),
        sa.Column("actor_role", _string(16), nullable=True),
        sa.Column("action", _string(48), nullable=False),
        sa.Column("object_type", _string(32), nullable=True),
        sa.Column("object_id", _string(64), nullable=True),
        sa.Column("outcome", _string(8), nullable=False),
        sa.Column("reason", _string(48), nullable=True),
        sa.Column("ip", _string(45), nullable=True),
        sa.Column("user_agent", _string(256), nullable=True),
    ]


def _drop_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries")
        op.execute("DROP FUNCTION IF EXISTS audit_entries_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    op.create_table(
        "audit_entries_sealed",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        *_event_columns(),
        sa.Column("prev_hash", _string(64), nullable=True),
        sa.Column("hash", _string(64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    columns = ", ".join(c for c in CONTENT if c != "id")
    op.execute(
        f"INSERT INTO audit_entries_sealed (id, seq, {columns}, prev_hash, hash) "
        f"SELECT seq, seq, {columns}, prev_hash, hash FROM audit_entries"
    )
    op.drop_table("audit_entries")
    op.rename_table("audit_entries_sealed", "audit_entries")
    if dialect == "postgresql":
        # The id sequence keeps its first name; start it after the copied entries.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('audit_entries', 'id'), "
            "COALESCE((SELECT max(id) FROM audit_entries), 0) + 1, false)"
        )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entries_seq", ["seq"], unique=True)
        for column in INDEXED:
            batch_op.create_index(f"ix_audit_entries_{column}", [column], unique=False)
    # Unsealed entries, oldest first: what the sealer reads.
    op.create_index(
        "ix_audit_entries_unsealed",
        "audit_entries",
        ["id"],
        sqlite_where=sa.text("hash IS NULL"),
        postgresql_where=sa.text("hash IS NULL"),
    )
    _create_triggers(dialect)


def _create_triggers(dialect: str) -> None:
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CONTENT)
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            f"IF TG_OP = 'DELETE' OR OLD.hash IS NOT NULL OR {changed} THEN "
            "RAISE EXCEPTION 'audit_entries is append-only'; END IF; "
            "RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
        )
        return
    sqlite_changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT)
    op.execute(
        "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
        f"WHEN OLD.hash IS NOT NULL OR {sqlite_changed} "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
    )


def downgrade() -> None:
    # Entries not sealed yet cannot go back into a table whose chain fields are required.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM audit_entries WHERE hash IS NULL")).scalar():
        raise RuntimeError("seal the pending audit entries (lumen audit seal) before downgrading")
    dialect = bind.dialect.name
    _drop_triggers(dialect)
    op.create_table(
        "audit_entries_chained",
        sa.Column("seq", sa.Integer(), nullable=False),
        *_event_columns(),
        sa.Column("prev_hash", _string(64), nullable=False),
        sa.Column("hash", _string(64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    columns = ", ".join(c for c in CONTENT if c != "id")
    op.execute(
        f"INSERT INTO audit_entries_chained (seq, {columns}, prev_hash, hash) "
        f"SELECT seq, {columns}, prev_hash, hash FROM audit_entries"
    )
    op.drop_table("audit_entries")
    op.rename_table("audit_entries_chained", "audit_entries")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        for column in INDEXED:
            batch_op.create_index(f"ix_audit_entries_{column}", [column], unique=False)
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_entries_no_{verb.lower()} BEFORE {verb} ON audit_entries "
                "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
            )
