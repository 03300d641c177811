"""Queries of the chat tables, and the sealing of what they store.

Ownership is checked here, once: a conversation that is not the caller's is indistinguishable
from one that does not exist (404, no existence oracle). Titles and message texts are health
data: they are sealed with the key ring on the way in and opened on the way out (AES-GCM, the
row id bound as associated data so that a ciphertext cannot be moved to another row), so that
nothing above this module handles ciphertext.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, bindparam, case, insert, update
from sqlmodel import Session, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from lumen.chat.models import Conversation, Message, TriageEvent
from lumen.db import table_of, utcnow
from lumen.problems import NotFound
from lumen.security.encryption import KeyRing, Sealed

TITLE_CHARS = 80
# Updates go to the tables (``table_of``): each session here is new, so no loaded object
# needs the new values.
_CONVERSATIONS = table_of(Conversation)
_MESSAGES = table_of(Message)
_TRIAGE_EVENTS = table_of(TriageEvent)


@dataclass(frozen=True)
class AnswerContent:
    """What an assistant answer's row holds besides its status: the ``text``, the
    ``citations`` in it, the ``engine`` that wrote it, the ``sources`` it cites (``SourceOut``
    dicts) and triage's ``support`` note."""

    text: str
    citations: list[int]
    engine: str | None
    sources: list[dict[str, Any]]
    support: dict[str, Any] | None = None


class ChatRepository:
    """Typed queries over conversations and messages for one async session; texts in and out
    are plain, rows hold them sealed with ``keys``."""

    def __init__(self, session: AsyncSession, keys: KeyRing) -> None:
        self.session = session
        self._keys = keys

    # --- reads ---------------------------------------------------------------------------

    async def owned_conversation(self, owner_id: str, conversation_id: uuid.UUID) -> Conversation:
        """The conversation if ``owner_id`` owns it. Raises ``NotFound`` otherwise."""
        conversation = await self.session.get(Conversation, conversation_id)
        if conversation is None or conversation.owner_id != owner_id:
            raise NotFound(f"No conversation {conversation_id}.")
        return conversation

    async def conversation(self, conversation_id: uuid.UUID) -> Conversation:
        """The conversation whoever owns it (break glass). Raises ``NotFound``."""
        conversation = await self.session.get(Conversation, conversation_id)
        if conversation is None:
            raise NotFound(f"No conversation {conversation_id}.")
        return conversation

    async def conversations_of(
        self, owner_id: str, limit: int | None = 200
    ) -> Sequence[Conversation]:
        """The owner's conversations, most recently active first (``None``: all of them)."""
        return (await self.session.exec(conversations_of(owner_id, limit))).all()

    async def messages_of(self, conversation_id: uuid.UUID) -> Sequence[Message]:
        """Messages of a conversation, oldest first."""
        return (await self.session.exec(messages_of(conversation_id))).all()

    async def owned_message(
        self, owner_id: str, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> Message:
        """A message of the owner's conversation. Raises ``NotFound`` otherwise."""
        await self.owned_conversation(owner_id, conversation_id)
        message = await self.session.get(Message, message_id)
        if message is None or message.conversation_id != conversation_id:
            raise NotFound(f"No message {message_id}.")
        return message

    def title_of(self, conversation: Conversation) -> str | None:
        """The conversation's title, opened (``None`` while untitled)."""
        return ChatTexts(self._keys).title_of(conversation)

    def text_of(self, message: Message) -> str:
        """The message's text, opened."""
        return ChatTexts(self._keys).text_of(message)

    # --- the heartbeat's and the sweep's updates (the caller commits) ----------------------

    async def save_streamed_answer(
        self, message_id: uuid.UUID, answer: AnswerContent, at: datetime
    ) -> None:
        """A streaming answer's heartbeat: what the client has been sent so far (``answer``),
        at ``at``. Nothing when the answer is no longer ``streaming`` (finished or swept
        meanwhile: the condition is checked by the update itself, so a late heartbeat never
        undoes an end)."""
        await self.session.exec(
            update(_MESSAGES)
            .where(_MESSAGES.c.id == message_id, _MESSAGES.c.status == "streaming")
            .values(**_answer_values(self._keys, message_id, answer), stream_heartbeat_at=at)
        )

    async def stop_orphaned_answers(
        self, heartbeat_before: datetime | None, live: Sequence[uuid.UUID]
    ) -> int:
        """Mark ``streaming`` answers ``stopped`` (keeping their last saved text): those whose
        heartbeat is older than ``heartbeat_before`` (``None``: every one), never those in
        ``live``; how many."""
        statement = update(Message).where(col(Message.status) == "streaming")
        if heartbeat_before is not None:
            statement = statement.where(col(Message.stream_heartbeat_at) < heartbeat_before)
        if live:
            statement = statement.where(col(Message.id).not_in(live))
        result: CursorResult[Any] = await self.session.exec(statement.values(status="stopped"))
        return result.rowcount


# The writes of every answer, as Core statements built once and executed with their values:
# no ORM object to build and flush, no statement to build again (issue 11: creating a
# conversation and storing a question took 2.4-2.5 ms of CPU through ORM flushes on SQLite,
# 1.2-1.5 ms so). The models' ``default_factory`` values are pydantic's, not column defaults,
# so a Core INSERT never applies them: every write below gives every column itself.
_INSERT_CONVERSATION = insert(_CONVERSATIONS)
_INSERT_MESSAGE = insert(_MESSAGES)
_INSERT_TRIAGE_EVENT = insert(_TRIAGE_EVENTS)
_FINISH_MESSAGE = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("b_id"))
_UNTITLED = _CONVERSATIONS.c.title_ciphertext.is_(None)
# An UPDATE whose WHERE is the ownership check; the CASEs keep an existing title and its key
# id together (both read the row's old ``title_ciphertext``).
_NOTE_QUESTION = (
    update(_CONVERSATIONS)
    .where(
        _CONVERSATIONS.c.id == bindparam("b_id"),
        _CONVERSATIONS.c.owner_id == bindparam("b_owner_id"),
    )
    .values(
        updated_at=bindparam("b_now", type_=_CONVERSATIONS.c.updated_at.type),
        title_ciphertext=case(
            (_UNTITLED, bindparam("b_ciphertext", type_=_CONVERSATIONS.c.title_ciphertext.type)),
            else_=_CONVERSATIONS.c.title_ciphertext,
        ),
        title_key_id=case(
            (_UNTITLED, bindparam("b_key_id", type_=_CONVERSATIONS.c.title_key_id.type)),
            else_=_CONVERSATIONS.c.title_key_id,
        ),
    )
)


class ChatWrites:
    """The writes of conversations and messages into one sync session's transaction (the
    caller commits): request transactions run whole on a worker thread
    (``Database.transaction``), an async session's through ``AsyncSession.run_sync``."""

    def __init__(self, session: Session, keys: KeyRing) -> None:
        self.session = session
        self._keys = keys

    def add_conversation(self, owner_id: str, title: str | None) -> Conversation:
        """A new conversation of ``owner_id``, titled when ``title`` is given; the row as
        inserted (not attached to the session)."""
        now = utcnow()
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "owner_id": owner_id,
            "title_ciphertext": None,
            "title_key_id": None,
            "created_at": now,
            "updated_at": now,
        }
        if title:
            sealed = self._keys.seal(_title(title), _title_aad(values["id"]))
            values["title_ciphertext"], values["title_key_id"] = sealed.ciphertext, sealed.key_id
        self.session.connection().execute(_INSERT_CONVERSATION, values)
        return Conversation(**values)

    def note_question(self, owner_id: str, conversation_id: uuid.UUID, text: str) -> None:
        """Mark the owner's conversation as just active and title it after ``text`` if it is
        still untitled (its first question). Raises ``NotFound`` if the conversation is not
        ``owner_id``'s.

        One UPDATE whose WHERE is the ownership check, instead of a read and then an update:
        one round trip fewer before an answer's first token on PostgreSQL (issue 11). The
        title is sealed whether or not it is kept.
        """
        sealed = self._keys.seal(_title(text), _title_aad(conversation_id))
        result: CursorResult[Any] = self.session.connection().execute(
            _NOTE_QUESTION,
            {
                "b_id": conversation_id,
                "b_owner_id": owner_id,
                "b_now": utcnow(),
                "b_ciphertext": sealed.ciphertext,
                "b_key_id": sealed.key_id,
            },
        )
        if result.rowcount != 1:
            raise NotFound(f"No conversation {conversation_id}.")

    def add_message(
        self,
        conversation_id: uuid.UUID,
        role: str,
        text: str,
        *,
        kind: str = "answer",
        engine: str | None = None,
        status: str = "complete",
        sources: list[dict[str, Any]] | None = None,
        support: dict[str, Any] | None = None,
        message_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """A new message of the conversation holding ``text`` (a ``streaming`` one with its
        first heartbeat), with ``message_id`` when the caller chose it, else a new one; its
        id."""
        message_id = message_id or uuid.uuid4()
        now = utcnow()
        sealed = self._keys.seal(text, _message_aad(message_id))
        self.session.connection().execute(
            _INSERT_MESSAGE,
            {
                "id": message_id,
                "conversation_id": conversation_id,
                "role": role,
                "kind": kind,
                "status": status,
                "engine": engine,
                "content_ciphertext": sealed.ciphertext,
                "key_id": sealed.key_id,
                "sources": sources or [],
                "support": support,
                "citations": [],
                "created_at": now,
                "stream_heartbeat_at": now if status == "streaming" else None,
            },
        )
        return message_id

    def finish_message(
        self, message_id: uuid.UUID, answer: AnswerContent, status: str, kind: str = "answer"
    ) -> None:
        """End a streamed answer with its final ``answer``, ``status`` and ``kind``
        (``escalation`` for triage's). One update, nothing when the conversation was deleted
        meanwhile."""
        self.session.connection().execute(
            _FINISH_MESSAGE,
            {
                "b_id": message_id,
                **_answer_values(self._keys, message_id, answer),
                "status": status,
                "kind": kind,
            },
        )

    def record_triage(self, conversation_id: uuid.UUID, category: str, detector: str) -> None:
        """Record an escalation without the message text."""
        self.session.connection().execute(
            _INSERT_TRIAGE_EVENT,
            {
                "id": uuid.uuid4(),
                "conversation_id": conversation_id,
                "category": category,
                "detector": detector,
                "created_at": utcnow(),
            },
        )


class ChatTexts:
    """Opens the sealed texts of rows read on any session (the background jobs' are sync)."""

    def __init__(self, keys: KeyRing) -> None:
        self._keys = keys

    def title_of(self, conversation: Conversation) -> str | None:
        """The conversation's title, opened (``None`` while untitled)."""
        if conversation.title_ciphertext is None or conversation.title_key_id is None:
            return None
        return self._keys.open(
            Sealed(conversation.title_key_id, conversation.title_ciphertext),
            _title_aad(conversation.id),
        )

    def text_of(self, message: Message) -> str:
        """The message's text, opened."""
        return self._keys.open(
            Sealed(message.key_id, message.content_ciphertext), _message_aad(message.id)
        )


# --- statements, for the sync sessions of background jobs as for the async repository -------


def conversations_of(owner_id: str, limit: int | None = 200) -> SelectOfScalar[Conversation]:
    """The owner's conversations, most recently active first (``None``: all of them)."""
    return (
        select(Conversation)
        .where(Conversation.owner_id == owner_id)
        .order_by(col(Conversation.updated_at).desc())
        .limit(limit)
    )


def messages_of(conversation_id: uuid.UUID) -> SelectOfScalar[Message]:
    """Messages of a conversation, oldest first."""
    return (
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(col(Message.created_at), col(Message.role).desc())
    )


def _answer_values(keys: KeyRing, message_id: uuid.UUID, answer: AnswerContent) -> dict[str, Any]:
    sealed = keys.seal(answer.text, _message_aad(message_id))
    return {
        "content_ciphertext": sealed.ciphertext,
        "key_id": sealed.key_id,
        "citations": answer.citations,
        "engine": answer.engine,
        "sources": answer.sources,
        "support": answer.support,
    }


def _title(text: str) -> str:
    """A conversation's title from the text it is named after: its words, at most
    ``TITLE_CHARS`` characters."""
    return " ".join(text.split())[:TITLE_CHARS]


def _message_aad(message_id: uuid.UUID) -> bytes:
    return b"lumen/message/" + message_id.bytes


def _title_aad(conversation_id: uuid.UUID) -> bytes:
    return b"lumen/conversation-title/" + conversation_id.bytes
