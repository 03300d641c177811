"""jobs: owners, attempts, heartbeats, cancellation, and the batches a job fans out into

Revision ID: e5a8c2d4f1b7
Revises: c41f7a9e2b10
Create Date: 2026-12-02 19:50:00.000000

Issue 12: ingestion fans out over Celery workers as batches of documents; a patient's FHIR
export is a job that only its owner may follow.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e5a8c2d4f1b7"
down_revision: str | None = "c41f7a9e2b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("heartbeat_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_jobs_owner_id"), ["owner_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_jobs_owner_id_users", "users", ["owner_id"], ["id"], ondelete="CASCADE"
        )
    op.create_table(
        "job_batches",
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("stop", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("failed_items", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("job_batches")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint("fk_jobs_owner_id_users", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_jobs_owner_id"))
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("cancel_requested")
        batch_op.drop_column("attempts")
        batch_op.drop_column("owner_id")
