"""documents.index_format: which ingestion wrote a document's points, so that one written before
its chunks carried their sentence vectors is ingested again

Revision ID: e9b4d7f2a6c1
Revises: c8e2f5a7d913
Create Date: 2026-12-05 23:20:00.000000

Format 2 stores each chunk's quotable sentences' vectors in its payload
(``lumen.knowledge.sentence_vectors``). Documents indexed before this revision are format 1:
ingestion no longer counts them as unchanged, so the next load of their source writes them
again (the extractive engine embeds their sentences per answer until then).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e9b4d7f2a6c1"
down_revision: str | None = "c8e2f5a7d913"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("index_format", sa.Integer(), nullable=False, server_default="1")
        )


def downgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("index_format")
