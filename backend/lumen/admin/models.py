"""Tables of the admin domain: break-glass grants (accounts themselves are auth's ``users``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from lumen.db import utcnow


class BreakGlassGrant(SQLModel, table=True):
    """An administrator's time-limited access to one conversation, with a stated reason.

    The reason is sealed (an admin may write patient details into it); the audit log holds only
    the grant and conversation ids. The patient sees every grant on their account page.
    """

    __tablename__ = "break_glass_grants"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    admin_id: uuid.UUID = Field(index=True)
    owner_id: str = Field(index=True, max_length=64)  # the conversation owner's user id
    conversation_id: uuid.UUID = Field(index=True)
    reason_ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    reason_key_id: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
