"""The answer-engine interface: a question plus numbered sources in, answer text out."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Sequence
from typing import Any, Protocol

from lumen.knowledge.schemas import RetrievalHit

_WORD_DELTA = re.compile(r"\S+\s*|\s+")


def word_deltas(text: str) -> list[str]:
    """``text`` cut into stream deltas of one word each, its trailing whitespace included;
    they concatenate to ``text``."""
    return _WORD_DELTA.findall(text)


async def words(text: str) -> AsyncGenerator[str, None]:
    """``text`` as a delta stream of one word each (``word_deltas``)."""
    for delta in word_deltas(text):
        yield delta


async def prefixed(text: str, deltas: AsyncGenerator[str, None]) -> AsyncGenerator[str, None]:
    """The words of ``text``, then ``deltas``; closing this closes ``deltas``."""
    try:
        async for delta in words(text):
            yield delta
        async for delta in deltas:
            yield delta
    finally:
        await deltas.aclose()


class EngineUnavailable(Exception):
    """The engine could not start answering (server down, no first token in time).

    Raised before any text was yielded, so the caller may hand the answer to another engine.
    """


class EngineFailed(Exception):
    """The engine failed after it had started streaming text."""


class AnswerEngine(Protocol):
    """Streams an answer whose claims cite the numbered sources as ``[n]`` (n from 1)."""

    name: str

    def stream(
        self,
        question: str,
        sources: Sequence[RetrievalHit],
        queries: Sequence[str] | None = None,
    ) -> AsyncGenerator[str, None]:
        """Yield text deltas. ``sources[i]`` is cited as ``[i + 1]``; ``queries`` are the
        sub-questions of ``question`` as retrieval ran them (None: the engine's own reading).

        Raises ``EngineUnavailable`` before the first delta, ``EngineFailed`` after it.
        """
        ...


class EngineStarter(Protocol):
    """Chooses the engine for one answer and starts it.

    Returns the name of the engine actually answering (for SSE ``meta.engine``) and its deltas.
    """

    async def start(
        self,
        question: str,
        sources: Sequence[RetrievalHit],
        queries: Sequence[str] | None = None,
    ) -> tuple[str, AsyncGenerator[str, None]]:
        """Start answering; raises nothing an engine could hand to a fallback."""
        ...

    async def llm_report(self) -> dict[str, Any]:
        """The ``llm`` part of ``/readyz``: the LLM server's state and engine name (and its
        circuit breaker's), or ``not configured`` when answers are extractive only. Never
        raises."""
        ...


class DirectEngine:
    """Starts one engine with no fallback: the extractive default."""

    def __init__(self, engine: AnswerEngine) -> None:
        self._engine = engine

    async def start(
        self,
        question: str,
        sources: Sequence[RetrievalHit],
        queries: Sequence[str] | None = None,
    ) -> tuple[str, AsyncGenerator[str, None]]:
        """The engine's name and its delta stream."""
        return self._engine.name, self._engine.stream(question, sources, queries)

    async def llm_report(self) -> dict[str, Any]:
        """No LLM server is configured: answers come from the extractive engine."""
        return {"state": "not configured", "engine": "extractive"}
