"""message stream heartbeat: an answer whose process died is recognised and stopped

Revision ID: a6e3d9b2c7f1
Revises: d2c8f4a61e93
Create Date: 2026-12-03 12:00:00.000000

``messages.stream_heartbeat_at`` is refreshed while an answer streams; a ``streaming`` row whose
heartbeat is too old was left by a process that died (``lumen.chat.streams``). Rows streaming
at upgrade time get their creation time as heartbeat, so the rule applies to them as well. The
partial index holds only ``streaming`` rows, so the periodic sweep never scans the messages.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a6e3d9b2c7f1"
down_revision: str | None = "d2c8f4a61e93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STREAMING = sa.text("status = 'streaming'")


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("stream_heartbeat_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.execute("UPDATE messages SET stream_heartbeat_at = created_at WHERE status = 'streaming'")
    op.create_index(
        "ix_messages_streaming_heartbeat",
        "messages",
        ["stream_heartbeat_at"],
        postgresql_where=STREAMING,
        sqlite_where=STREAMING,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_streaming_heartbeat", table_name="messages")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("stream_heartbeat_at")
