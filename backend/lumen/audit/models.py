"""Tables of the audit domain: the hash-chained entries and the chain head."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from lumen.db import utcnow


class AuditEntry(SQLModel, table=True):
    """One audited event. Append-only: database triggers refuse DELETE, and UPDATE except the
    sealer's filling in of ``seq``, ``prev_hash`` and ``hash`` on an entry that has none.

    An entry is inserted in the transaction of the change it records, unsealed; the sealer
    then gives it its chain position ``seq`` in insertion (``id``) order. ``hash`` = SHA-256
    over the canonical JSON of every field but ``id``, ``seq`` and ``prev_hash`` included, so
    editing, inserting or deleting a sealed entry breaks the chain from there on. Entries name
    actors, actions and object ids, never PHI: no message text, no conversation titles, no
    email addresses.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (  # the sealer's queue: unsealed entries, oldest first
        Index(
            "ix_audit_entries_unsealed",
            "id",
            sqlite_where=text("hash IS NULL"),
            postgresql_where=text("hash IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)  # insertion order
    seq: int | None = Field(
        default=None, unique=True, index=True
    )  # 1, 2, 3 … without gaps once sealed
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: str | None = Field(default=None, max_length=64, index=True)
    actor_role: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=48, index=True)
    object_type: str | None = Field(default=None, max_length=32, index=True)
    object_id: str | None = Field(default=None, max_length=64, index=True)
    outcome: str = Field(max_length=8)  # success | failure
    reason: str | None = Field(default=None, max_length=48)  # a machine code, never free text
    ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=256)
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class AuditChainHead(SQLModel, table=True):
    """One row: the last sealed sequence number and hash. Sealing updates it first, which takes
    the write lock (SQLite) or the row lock (PostgreSQL), so two sealers cannot fork the chain;
    verification compares the chain's end with it, and a signed checkpoint outside the database
    with both (``lumen.audit.checkpoints``)."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)
