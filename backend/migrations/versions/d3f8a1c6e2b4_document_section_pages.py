"""document_sections.page: the page of an uploaded PDF that a section is

Revision ID: d3f8a1c6e2b4
Revises: b7d41e9c3a52
Create Date: 2026-12-03 08:00:00.000000

A PDF an admin uploads is indexed a section per page, so that a citation of it names the page
beside the passage; other sources leave it empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d3f8a1c6e2b4"
down_revision: str | None = "b7d41e9c3a52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document_sections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_sections", schema=None) as batch_op:
        batch_op.drop_column("page")
