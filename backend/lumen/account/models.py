"""Tables of the account domain: personal API tokens (kept as SHA-256, NIST SP 800-63B section
5.1.1.2: a token's entropy is 256 bits)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from lumen.db import utcnow


class ApiToken(SQLModel, table=True):
    """A personal API token of a pharma user: hashed, scoped, expiring, revocable."""

    __tablename__ = "api_tokens"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    prefix: str = Field(max_length=16)  # shown to tell tokens apart; not enough to use one
    token_hash: str = Field(max_length=64, unique=True, index=True)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
