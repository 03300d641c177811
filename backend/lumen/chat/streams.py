"""Answers being streamed: their heartbeat, and the recovery of those whose process died.

An answer's row is inserted ``streaming`` with its question and finished (``complete``,
``stopped`` or ``failed``) when its stream ends. A process killed in between (kill -9, the OOM
killer, a lost node) would leave the row ``streaming`` for ever, empty. So while an answer
streams, its process refreshes the row every ``heartbeat_s`` with the text the client has been
sent so far (a crash keeps what the patient saw, never more), and a ``streaming`` row whose
heartbeat is older than ``orphaned_after_s`` is an orphan: shown as ``stopped`` when read, and
swept to ``stopped`` at start-up and, with several processes, every ``orphaned_after_s / 2``.

Several replicas on one PostgreSQL cannot tell whether another's answer is alive except by its
heartbeat, so a replica that starts sweeps only orphans: its restart never stops the answers
another live replica is streaming. With SQLite (the embedded default, DESIGN.md) one process
serves the database, so at its start every ``streaming`` row is an orphan and is swept at once.
Rows this process is streaming are never taken for orphans, however late their heartbeat.

Cost: one transaction per process per heartbeat for all of its answers that have streamed
longer than ``heartbeat_s``, none for an answer that ends sooner (the extractive engine's
~100 ms); the sweep is a look-up in the partial index of streaming rows. An idle process, or
one whose answers all end within a heartbeat, touches the database not at all.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import anyio

from lumen.chat.citations import valid_citations
from lumen.chat.models import Message
from lumen.chat.repository import AnswerContent, ChatRepository
from lumen.db import Database, utcnow
from lumen.security.encryption import KeyRing

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class LiveAnswer:
    """One answer this process is streaming: ``text`` is all the engine gave so far,
    ``sent_chars`` how much of it the client has been handed; with the ``engine``, the
    ``sources`` (``SourceOut`` dicts) and the ``support`` note once retrieval has chosen them,
    what a heartbeat stores."""

    message_id: uuid.UUID
    engine: str | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    support: dict[str, Any] | None = None
    text: str = ""
    sent_chars: int = 0
    beat_at: float = field(default_factory=time.monotonic)  # monotonic s; the insert counts

    def mark_sent(self) -> None:
        """The client has been handed all of ``text``."""
        self.sent_chars = len(self.text)

    def content(self, *, sent_only: bool = False) -> AnswerContent:
        """The answer as its row holds it: all its text, or only what the client has been
        handed (``sent_only``, what a heartbeat stores), with the citations in that text."""
        text = self.text[: self.sent_chars] if sent_only else self.text
        citations = valid_citations(text, len(self.sources))
        return AnswerContent(text, citations, self.engine, self.sources, self.support)


class StreamWatch:
    """This process's streaming answers, their heartbeat and the sweep of orphans.

    ``single_process``: no other process streams into this database (SQLite), so start-up
    sweeps every ``streaming`` row. Raises ``ValueError`` unless ``orphaned_after_s`` is more
    than two heartbeats (a live answer would otherwise be taken for dead between two beats).
    """

    def __init__(
        self,
        db: Database,
        keys: KeyRing,
        heartbeat_s: float,
        orphaned_after_s: float,
        single_process: bool,
    ) -> None:
        if orphaned_after_s <= 2 * heartbeat_s:
            raise ValueError("stream_orphaned_after_s must exceed two stream heartbeats")
        self._db = db
        self._keys = keys
        self._heartbeat_s = heartbeat_s
        self._orphaned_after = timedelta(seconds=orphaned_after_s)
        self._single_process = single_process
        self._live: dict[uuid.UUID, LiveAnswer] = {}

    # --- the streams of this process ------------------------------------------------------

    def track(self, message_id: uuid.UUID) -> LiveAnswer:
        """The answer of the ``streaming`` row ``message_id``, live in this process from now
        on (a sweep never takes it for an orphan, a heartbeat keeps it)."""
        answer = LiveAnswer(message_id=message_id)
        self._live[message_id] = answer
        return answer

    def untrack(self, answer: LiveAnswer) -> None:
        """The answer's stream has ended and its final row is written."""
        self._live.pop(answer.message_id, None)

    def shown_status(self, message: Message) -> str:
        """The status to show for a stored message: ``stopped`` for an orphaned ``streaming``
        answer not yet swept, else its own."""
        if message.status != "streaming" or message.id in self._live:
            return message.status
        heartbeat = message.stream_heartbeat_at or message.created_at
        return "stopped" if heartbeat < utcnow() - self._orphaned_after else message.status

    # --- background work ------------------------------------------------------------------

    async def beat(self) -> int:
        """Store what the client has been sent (text, citations, sources, engine, support
        note) of every answer streaming for longer than a heartbeat since its last one, in
        one transaction; how many were written."""
        now = time.monotonic()
        due = [a for a in self._live.values() if now - a.beat_at >= self._heartbeat_s]
        if not due:
            return 0
        async with self._db.async_session() as session:
            repo = ChatRepository(session, self._keys)
            at = utcnow()
            for answer in due:
                await repo.save_streamed_answer(
                    answer.message_id, answer.content(sent_only=True), at
                )
            await session.commit()
        for answer in due:
            answer.beat_at = now
        return len(due)

    async def sweep(self, *, at_start: bool = False) -> int:
        """Mark orphaned ``streaming`` answers ``stopped``: at the start of a single process
        every one not streaming here, else those whose heartbeat is older than the bound;
        how many."""
        cutoff = None if at_start and self._single_process else utcnow() - self._orphaned_after
        async with self._db.async_session() as session:
            stopped = await ChatRepository(session, self._keys).stop_orphaned_answers(
                cutoff, live=list(self._live)
            )
            await session.commit()
        if stopped:
            logger.info("%d answers left streaming by a stopped process marked stopped", stopped)
        return stopped

    async def run(self) -> None:
        """Heartbeats (checked every half heartbeat) and, with several processes, the sweep
        (every half orphan bound) until cancelled. A single process needs no periodic sweep:
        its start-up sweep stopped every orphan, and it tracks every answer it streams since
        (a final write that failed leaves an orphan that reads show as stopped after the bound
        and the next start sweeps). A round that fails (the database briefly unreachable) is
        logged and the next one tries again."""
        sweep_every_s = self._orphaned_after.total_seconds() / 2
        next_sweep = time.monotonic() + sweep_every_s
        while True:
            await anyio.sleep(self._heartbeat_s / 2)
            try:
                await self.beat()
                if not self._single_process and time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + sweep_every_s
                    await self.sweep()
            except Exception as exc:  # the next round retries; a failure must not stop serving
                logger.warning("stream heartbeat round failed: %s", type(exc).__name__)

    @asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Sweep at start-up, then run heartbeats and sweeps in the background for the
        duration of the block (the server's lifespan)."""
        await self.sweep(at_start=True)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self.run)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
