"""The answer-engine interface: a question plus numbered sources in, answer text out."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Sequence
from typing import Any, Protocol

from lumen.knowledge.schemas import RetrievalHit

_WORD_DELTA = re.compile(r"\S+\s*|\s+")


PHRASE_WORDS = 6


def phrase_deltas(text: str, max_words: int = PHRASE_WORDS) -> list[str]:
    """``text`` cut into stream deltas of up to ``max_words`` words, each with its trailing
    whitespace; a line break ends a delta. They concatenate to ``text``.

    Text that exists whole (an extractive answer, a note) streams in phrases: every SSE event
    costs the server and the browser the same whether it carries one word or six (issue 11's
    profile: a third of the server's CPU under load went to per-word events).
    """
    deltas: list[str] = []
    phrase: list[str] = []
    for word in _WORD_DELTA.findall(text):
        phrase.append(word)
        if len(phrase) >= max_words or "\n" in word:
            deltas.append("".join(phrase))
            phrase = []
    if phrase:
        deltas.append("".join(phrase))
    return deltas


async def phrases(text: str) -> AsyncGenerator[str, None]:
    """``text`` as a delta stream of phrases (``phrase_deltas``)."""
    for delta in phrase_deltas(text):
        yield delta


async def prefixed(text: str, deltas: AsyncGenerator[str, None]) -> AsyncGenerator[str, None]:
    """The phrases of ``text``, then ``deltas``; closing this closes ``deltas``."""
    try:
        async for delta in phrases(text):
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
