"""fhir_exports: a full FHIR export's file, encrypted at rest until it is downloaded

Revision ID: b7d41e9c3a52
Revises: e5a8c2d4f1b7
Create Date: 2026-12-02 21:10:00.000000

Issue 12: a patient's conversations as a FHIR R4 Bundle. The row's id is the export job's id;
the file (and a name the patient typed) are sealed with the key ring and deleted at the first
download or at expiry.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b7d41e9c3a52"
down_revision: str | None = "e5a8c2d4f1b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fhir_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("name_key_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("name_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("downloaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("fhir_exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fhir_exports_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_fhir_exports_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fhir_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fhir_exports_expires_at"))
        batch_op.drop_index(batch_op.f("ix_fhir_exports_owner_id"))
    op.drop_table("fhir_exports")
