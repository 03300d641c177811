"""focus terms of the knowledge base; support notes beside answers

Revision ID: 3b9e1c2d4f60
Revises: 7edde71c5c6c
Create Date: 2026-12-02 05:30:00.000000

``focus_terms`` holds the names a question's focus is matched against (issue 9, question
understanding); ``messages.support`` keeps the support note triage put beside an answer, so a
reloaded conversation shows it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "3b9e1c2d4f60"
down_revision: str | None = "7edde71c5c6c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "focus_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("document_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("focus_terms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_focus_terms_origin"), ["origin"], unique=False)
        batch_op.create_index(batch_op.f("ix_focus_terms_term"), ["term"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_focus_terms_document_id"), ["document_id"], unique=False
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("support", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("support")
    with op.batch_alter_table("focus_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_focus_terms_document_id"))
        batch_op.drop_index(batch_op.f("ix_focus_terms_term"))
        batch_op.drop_index(batch_op.f("ix_focus_terms_origin"))
    op.drop_table("focus_terms")
