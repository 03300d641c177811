"""Queries of ``fhir_exports``, and the sealing of what it stores.

Two writers meet on one row without ordering: the request that started an export records the
name the patient typed, the job records the file, and either may come first (the in-process
worker can finish a small export before the request's own transaction). Both write with an
upsert (``INSERT … ON CONFLICT (id) DO UPDATE``, PostgreSQL and SQLite alike) of their own
columns only. The statements run on the worker's sync sessions and the request path's async
ones alike.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Update, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from lumen.fhir.models import FhirExport
from lumen.security.encryption import KeyRing, Sealed


def upsert(dialect: str, export_id: uuid.UUID, owner_id: uuid.UUID, **columns: Any) -> Any:
    """An insert of the export row with ``columns`` that, when the row exists, updates those
    columns only. ``dialect``: ``postgresql`` or ``sqlite``."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(FhirExport).values(id=export_id, owner_id=owner_id, **columns)
    return statement.on_conflict_do_update(index_elements=["id"], set_=columns)


def erase_expired(now: datetime) -> Update:
    """Delete the file and the name of every export whose time is up."""
    return (
        update(FhirExport)
        .where(col(FhirExport.expires_at) < now, col(FhirExport.ciphertext).is_not(None))
        .values(key_id=None, ciphertext=None, name_key_id=None, name_ciphertext=None)
    )


def erase(row: FhirExport) -> None:
    """Delete the row's file and name in place (the caller adds and commits)."""
    row.key_id = row.ciphertext = row.name_key_id = row.name_ciphertext = None


def seal_bundle(keys: KeyRing, export_id: uuid.UUID, bundle_json: str) -> Sealed:
    """The Bundle's JSON sealed for the row ``export_id`` (it opens in no other row)."""
    return keys.seal(bundle_json, _bundle_aad(export_id))


def open_bundle(keys: KeyRing, row: FhirExport) -> str | None:
    """The row's Bundle JSON, opened; ``None`` when there is none (not yet, or erased)."""
    if row.ciphertext is None or row.key_id is None:
        return None
    return keys.open(Sealed(row.key_id, row.ciphertext), _bundle_aad(row.id))


def seal_name(keys: KeyRing, export_id: uuid.UUID, name: str) -> Sealed:
    """The typed patient name sealed for the row ``export_id``."""
    return keys.seal(name, _name_aad(export_id))


def open_name(keys: KeyRing, row: FhirExport) -> str | None:
    """The typed patient name, opened; ``None`` when none was typed (or it was erased)."""
    if row.name_ciphertext is None or row.name_key_id is None:
        return None
    return keys.open(Sealed(row.name_key_id, row.name_ciphertext), _name_aad(row.id))


def _bundle_aad(export_id: uuid.UUID) -> bytes:
    return b"lumen/fhir-export/" + export_id.bytes


def _name_aad(export_id: uuid.UUID) -> bytes:
    return b"lumen/fhir-export-name/" + export_id.bytes
