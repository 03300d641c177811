"""The chat service: a caller's conversations, and the entry to answering in them.

Every change is audited in its own transaction (HIPAA 164.312(b)): a conversation's creation
with its insert, its deletion with its delete, a question with its storage (``answers``), and
a read in the read's session. A refused action (a problem such as 404 on someone else's
conversation, an IDOR attempt worth seeing in the log) is recorded as a failure with the
problem's status as reason. Answers stream from ``answers``; stored texts are sealed and opened
by the repository, never here.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace

from sqlmodel import Session

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, AuditLog, AuditUnavailable, append
from lumen.auth.principal import ClientInfo, Principal
from lumen.auth.throttle import RateLimit
from lumen.chat.answers import AnswerEvents, Answers, answered_message_id
from lumen.chat.disclaimer import DISCLAIMER
from lumen.chat.models import Conversation, Message
from lumen.chat.repository import (
    ChatRepository,
    ChatTexts,
    ChatWrites,
    conversations_of,
    messages_of,
)
from lumen.chat.schemas import (
    ConversationDetail,
    ConversationOut,
    MessageOut,
    SourceOut,
    SupportNote,
)
from lumen.db import Database
from lumen.observability.readiness import Readiness
from lumen.problems import NotFound, Problem
from lumen.security.encryption import KeyRing


class ChatService:
    """Conversations and answers for one owner at a time (``owner_id`` on every call)."""

    def __init__(
        self,
        db: Database,
        keys: KeyRing,
        answers: Answers,
        rate_limit: RateLimit,
        audit: AuditLog,
    ) -> None:
        self._db = db
        self._keys = keys
        self._answers = answers
        self._rate_limit = rate_limit
        self._audit = audit

    # --- the caller's conversations (audited) --------------------------------------------

    async def create_conversation(
        self, caller: Principal, client: ClientInfo, title: str | None
    ) -> ConversationOut:
        """Create an empty conversation owned by ``caller`` (audited with the insert)."""

        def create(session: Session) -> Conversation:
            conversation = ChatWrites(session, self._keys).add_conversation(caller.owner_id, title)
            event = _event(caller, client, AuditAction.CONVERSATION_CREATE, conversation.id)
            append(session, event)
            return conversation

        return _conversation_out(ChatTexts(self._keys), await self._db.transaction(create))

    async def read_conversation(
        self, caller: Principal, client: ClientInfo, conversation_id: uuid.UUID
    ) -> ConversationDetail:
        """The caller's conversation with its messages (the read audited). Raises
        ``NotFound`` (recorded as a failure)."""
        event = _event(caller, client, AuditAction.CONVERSATION_READ, conversation_id)
        async with self._failures_recorded(event), self._db.async_session() as session:
            detail = await _detail(
                ChatRepository(session, self._keys), caller.owner_id, conversation_id, self._shown
            )
            await self._audit.append(session, event)
            await session.commit()
        return detail

    async def delete_conversation(
        self, caller: Principal, client: ClientInfo, conversation_id: uuid.UUID
    ) -> None:
        """Delete the caller's conversation and its messages (audited with the delete).
        Raises ``NotFound`` (recorded as a failure)."""
        event = _event(caller, client, AuditAction.CONVERSATION_DELETE, conversation_id)
        async with self._failures_recorded(event), self._db.async_session() as session:
            repo = ChatRepository(session, self._keys)
            await session.delete(await repo.owned_conversation(caller.owner_id, conversation_id))
            await self._audit.append(session, event)
            await session.commit()

    async def list_conversations(self, owner_id: str) -> list[ConversationOut]:
        """The owner's conversations, most recently active first."""
        async with self._db.async_session() as session:
            repo = ChatRepository(session, self._keys)
            rows = await repo.conversations_of(owner_id)
            return [_conversation_out(repo, row) for row in rows]

    # --- for other domains (they audit for themselves) -----------------------------------

    async def get_conversation(
        self, owner_id: str, conversation_id: uuid.UUID
    ) -> ConversationDetail:
        """The conversation with its opened messages, unaudited (break glass and data export
        record their own entries). Raises ``NotFound``."""
        async with self._db.async_session() as session:
            repo = ChatRepository(session, self._keys)
            return await _detail(repo, owner_id, conversation_id, self._shown)

    async def owner_of(self, conversation_id: uuid.UUID) -> str:
        """The owner id of a conversation (break glass). Raises ``NotFound``."""
        async with self._db.async_session() as session:
            conversation = await ChatRepository(session, self._keys).conversation(conversation_id)
        return conversation.owner_id

    async def export(self, owner_id: str) -> list[ConversationDetail]:
        """Every conversation of the owner with its opened messages (data export)."""
        async with self._db.async_session() as session:
            repo = ChatRepository(session, self._keys)
            rows = await repo.conversations_of(owner_id, limit=None)
            return [await _detail(repo, owner_id, row.id, self._shown) for row in rows]

    async def delete_all(self, owner_id: str) -> int:
        """Delete every conversation of the owner with its messages; how many."""
        async with self._db.async_session() as session:
            rows = await ChatRepository(session, self._keys).conversations_of(owner_id, limit=None)
            for row in rows:
                await session.delete(row)
            await session.commit()
        return len(rows)

    # --- answering -----------------------------------------------------------------------

    async def ask(
        self,
        caller: Principal,
        client: ClientInfo,
        conversation_id: uuid.UUID,
        content: str,
        set_id: str | None = None,
    ) -> AnswerEvents:
        """Store the caller's question (audited with it) and return the stream of answer
        events; retrieval reads only the collections of the caller's role.

        Raises, before any event: ``TooManyRequests`` past the caller's chat rate (not
        audited), ``InvalidInput`` for an empty or over-long message and ``NotFound`` (both
        recorded as failures).
        """
        await self._rate_limit.hit(caller.actor_id)
        event = _event(caller, client, AuditAction.MESSAGE_CREATE, conversation_id)
        async with self._failures_recorded(event):
            return await self._answers.ask(
                caller.owner_id, conversation_id, content, caller.collections, set_id, event
            )

    async def regenerate(
        self, caller: Principal, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> AnswerEvents:
        """Answer again the question before one of the caller's assistant messages, replacing
        it. Raises ``TooManyRequests``, ``NotFound``, ``InvalidInput`` (not an answer)."""
        await self._rate_limit.hit(caller.actor_id)
        return await self._answers.regenerate(
            caller.owner_id, conversation_id, message_id, caller.collections
        )

    async def finished_answer(
        self, owner_id: str, conversation_id: uuid.UUID, events: AnswerEvents
    ) -> MessageOut:
        """Run an answer stream to its end and return the stored answer (JSON mode). Raises
        ``AnswerFailed`` when the engine failed mid-answer."""
        message_id = await answered_message_id(events)
        async with self._db.async_session() as session:
            repo = ChatRepository(session, self._keys)
            return _message_out(
                repo, await repo.owned_message(owner_id, conversation_id, message_id)
            )

    def watching_streams(self) -> AbstractAsyncContextManager[None]:
        """For the server's lifespan: stop the answers a dead process left streaming, then
        keep this process's streaming answers alive in the background (``chat.streams``)."""
        return self._answers.streams.watching()

    def _shown(self, message: Message) -> str:
        return self._answers.streams.shown_status(message)

    async def readiness(self) -> Readiness:
        """The answer engines' part of ``/readyz`` (``llm``). An LLM that is down does not
        make Lumen unready: answers degrade to the extractive engine."""
        return Readiness(ready=True, report={"llm": await self._answers.engines.llm_report()})

    @asynccontextmanager
    async def _failures_recorded(self, event: AuditEvent) -> AsyncIterator[None]:
        """Record ``event`` as a failure, with the problem's status as reason, when the block
        raises a problem; its success is appended by the block, in its own transaction."""
        try:
            yield
        except AuditUnavailable:
            raise  # the log itself is down: a failure entry could not be written either
        except Problem as exc:
            await self._audit.record(replace(event, outcome="failure", reason=f"http_{exc.status}"))
            raise


# --- for background jobs (sync sessions on a worker; the caller audits) ------------------------


def owned_conversation_ids(db: Database, owner_id: str) -> list[uuid.UUID]:
    """Ids of every conversation of the owner, most recently active first (FHIR export)."""
    with db.session() as session:
        return [row.id for row in session.exec(conversations_of(owner_id, limit=None)).all()]


def read_owned_conversation(
    db: Database, keys: KeyRing, owner_id: str, conversation_id: uuid.UUID
) -> ConversationDetail:
    """The owner's conversation with its opened messages, on a sync session, unaudited (a
    background export records its own entry). Raises ``NotFound``."""
    with db.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None or conversation.owner_id != owner_id:
            raise NotFound(f"No conversation {conversation_id}.")
        messages = session.exec(messages_of(conversation_id)).all()
    texts = ChatTexts(keys)
    return ConversationDetail(
        **_conversation_out(texts, conversation).model_dump(),
        messages=[_message_out(texts, m) for m in messages],
    )


def _event(
    caller: Principal, client: ClientInfo, action: AuditAction, conversation_id: uuid.UUID
) -> AuditEvent:
    return caller.audit_event(action, client, "conversation", str(conversation_id))


async def _detail(
    repo: ChatRepository,
    owner_id: str,
    conversation_id: uuid.UUID,
    shown_status: Callable[[Message], str],
) -> ConversationDetail:
    conversation = await repo.owned_conversation(owner_id, conversation_id)
    messages = await repo.messages_of(conversation_id)
    return ConversationDetail(
        **_conversation_out(repo, conversation).model_dump(),
        messages=[_message_out(repo, m, shown_status(m)) for m in messages],
    )


def _conversation_out(
    repo: ChatRepository | ChatTexts, conversation: Conversation
) -> ConversationOut:
    return ConversationOut(
        id=conversation.id,
        title=repo.title_of(conversation),
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
    )


def _message_out(
    repo: ChatRepository | ChatTexts, message: Message, status: str | None = None
) -> MessageOut:
    """The message as shown; ``status`` overrides the stored one (an orphaned answer)."""
    return MessageOut(
        id=message.id,
        role=message.role,
        kind=message.kind,
        status=status or message.status,
        content=repo.text_of(message),
        engine=message.engine,
        sources=[SourceOut.model_validate(s) for s in message.sources],
        citations=list(message.citations),
        disclaimer=DISCLAIMER if message.role == "assistant" else None,
        support=SupportNote.model_validate(message.support) if message.support else None,
        created_at=message.created_at,
    )
