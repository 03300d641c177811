"""document_uploads: files admins upload, sealed until their document is deleted or replaced

Revision ID: f1a7c3e9b5d2
Revises: d3f8a1c6e2b4
Create Date: 2026-12-03 08:05:00.000000

Documents admins upload (PDF, DOCX, HTML, Markdown, text): each file is kept sealed with the key
ring (AES-256-GCM) for the ``ingest_upload`` job that indexes it, never under a path made from
its name; the Celery workers of production read it from here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "f1a7c3e9b5d2"
down_revision: str | None = "d3f8a1c6e2b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_uploads",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("document_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("collection", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("uploaded_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("finished_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("document_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_uploads_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_document_uploads_document_id"), ["document_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("document_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_uploads_document_id"))
        batch_op.drop_index(batch_op.f("ix_document_uploads_batch_id"))
    op.drop_table("document_uploads")
