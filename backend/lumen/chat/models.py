"""Tables of the chat domain: conversations and messages (content encrypted at rest)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from lumen.db import utcnow


class Conversation(SQLModel, table=True):
    """A conversation owned by one principal (anonymous browser id now, user id later)."""

    __tablename__ = "conversations"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    owner_id: str = Field(index=True, max_length=64)
    # Titles are written by patients and leak what they asked: encrypted like messages.
    title_ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    title_key_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class Message(SQLModel, table=True):
    """One message. ``status`` says whether an assistant answer finished.

    ``complete``: finished; ``streaming``: being generated; ``stopped``: the client went away or
    asked to stop, or the process streaming it died; ``failed``: the engine failed. Only
    ``complete`` answers are shown as such.

    ``stream_heartbeat_at``: when the process streaming the answer last said it was alive (at
    the insert, then every ``stream_heartbeat_s`` with the text sent so far); ``None`` for a
    message that never streamed. A ``streaming`` row whose heartbeat is older than
    ``stream_orphaned_after_s`` is orphaned (``chat.streams``); the partial index keeps the
    sweep for them a look-up of the few streaming rows, not a scan of every message.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index(
            "ix_messages_streaming_heartbeat",
            "stream_heartbeat_at",
            postgresql_where=text("status = 'streaming'"),
            sqlite_where=text("status = 'streaming'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    conversation_id: uuid.UUID = Field(
        foreign_key="conversations.id", index=True, ondelete="CASCADE"
    )
    role: str = Field(max_length=16)  # user | assistant
    kind: str = Field(default="answer", max_length=16)  # answer | escalation
    status: str = Field(default="complete", max_length=16)
    content_ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    key_id: str = Field(max_length=32)
    engine: str | None = Field(default=None, max_length=32)
    # Source metadata (titles, URLs, offsets) of public documents; never message text.
    sources: list[dict[str, object]] = Field(default_factory=list, sa_column=Column(JSON))
    citations: list[int] = Field(default_factory=list, sa_column=Column(JSON))
    # The support note triage put beside this answer (``{category, text}``, fixed wording that
    # holds no message text), or None.
    support: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    stream_heartbeat_at: datetime | None = Field(default=None)


class TriageEvent(SQLModel, table=True):
    """A safety escalation, recorded without the message text (no PHI)."""

    __tablename__ = "triage_events"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    conversation_id: uuid.UUID = Field(foreign_key="conversations.id", ondelete="CASCADE")
    category: str = Field(max_length=32)  # self_harm | poisoning | emergency
    detector: str = Field(max_length=16)  # pattern | embedding
    created_at: datetime = Field(default_factory=utcnow)
