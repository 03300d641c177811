"""job batches: when each was last queued, so stale-job recovery sends it again only once its
last task has expired

Revision ID: c8e2f5a7d913
Revises: a6e3d9b2c7f1
Create Date: 2026-12-04 21:00:00.000000

Stale-job recovery sent every queued batch of a running job again on each run (every minute),
however recently it was queued, so a bulk load waiting its turn piled up duplicate messages.
``job_batches.queued_at`` says when a batch was last queued (written, put back, or sent again);
rows queued before this revision keep ``NULL``, which recovery treats as long ago.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c8e2f5a7d913"
down_revision: str | None = "a6e3d9b2c7f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job_batches", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("queued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("job_batches", schema=None) as batch_op:
        batch_op.drop_column("queued_at")
