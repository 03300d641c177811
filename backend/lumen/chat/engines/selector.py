"""Graceful degradation: the LLM answers when it can, the fallback engine when it cannot.

DESIGN.md: when the LLM server is down or times out before its first token, the answer comes
from the extractive engine and says so (``engine`` in SSE ``meta``/``done``); the user never
gets a hung request. The circuit breaker makes "down" cheap: after one failure, requests skip
the LLM for a cooldown instead of each waiting for a timeout.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Sequence
from typing import Any

from lumen.chat.engines.base import AnswerEngine, EngineUnavailable
from lumen.chat.engines.breaker import CircuitBreaker
from lumen.chat.engines.openai_compat import OpenAICompatEngine
from lumen.knowledge.schemas import RetrievalHit

logger = logging.getLogger(__name__)


class ResilientEngine:
    """Starts answers on ``primary`` behind ``breaker``, falling back to ``fallback``."""

    def __init__(
        self, primary: OpenAICompatEngine, fallback: AnswerEngine, breaker: CircuitBreaker
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.breaker = breaker

    @property
    def fallback_name(self) -> str:
        """The engine name reported when the fallback answered, e.g. ``extractive-fallback``."""
        return f"{self.fallback.name}-fallback"

    async def start(
        self,
        question: str,
        sources: Sequence[RetrievalHit],
        queries: Sequence[str] | None = None,
    ) -> tuple[str, AsyncGenerator[str, None]]:
        """``(engine name, text deltas)`` for the answer; ``sources[i]`` is cited as ``[i + 1]``.

        The primary's first delta has already arrived when this returns, so the caller can
        announce the engine (SSE ``meta``) before any token. The name is ``primary.name`` or
        ``fallback_name`` when the LLM was refused by the breaker, unavailable, silent past its
        first-token timeout, or gave an empty answer. Once the primary has produced text, a
        broken stream raises ``EngineFailed`` from the iterator; there is no switching engines
        mid-answer. Closing the iterator closes the LLM stream.
        """
        deltas = self.primary.stream(question, sources, queries)
        try:
            with self.breaker.attempt():
                first = await anext(deltas, None)
        except EngineUnavailable as exc:
            logger.warning("answering with %s: %s", self.fallback_name, exc)
            await deltas.aclose()
            return self.fallback_name, self.fallback.stream(question, sources, queries)
        except BaseException:
            await deltas.aclose()
            raise
        if first is None:
            logger.warning("LLM gave an empty answer; answering with %s", self.fallback_name)
            return self.fallback_name, self.fallback.stream(question, sources, queries)
        return self.primary.name, _resume(first, deltas)

    async def llm_report(self) -> dict[str, Any]:
        """The LLM server's state now (a probe) and the breaker's state since when."""
        since = self.breaker.since
        return {
            "state": await self.primary.probe(),
            "engine": self.primary.name,
            "breaker": {"state": self.breaker.state, "since": since.isoformat() if since else None},
        }

    async def aclose(self) -> None:
        """Close the primary engine's connection pool."""
        await self.primary.aclose()


async def _resume(first: str, rest: AsyncGenerator[str, None]) -> AsyncGenerator[str, None]:
    """``first`` and then the rest of the primary's deltas; closing this closes ``rest``."""
    try:
        yield first
        async for text in rest:
            yield text
    finally:
        await rest.aclose()
