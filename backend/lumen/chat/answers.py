"""Answering one message as a stream of events, and storing the answer.

Flow of ``ask`` (DESIGN.md): validate → store the question (encrypted) with its answer's empty
``streaming`` row, in one transaction → safety triage → hybrid retrieval → answer engine →
stream ``meta``, ``token``…, ``done`` → store the answer in that row.
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
from typing import cast

import anyio
from sqlmodel import Session

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, append
from lumen.chat.citations import CitationFilter
from lumen.chat.disclaimer import DISCLAIMER
from lumen.chat.engines.base import EngineFailed, EngineStarter, phrases, prefixed
from lumen.chat.gaps import plan_answer
from lumen.chat.repository import AnswerContent, ChatRepository, ChatWrites
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
from lumen.chat.triage import Triage, TriageResult, escalation_answer, support_note
from lumen.db import Database
from lumen.knowledge.retrieval import Retriever, TimedSearch
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
        streams: StreamWatch,
    ) -> None:
        self._db = db
        self._keys = keys
        self._retriever = retriever
        self._triage = triage
        self.engines = engines
        self._k = retrieval_k
        self._max_chars = max_message_chars
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

        def store(session: Session) -> uuid.UUID:
            writes = ChatWrites(session, self._keys)
            writes.note_question(owner_id, conversation_id, question)
            writes.add_message(conversation_id, "user", question)
            answer_id = _add_streaming_answer(writes, conversation_id)
            append(session, audit_event)
            return answer_id

        answer_id = await self._db.transaction(store)
        return self._stream(conversation_id, answer_id, question, collections, set_id, started)

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
            # sqlmodel's AsyncSession lends its own Session class, typed as SQLAlchemy's.
            answer_id = await session.run_sync(
                lambda sync: _add_streaming_answer(
                    ChatWrites(cast(Session, sync), self._keys), conversation_id
                )
            )
            await session.commit()
        return self._stream(conversation_id, answer_id, question, collections, None, started)

    async def _stream(
        self,
        conversation_id: uuid.UUID,
        message_id: uuid.UUID,
        question: str,
        collections: Sequence[str],
        set_id: str | None,
        started: float,
    ) -> AnswerEvents:
        """The answer events of the ``streaming`` row ``message_id``, which is ended (text,
        status, engine, sources, support note and its audit entry) in one transaction when
        the stream ends, however it ends."""

        def elapsed_ms() -> float:
            return round((time.perf_counter() - started) * 1000, 1)

        answer = self.streams.track(message_id)
        status = "stopped"
        stored = False  # the row is ended already (an escalation is stored before it is told)
        audited: AuditEvent | None = None
        try:
            verdict, search = await anyio.to_thread.run_sync(
                self._assess_and_search, question, collections, set_id
            )
            if search is None:  # triage escalated, so no retrieval ran
                category, detector = verdict.category, verdict.detector or "pattern"
                assert category is not None, "an escalation always has its category"
                text = escalation_answer(category)

                def escalate(session: Session) -> None:
                    writes = ChatWrites(session, self._keys)
                    writes.finish_message(
                        message_id,
                        AnswerContent(text, citations=[], engine="triage", sources=[]),
                        "complete",
                        kind="escalation",
                    )
                    writes.record_triage(conversation_id, category, detector)
                    append(session, _triage_event(AuditAction.ESCALATION, conversation_id))

                await self._db.transaction(escalate)
                stored, status = True, "complete"
                logger.info(
                    "triage escalation: category=%s detector=%s", verdict.category, verdict.detector
                )
                async for event in _escalation_events(
                    conversation_id, message_id, text, elapsed_ms
                ):
                    yield event
                return
            support = None  # a weaker signal: the normal answer, with the support note beside it
            if verdict.action == "support" and verdict.category is not None:
                support = SupportNote(
                    category=verdict.category, text=support_note(verdict.category)
                )
                answer.support = support.model_dump()
                audited = _triage_event(AuditAction.SUPPORT_NOTE, conversation_id)

            retrieval_ms = elapsed_ms()
            plan = plan_answer(search, scoped=set_id is not None)
            if plan.needs_engine:
                engine, deltas = await self.engines.start(question, plan.hits, plan.queries)
                if plan.note:
                    deltas = prefixed(plan.note + "\n\n", deltas)
            else:
                engine, deltas = "extractive", phrases(plan.note)
            sources = [SourceOut.from_hit(n, hit) for n, hit in enumerate(plan.hits, start=1)]
            answer.engine, answer.sources = engine, [s.model_dump() for s in sources]
            first_token_ms: float | None = None
            citation_filter = CitationFilter(len(sources))
            yield MetaEvent(
                conversation_id=conversation_id,
                message_id=message_id,
                kind="answer",
                engine=engine,
                sources=sources,
                support=support,
            )
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
                        "The language model stopped answering. The partial answer is kept as "
                        "failed."
                    ),
                )
        finally:
            final = answer.content()  # what the row keeps, and ``done`` reports
            try:
                if not stored:

                    def finish(session: Session) -> None:
                        ChatWrites(session, self._keys).finish_message(message_id, final, status)
                        if audited is not None:
                            append(session, audited)

                    with anyio.CancelScope(shield=True):
                        await self._db.transaction(finish)
            finally:
                self.streams.untrack(answer)
        if status == "complete":
            yield DoneEvent(
                message_id=message_id,
                citations=final.citations,
                disclaimer=DISCLAIMER,
                timings_ms=Timings(
                    retrieval=retrieval_ms,
                    first_token=first_token_ms if first_token_ms is not None else elapsed_ms(),
                    total=elapsed_ms(),
                ),
            )

    def _assess_and_search(
        self, question: str, collections: Sequence[str], set_id: str | None
    ) -> tuple[TriageResult, TimedSearch | None]:
        """Triage, then retrieval unless triage escalates (``None``: no retrieval ran), in one
        worker-thread call (blocking, CPU-bound): under load every hand-off to a thread and
        back waits a turn of the busy event loop, before the first token."""
        verdict = self._triage.assess(question)
        if verdict.action == "escalate" and verdict.category is not None:
            return verdict, None
        return verdict, self._retriever.search_timed(
            question, k=self._k, collections=collections, set_id=set_id
        )


async def _escalation_events(
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    text: str,
    elapsed_ms: Callable[[], float],
) -> AnswerEvents:
    """The events of an escalation already stored: its lines as tokens, at once."""
    yield MetaEvent(
        conversation_id=conversation_id,
        message_id=message_id,
        kind="escalation",
        engine="triage",
        sources=[],
    )
    first_token_ms = elapsed_ms()
    for line in text.splitlines(keepends=True):
        yield TokenEvent(text=line)
    yield DoneEvent(
        message_id=message_id,
        citations=[],
        disclaimer=DISCLAIMER,
        timings_ms=Timings(retrieval=0.0, first_token=first_token_ms, total=elapsed_ms()),
    )


def _add_streaming_answer(writes: ChatWrites, conversation_id: uuid.UUID) -> uuid.UUID:
    """The answer's row, empty and ``streaming``, added in its question's transaction (one
    transaction fewer per answer than inserting it when the stream starts); its id."""
    return writes.add_message(conversation_id, "assistant", "", status="streaming")


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
