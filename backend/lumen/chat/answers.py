"""Answering one message as a stream of events, and storing the answer.

Flow of ``ask`` (DESIGN.md): validate → store the question (encrypted) → safety triage →
hybrid retrieval → answer engine → stream ``meta``, ``token``…, ``done`` → store the answer.
A client that goes away cancels generation; the partial answer is kept as ``stopped``, never as
a finished answer. While it streams, ``streams`` keeps its row alive with the text sent so far,
so that a process that dies mid-answer leaves a ``stopped`` answer, not a ``streaming`` one.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing

import anyio

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, AuditLog
from lumen.chat.citations import CitationFilter, valid_citations
from lumen.chat.disclaimer import DISCLAIMER
from lumen.chat.engines.base import EngineFailed, EngineStarter, phrases, prefixed
from lumen.chat.gaps import plan_answer
from lumen.chat.repository import ChatRepository
from lumen.chat.schemas import (
    ChatEvent,
    DoneEvent,
    ErrorEvent,
    MetaEvent,
    SourceOut,
    SupportNote,
    Timings,
    TokenEvent,
)
from lumen.chat.streams import StreamWatch
from lumen.chat.triage import Triage, escalation_answer, support_note
from lumen.db import Database
from lumen.knowledge.retrieval import Retriever
from lumen.problems import InvalidInput, Problem
from lumen.security.encryption import KeyRing

logger = logging.getLogger(__name__)

AnswerEvents = AsyncGenerator[ChatEvent, None]


class AnswerFailed(Problem):
    """The answer engine failed (JSON mode; SSE mode sends an ``error`` event instead)."""

    status = 502
    title = "Answer interrupted"


class Answers:
    """Questions in, streams of answer events out; both stored, sealed, with their audit."""

    def __init__(
        self,
        db: Database,
        keys: KeyRing,
        retriever: Retriever,
        triage: Triage,
        engines: EngineStarter,
        retrieval_k: int,
        max_message_chars: int,
        audit: AuditLog,
        streams: StreamWatch,
    ) -> None:
        self._db = db
        self._keys = keys
        self._retriever = retriever
        self._triage = triage
        self.engines = engines
        self._k = retrieval_k
        self._max_chars = max_message_chars
        self._audit = audit
        self.streams = streams

    async def ask(
        self,
        owner_id: str,
        conversation_id: uuid.UUID,
        content: str,
        collections: Sequence[str],
        set_id: str | None,
        audit_event: AuditEvent,
    ) -> AnswerEvents:
        """Store the question with ``audit_event`` (one transaction) and return the stream of
        answer events; retrieval reads only ``collections``.

        Validation and ownership run before this returns, so their errors (``InvalidInput``
        for an empty or over-long message, ``NotFound``) become problem+json responses rather
        than stream events. Raises ``AuditUnavailable`` (nothing stored).
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
            repo = ChatRepository(session, self._keys)
            conversation = await repo.owned_conversation(owner_id, conversation_id)
            repo.title_if_untitled(conversation, question)
            repo.add_message(conversation_id, "user", question)
            repo.touch(conversation)
            await self._audit.append(session, audit_event)
            await session.commit()
        return self._stream(conversation_id, question, collections, set_id, started)

    async def regenerate(
        self,
        owner_id: str,
        conversation_id: uuid.UUID,
        message_id: uuid.UUID,
        collections: Sequence[str],
    ) -> AnswerEvents:
        """Answer again the question before an assistant message, replacing that message.

        Raises ``NotFound`` for a message that is not the owner's, ``InvalidInput`` for a
        message that is not an assistant answer.
        """
        started = time.perf_counter()
        async with self._db.async_session() as session:
            repo = ChatRepository(session, self._keys)
            target = await repo.owned_message(owner_id, conversation_id, message_id)
            if target.role != "assistant":
                raise InvalidInput("Only an assistant answer can be regenerated.")
            messages = await repo.messages_of(conversation_id)
            earlier = [
                m for m in messages if m.role == "user" and m.created_at <= target.created_at
            ]
            if not earlier:
                raise InvalidInput("There is no question before this answer.")
            question = repo.text_of(earlier[-1])
            await session.delete(target)
            await session.commit()
        return self._stream(conversation_id, question, collections, None, started)

    async def _stream(
        self,
        conversation_id: uuid.UUID,
        question: str,
        collections: Sequence[str],
        set_id: str | None,
        started: float,
    ) -> AnswerEvents:
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
            engine, deltas = await self.engines.start(question, plan.hits, plan.queries)
            if plan.note:
                deltas = prefixed(plan.note + "\n\n", deltas)
        else:
            engine, deltas = "extractive", phrases(plan.note)
        sources = [SourceOut.from_hit(n, hit) for n, hit in enumerate(plan.hits, start=1)]
        answer = self.streams.track(len(sources))
        first_token_ms: float | None = None
        citation_filter = CitationFilter(len(sources))
        status = "stopped"
        try:
            await self._insert_answer(answer.message_id, conversation_id, engine, sources, support)
            yield MetaEvent(
                conversation_id=conversation_id,
                message_id=answer.message_id,
                kind="answer",
                engine=engine,
                sources=sources,
                support=support,
            )
            # aclosing: a client that disconnects closes the engine's stream (and its HTTP
            # request to the LLM server) at once, not when the generator is collected.
            async with aclosing(deltas):
                async for delta in deltas:
                    for text in citation_filter.feed(delta):
                        if first_token_ms is None:
                            first_token_ms = elapsed_ms()
                        answer.text += text
                        yield TokenEvent(text=text)
                        answer.mark_sent()
            tail = citation_filter.flush()
            if tail:
                answer.text += tail
                yield TokenEvent(text=tail)
                answer.mark_sent()
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
            try:
                with anyio.CancelScope(shield=True):
                    async with self._db.async_session() as session:
                        repo = ChatRepository(session, self._keys)
                        await repo.finish_message(answer.message_id, answer.text, status, citations)
                        await session.commit()
            finally:
                self.streams.untrack(answer)
        if status == "complete":
            yield DoneEvent(
                message_id=answer.message_id,
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
    ) -> AnswerEvents:
        text = escalation_answer(category)
        async with self._db.async_session() as session:
            repo = ChatRepository(session, self._keys)
            message = repo.add_message(
                conversation_id, "assistant", text, kind="escalation", engine="triage"
            )
            repo.record_triage(conversation_id, category, detector)
            await self._audit.append(
                session, _triage_event(AuditAction.ESCALATION, conversation_id)
            )
            await session.commit()
        logger.info("triage escalation: category=%s detector=%s", category, detector)
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

    async def _insert_answer(
        self,
        message_id: uuid.UUID,
        conversation_id: uuid.UUID,
        engine: str,
        sources: list[SourceOut],
        support: SupportNote | None,
    ) -> None:
        """The answer's row, empty and ``streaming``; with the support note's audit entry."""
        async with self._db.async_session() as session:
            ChatRepository(session, self._keys).add_message(
                conversation_id,
                "assistant",
                "",
                engine=engine,
                status="streaming",
                sources=[s.model_dump() for s in sources],
                support=support.model_dump() if support is not None else None,
                message_id=message_id,
            )
            if support is not None:
                event = _triage_event(AuditAction.SUPPORT_NOTE, conversation_id)
                await self._audit.append(session, event)
            await session.commit()


def _triage_event(action: AuditAction, conversation_id: uuid.UUID) -> AuditEvent:
    """The audit entry of an escalation or a support note: who and where, never the message
    text or the triage category (health data)."""
    return AuditEvent(
        action=action,
        actor_role="system",
        object_type="conversation",
        object_id=str(conversation_id),
    )


async def answered_message_id(events: AnswerEvents) -> uuid.UUID:
    """Run the stream to its end (JSON mode): the id of the stored answer. Raises
    ``AnswerFailed`` when the engine failed mid-answer (the partial answer is stored as
    failed)."""
    message_id: uuid.UUID | None = None
    async with aclosing(events):
        async for event in events:
            if isinstance(event, MetaEvent | DoneEvent):
                message_id = event.message_id
            elif isinstance(event, ErrorEvent):
                raise AnswerFailed(event.detail)
    assert message_id is not None, "every answer stream starts with meta"
    return message_id
