"""Request and response shapes of the FHIR export routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ExportCreate(BaseModel):
    """Body of ``POST /fhir/exports``. ``patient_name``: the name to put in the ``Patient``
    resource (optional; without it the Patient is pseudonymous). Unknown members are refused
    (422), so a mistyped member is not silently dropped."""

    model_config = ConfigDict(extra="forbid")

    patient_name: str | None = Field(default=None, max_length=200)

    @field_validator("patient_name")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        return value or None


ExportFile = Literal["pending", "ready", "downloaded", "expired", "failed"]


class ExportOut(BaseModel):
    """A full export: its job's status and progress (``done`` of ``total`` conversations)
    and what became of its file.

    ``status``: queued | running | succeeded | failed | cancelled (the job's). ``file``:
    ``pending`` until the job succeeds, then ``ready`` until the first download
    (``downloaded``) or ``expires_at`` (``expired``); ``failed`` when the job did not succeed.
    ``bundle_url`` is where to download it while ``ready``.
    """

    id: uuid.UUID
    status: str
    done: int
    total: int | None
    unit: str
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    file: ExportFile
    expires_at: datetime | None
    downloaded_at: datetime | None
    bundle_url: str | None
