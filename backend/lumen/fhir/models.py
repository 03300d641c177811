"""Tables of the FHIR domain: a full export's file, encrypted at rest until it is downloaded."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from lumen.db import utcnow


class FhirExport(SQLModel, table=True):
    """The file of one full export; ``id`` is its ``export_fhir`` job's id.

    ``ciphertext`` is the validated Bundle's JSON sealed with the key ring (AES-256-GCM, the
    export id bound as associated data) under ``key_id``, written by the job. It is deleted
    (set to ``None``) at the first download (``downloaded_at``) or at ``expires_at``, whichever
    comes first. ``name_ciphertext`` is the name the patient typed for the Patient resource,
    sealed the same way; it is applied at download and deleted with the file. The row itself
    keeps ids and times only.
    """

    __tablename__ = "fhir_exports"

    id: uuid.UUID = Field(primary_key=True)
    owner_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    key_id: str | None = Field(default=None, max_length=32)
    ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    name_key_id: str | None = Field(default=None, max_length=32)
    name_ciphertext: bytes | None = Field(
        default=None, sa_column=Column(LargeBinary, nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = Field(default=None, index=True)
    downloaded_at: datetime | None = None
