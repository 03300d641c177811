"""Shapes of the audit review: the admin view's filter, entries with their actor's e-mail, and
the chain check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the admin audit view; ``None`` means any. Times are inclusive bounds."""

    actor_id: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditEntryOut(BaseModel):
    """An entry, with the actor's e-mail resolved now (``None`` once the account is gone).
    ``id`` is the insertion order; ``seq``, ``prev_hash`` and ``hash`` are ``None`` until the
    sealer has chained the entry (within a second of its commit)."""

    id: int
    seq: int | None
    at: datetime
    actor_id: str | None
    actor_email: str | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    reason: str | None
    ip: str | None
    user_agent: str | None
    prev_hash: str | None
    hash: str | None


class AuditPage(BaseModel):
    """A page of entries, newest first, and the number matching the filter."""

    items: list[AuditEntryOut]
    total: int


class ActionList(BaseModel):
    """Every action name the log uses."""

    items: list[str]


class VerifyOut(BaseModel):
    """The chain check: ``first_broken_seq`` names the first entry that fails (``None`` when a
    checkpoint file itself fails its signature)."""

    ok: bool
    entries_checked: int
    first_broken_seq: int | None
    problem: str | None
