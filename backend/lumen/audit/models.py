"""Tables of the audit domain: the hash-chained entries and the chain head."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from lumen.db import utcnow


class AuditEntry(SQLModel, table=True):
    """One audited event. Append-only (database triggers refuse UPDATE and DELETE).

    ``hash`` = SHA-256 over the canonical JSON of every other field, ``prev_hash`` included,
    so editing, inserting or deleting an entry breaks the chain from there on. Entries name
    actors, actions and object ids, never PHI: no message text, no conversation titles, no
    email addresses.
    """

    __tablename__ = "audit_entries"

    seq: int = Field(primary_key=True)  # 1, 2, 3 … without gaps
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
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditChainHead(SQLModel, table=True):
    """One row: the last sequence number and hash. Appending updates it first, which takes the
    write lock (SQLite) or the row lock (PostgreSQL) so appends are serialised; verification
    compares the chain's end with it, so a deletion at the tail is caught too."""

    __tablename__ = "audit_chain_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)
