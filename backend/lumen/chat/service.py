"""The chat service: conversations, and answering one message as a stream of events.

Flow of ``ask`` (DESIGN.md): validate → store the question (encrypted) → safety triage →
hybrid retrieval → answer engine → stream ``meta``, ``token``…, ``done`` → store the answer.
A client that goes away cancels generation; the partial answer is kept as ``stopped``, never as
a finished answer.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass

import anyio

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, AuditLog
from lumen.chat.citations import CitationFilter, valid_citations
from lumen.chat.disclaimer import DISCLAIMER
from lumen.chat.engines.base import EngineFailed, EngineStarter, word_deltas
from lumen.chat.gaps import plan_answer
from lumen.chat.models import Conversation, Message
from lumen.chat.repository import ChatRepository
from lumen.chat.schemas import (
    ChatEvent,
    ConversationDetail,
    ConversationOut,
    DoneEvent,
    ErrorEvent,
    MessageOut,
    MetaEvent,
    SourceOut,
    SupportNote,
    Timings,
    TokenEvent,
)
from lumen.chat.triage import Triage, escalation_answer, support_note
from lumen.db import Database
from lumen.knowledge.retrieval import Retriever
from lumen.knowledge.schemas import RetrievalHit
from lumen.problems import InvalidInput, NotFound
from lumen.security.encryption import KeyRing, Sealed

logger = logging.getLogger(__name__)

TITLE_CHARS = 80


@dataclass
class _Answer:
    """Mutable state of one answer while it streams."""

    message: Message
    text: str = ""


class ChatService:
    """Conversations and answers for one owner at a time (``owner_id`` on every call)."""

    def __init__(
        self,
        db: Database,
        keys: KeyRing,
        retriever: Retriever,
        triage: Triage,
        engines: EngineStarter,
        retrieval_k: int,
        max_message_chars: int,
        audit: AuditLog | None = None,
    ) -> None:
        self._db = db
        self._audit = audit
        self._keys = keys
        self._retriever = retriever
        self._triage = triage
        self._engines = engines
        self._k = retrieval_k
        self._max_chars = max_message_chars

    # --- conversations -------------------------------------------------------------------

    async def create_conversation(self, owner_id: str, title: str | None) -> ConversationOut:
        """Create an empty conversation (title encrypted like messages)."""
        conversation = Conversation(owner_id=owner_id)
        if title:
            self._set_title(conversation, title)
        async with self._db.async_session() as session:
            session.add(conversation)
            await session.commit()
        return self._conversation_out(conversation)

    async def list_conversations(self, owner_id: str) -> list[ConversationOut]:
        """The owner's conversations, most recently active first."""
        async with self._db.async_session() as session:
            rows = await ChatRepository(session).conversations_of(owner_id)
        return [self._conversation_out(row) for row in rows]

    async def get_conversation(
        self, owner_id: str, conversation_id: uuid.UUID
    ) -> ConversationDetail:
        """The conversation with its decrypted messages. Raises ``NotFound``."""
        async with self._db.async_session() as session:
            repo = ChatRepository(session)
            conversation = await repo.owned_conversation(owner_id, conversation_id)
            messages = await repo.messages_of(conversation_id)
        return ConversationDetail(
            **self._conversation_out(conversation).model_dump(),
            messages=[self._message_out(m) for m in messages],
        )

    async def delete_conversation(self, owner_id: str, conversation_id: uuid.UUID) -> None:
        """Delete a conversation and its messages. Raises ``NotFound``."""
        async with self._db.async_session() as session:
            conversation = await ChatRepository(session).owned_conversation(
                owner_id, conversation_id
            )
            await session.delete(conversation)
            await session.commit()

    async def owner_of(self, conversation_id: uuid.UUID) -> str:
        """The owner id of a conversation (break glass). Raises ``NotFound``."""
        async with self._db.async_session() as session:
            conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise NotFound(f"No conversation {conversation_id}.")
        return conversation.owner_id

    async def export(self, owner_id: str) -> list[ConversationDetail]:
        """Every conversation of the owner with its decrypted messages (data export)."""
        async with self._db.async_session() as session:
            rows = await ChatRepository(session).conversations_of(owner_id, limit=None)
        return [await self.get_conversation(owner_id, row.id) for row in rows]

    async def delete_all(self, owner_id: str) -> int:
        """Delete every conversation of the owner with its messages; how many."""
        async with self._db.async_session() as session:
            rows = await ChatRepository(session).conversations_of(owner_id, limit=None)
            for row in rows:
                await session.delete(row)
            await session.commit()
        return len(rows)

    # --- answering -----------------------------------------------------------------------

    async def ask(
        self,
        owner_id: str,
        conversation_id: uuid.UUID,
        content: str,
        collections: Sequence[str],
        set_id: str | None = None,
    ) -> AsyncIterator[ChatEvent]:
        """Store the question and return the stream of answer events; retrieval reads only
        ``collections`` (the caller's role's).

        Validation and ownership run before this returns, so their errors (``InvalidInput``
        for an empty or over-long message, ``NotFound``) become problem+json responses rather
        than stream events.
        """
        started = time.perf_counter()
        question = content.strip()
        if not question:
            raise InvalidInput("The message is empty.")
        if len(question) > self._max_chars:
            raise InvalidInput(
                f"The message has {len(question)} characters; the limit is {self._max_chars}."
            )
        async with self._db.async_session() as session:
            repo = ChatRepository(session)
            conversation = await repo.owned_conversation(owner_id, conversation_id)
            if conversation.title_ciphertext is None:
                self._set_title(conversation, question)
            session.add(self._sealed_message(conversation_id, "user", question))
            await repo.touch(conversation)
            await session.commit()
        return self._answer(conversation_id, question, collections, set_id, started)

    async def regenerate(
        self,
        owner_id: str,
        conversation_id: uuid.UUID,
        message_id: uuid.UUID,
        collections: Sequence[str],
    ) -> AsyncIterator[ChatEvent]:
        """Answer again the question before an assistant message, replacing that message.

        Raises ``NotFound`` for a message that is not the owner's, ``InvalidInput`` for a
        message that is not an assistant answer.
        """
        started = time.perf_counter()
        async with self._db.async_session() as session:
            repo = ChatRepository(session)
            target = await repo.owned_message(owner_id, conversation_id, message_id)
            if target.role != "assistant":
                raise InvalidInput("Only an assistant answer can be regenerated.")
            messages = await repo.messages_of(conversation_id)
            earlier = [
                m for m in messages if m.role == "user" and m.created_at <= target.created_at
            ]
            if not earlier:
                raise InvalidInput("There is no question before this answer.")
            question = self._open(earlier[-1])
            await session.delete(target)
            await session.commit()
        return self._answer(conversation_id, question, collections, None, started)

    async def _answer(
        self,
        conversation_id: uuid.UUID,
        question: str,
        collections: Sequence[str],
        set_id: str | None,
        started: float,
    ) -> AsyncIterator[ChatEvent]:
        def elapsed_ms() -> float:
            return round((time.perf_counter() - started) * 1000, 1)

        verdict = await anyio.to_thread.run_sync(self._triage.assess, question)
        if verdict.action == "escalate" and verdict.category is not None:
            async for event in self._escalate(
                conversation_id, verdict.category, verdict.detector or "pattern", elapsed_ms
            ):
                yield event
            return
        support = None  # a weaker signal: the normal answer, with the support note beside it
        if verdict.action == "support" and verdict.category is not None:
            support = SupportNote(category=verdict.category, text=support_note(verdict.category))

        search = await anyio.to_thread.run_sync(
            lambda: self._retriever.search_timed(
                question, k=self._k, collections=collections, set_id=set_id
            )
        )
        retrieval_ms = elapsed_ms()
        plan = plan_answer(search, scoped=set_id is not None)
        if plan.needs_engine:
            engine, deltas = await self._engines.start(question, plan.hits, plan.queries)
            if plan.note:
                deltas = _prefixed(plan.note + "\n\n", deltas)
        else:
            engine, deltas = "extractive", _words(plan.note)
        sources = _sources_out(plan.hits)
        answer = _Answer(
            await self._insert_answer(conversation_id, "answer", engine, sources, support)
        )
        yield MetaEvent(
            conversation_id=conversation_id,
            message_id=answer.message.id,
            kind="answer",
            engine=engine,
            sources=sources,
            support=support,
        )
        first_token_ms: float | None = None
        citation_filter = CitationFilter(len(sources))
        status = "stopped"
        try:
            # aclosing: a client that disconnects closes the engine's stream (and its HTTP
            # request to the LLM server) at once, not when the generator is collected.
            async with aclosing(deltas):
                async for delta in deltas:
                    for text in citation_filter.feed(delta):
                        if first_token_ms is None:
                            first_token_ms = elapsed_ms()
                        answer.text += text
                        yield TokenEvent(text=text)
            tail = citation_filter.flush()
            if tail:
                answer.text += tail
                yield TokenEvent(text=tail)
            status = "complete"
        except EngineFailed as exc:
            status = "failed"
            logger.warning("answer engine %s failed mid-stream: %s", engine, type(exc).__name__)
            yield ErrorEvent(
                status=502,
                title="Answer interrupted",
                detail=(
                    "The language model stopped answering. The partial answer is kept as failed."
                ),
            )
        finally:
            citations = valid_citations(answer.text, len(sources))
            with anyio.CancelScope(shield=True):
                await self._finish_answer(answer, status, citations)
        if status == "complete":
            yield DoneEvent(
                message_id=answer.message.id,
                citations=citations,
                disclaimer=DISCLAIMER,
                timings_ms=Timings(
                    retrieval=retrieval_ms,
                    first_token=first_token_ms if first_token_ms is not None else elapsed_ms(),
                    total=elapsed_ms(),
                ),
            )

    async def _escalate(
        self,
        conversation_id: uuid.UUID,
        category: str,
        detector: str,
        elapsed_ms: Callable[[], float],
    ) -> AsyncIterator[ChatEvent]:
        text = escalation_answer(category)
        message = self._sealed_message(
            conversation_id, "assistant", text, kind="escalation", engine="triage"
        )
        async with self._db.async_session() as session:
            session.add(message)
            await ChatRepository(session).record_triage(conversation_id, category, detector)
            await session.commit()
        logger.info("triage escalation: category=%s detector=%s", category, detector)
        await self._record_triage_action(AuditAction.ESCALATION, conversation_id)
        yield MetaEvent(
            conversation_id=conversation_id,
            message_id=message.id,
            kind="escalation",
            engine="triage",
            sources=[],
        )
        first_token_ms = elapsed_ms()
        for line in text.splitlines(keepends=True):
            yield TokenEvent(text=line)
        yield DoneEvent(
            message_id=message.id,
            citations=[],
            disclaimer=DISCLAIMER,
            timings_ms=Timings(retrieval=0.0, first_token=first_token_ms, total=elapsed_ms()),
        )

    # --- persistence helpers -------------------------------------------------------------

    async def _record_triage_action(self, action: AuditAction, conversation_id: uuid.UUID) -> None:
        """Audit an escalation or a support note: who and where, never the message text or the
        triage category (health data)."""
        if self._audit is not None:
            await self._audit.record(
                AuditEvent(
                    action=action,
                    actor_role="system",
                    object_type="conversation",
                    object_id=str(conversation_id),
                )
            )

    async def _insert_answer(
        self,
        conversation_id: uuid.UUID,
        kind: str,
        engine: str,
        sources: list[SourceOut],
        support: SupportNote | None = None,
    ) -> Message:
        message = self._sealed_message(
            conversation_id, "assistant", "", kind=kind, engine=engine, status="streaming"
        )
        message.sources = [s.model_dump() for s in sources]
        message.support = support.model_dump() if support is not None else None
        async with self._db.async_session() as session:
            session.add(message)
            await session.commit()
        if support is not None:
            await self._record_triage_action(AuditAction.SUPPORT_NOTE, conversation_id)
        return message

    async def _finish_answer(self, answer: _Answer, status: str, citations: list[int]) -> None:
        async with self._db.async_session() as session:
            message = await session.get(Message, answer.message.id)
            if message is None:  # the conversation was deleted meanwhile
                return
            sealed = self._keys.seal(answer.text, _message_aad(message.id))
            message.content_ciphertext, message.key_id = sealed.ciphertext, sealed.key_id
            message.status = status
            message.citations = citations
            session.add(message)
            await session.commit()

    def _sealed_message(
        self,
        conversation_id: uuid.UUID,
        role: str,
        text: str,
        kind: str = "answer",
        engine: str | None = None,
        status: str = "complete",
    ) -> Message:
        message_id = uuid.uuid4()
        sealed = self._keys.seal(text, _message_aad(message_id))
        return Message(
            id=message_id,
            conversation_id=conversation_id,
            role=role,
            kind=kind,
            status=status,
            engine=engine,
            content_ciphertext=sealed.ciphertext,
            key_id=sealed.key_id,
        )

    def _set_title(self, conversation: Conversation, text: str) -> None:
        title = " ".join(text.split())[:TITLE_CHARS]
        sealed = self._keys.seal(title, _title_aad(conversation.id))
        conversation.title_ciphertext, conversation.title_key_id = sealed.ciphertext, sealed.key_id

    def _open(self, message: Message) -> str:
        return self._keys.open(
            Sealed(message.key_id, message.content_ciphertext), _message_aad(message.id)
        )

    def _conversation_out(self, conversation: Conversation) -> ConversationOut:
        title = None
        if conversation.title_ciphertext is not None and conversation.title_key_id is not None:
            title = self._keys.open(
                Sealed(conversation.title_key_id, conversation.title_ciphertext),
                _title_aad(conversation.id),
            )
        return ConversationOut(
            id=conversation.id,
            title=title,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
        )

    def _message_out(self, message: Message) -> MessageOut:
        return MessageOut(
            id=message.id,
            role=message.role,
            kind=message.kind,
            status=message.status,
            content=self._open(message),
            engine=message.engine,
            sources=[SourceOut.model_validate(s) for s in message.sources],
            citations=list(message.citations),
            disclaimer=DISCLAIMER if message.role == "assistant" else None,
            support=SupportNote.model_validate(message.support) if message.support else None,
            created_at=message.created_at,
        )


async def _words(text: str) -> AsyncGenerator[str, None]:
    """``text`` as word deltas (each word with its trailing whitespace)."""
    for delta in word_deltas(text):
        yield delta


async def _prefixed(text: str, deltas: AsyncGenerator[str, None]) -> AsyncGenerator[str, None]:
    """The words of ``text``, then ``deltas``; closing this closes ``deltas``."""
    try:
        async for delta in _words(text):
            yield delta
        async for delta in deltas:
            yield delta
    finally:
        await deltas.aclose()


def _message_aad(message_id: uuid.UUID) -> bytes:
    return b"lumen/message/" + message_id.bytes


def _title_aad(conversation_id: uuid.UUID) -> bytes:
    return b"lumen/conversation-title/" + conversation_id.bytes


def _sources_out(hits: Sequence[RetrievalHit]) -> list[SourceOut]:
    return [
        SourceOut(
            n=n,
            document_id=hit.document_id,
            title=hit.title,
            url=hit.url,
            section=hit.section,
            snippet=hit.passage,
            source_name=hit.source_name,
            start=hit.start,
            end=hit.end,
            licence=hit.licence,
            attribution=hit.attribution,
        )
        for n, hit in enumerate(hits, start=1)
    ]
