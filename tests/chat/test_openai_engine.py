"""The OpenAI-compatible engine and graceful degradation, against a real local HTTP server.

The server is the scripted fake in ``fake_llm.py``; timeouts are shrunk to fractions of a
second, so the timing assertions below are loose bounds, not benchmarks.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence

import pytest

from lumen.chat.citations import CitationFilter, valid_citations
from lumen.chat.engines.base import EngineFailed, EngineUnavailable
from lumen.chat.engines.breaker import CircuitBreaker
from lumen.chat.engines.openai_compat import OpenAICompatEngine
from lumen.chat.engines.selector import ResilientEngine
from lumen.knowledge.schemas import RetrievalHit
from tests.chat.fake_llm import MODEL, FakeLLMServer, Script

QUESTION = "How long does flu fever last?"
FALLBACK_TEXT = "Fever usually lasts three to four days [1]."

EngineFactory = Callable[..., OpenAICompatEngine]  # the make_engine fixture


class CannedEngine:
    """A stand-in for the extractive engine (not under test): yields fixed text."""

    name = "extractive"

    async def stream(
        self,
        question: str,
        sources: Sequence[RetrievalHit],
        queries: Sequence[str] | None = None,
    ) -> AsyncIterator[str]:
        for word in FALLBACK_TEXT.split(" "):
            yield word + " "


async def _collect(deltas: AsyncIterator[str]) -> list[str]:
    return [delta async for delta in deltas]


def _resilient(
    engine_url: str, make_engine: EngineFactory, cooldown_s: float = 30.0
) -> ResilientEngine:
    return ResilientEngine(make_engine(engine_url), CannedEngine(), CircuitBreaker(cooldown_s))


async def _wait_for(event: threading.Event, timeout_s: float = 2.0) -> bool:
    """Polls an event set by the fake server's thread, without blocking this event loop."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if event.is_set():
            return True
        await asyncio.sleep(0.01)
    return False


async def test_streamed_text_equals_the_scripted_text(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    tokens = ["Fever ", "usually ", "lasts ", "three ", "to ", "four ", "days ", "[1]", "."]
    fake_llm.reset(Script(tokens=tokens))
    deltas = await _collect(make_engine(fake_llm.base_url).stream(QUESTION, sources))
    assert deltas == tokens
    request = fake_llm.requests[0]
    assert request["stream"] is True
    assert request["model"] == MODEL
    assert request["max_tokens"] == 64
    assert "[2] Common cold" in request["messages"][0]["content"]


async def test_a_server_dying_mid_stream_fails_after_the_text_it_sent(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    fake_llm.reset(Script(mode="die", die_after=2))
    received: list[str] = []
    with pytest.raises(EngineFailed):
        async for delta in make_engine(fake_llm.base_url).stream(QUESTION, sources):
            received.append(delta)
    assert received == ["Fever ", "is "]


async def test_a_silent_server_is_unavailable_once_the_first_token_timeout_passes(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    fake_llm.reset(Script(mode="silent"))
    engine = make_engine(fake_llm.base_url, first_token_timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="no answer text within 0.5 s"):
        await _collect(engine.stream(QUESTION, sources))
    assert 0.45 <= time.monotonic() - started < 1.5
    assert await _wait_for(fake_llm.client_gone), "the engine left the request open"


async def test_a_first_token_later_than_the_timeout_counts_as_silence(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    # Headers and the role chunk arrive at once; only the text is late.
    fake_llm.reset(Script(first_delay_s=1.0))
    engine = make_engine(fake_llm.base_url, first_token_timeout_s=0.3)
    with pytest.raises(EngineUnavailable):
        await _collect(engine.stream(QUESTION, sources))


async def test_a_server_error_is_unavailable(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    fake_llm.reset(Script(mode="error"))
    with pytest.raises(EngineUnavailable, match="InternalServerError"):
        await _collect(make_engine(fake_llm.base_url).stream(QUESTION, sources))


async def test_a_refused_connection_is_unavailable(
    closed_port_url: str, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    with pytest.raises(EngineUnavailable, match="APIConnectionError"):
        await _collect(make_engine(closed_port_url).stream(QUESTION, sources))


async def test_closing_the_stream_early_closes_the_http_connection(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    fake_llm.reset(Script(tokens=["word "] * 100, delay_s=0.02))
    deltas = make_engine(fake_llm.base_url).stream(QUESTION, sources)
    assert await anext(deltas) == "word "
    await deltas.aclose()  # what the SSE layer does when the browser disconnects
    assert await _wait_for(fake_llm.client_gone, timeout_s=1.0)
    assert fake_llm.chunks_sent < 100


async def test_cancelling_the_consumer_closes_the_http_connection(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    fake_llm.reset(Script(tokens=["word "] * 100, delay_s=0.02))
    engine = make_engine(fake_llm.base_url)
    consumer = asyncio.create_task(_collect(engine.stream(QUESTION, sources)))
    while fake_llm.chunks_sent < 2:
        await asyncio.sleep(0.01)
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert await _wait_for(fake_llm.client_gone, timeout_s=1.0)
    assert fake_llm.chunks_sent < 100


async def test_probe_reports_up_for_a_listening_server_and_down_otherwise(
    fake_llm: FakeLLMServer, closed_port_url: str, make_engine: EngineFactory
) -> None:
    assert await make_engine(fake_llm.base_url).probe() == "up"
    assert await make_engine(closed_port_url).probe() == "down"


async def test_the_resilient_engine_answers_with_the_llm_when_it_is_up(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    resilient = _resilient(fake_llm.base_url, make_engine)
    fake_llm.reset(Script(delay_s=0.05))
    name, deltas = await resilient.start(QUESTION, sources)
    # The first delta is already in hand, so SSE `meta` can name the engine before any token.
    assert (name, fake_llm.chunks_sent) == ("openai", 1)
    assert "".join(await _collect(deltas)) == "Fever is common [1]."
    assert resilient.breaker.state == "up"


async def test_a_silent_llm_falls_back_to_the_extractive_engine(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    fake_llm.reset(Script(mode="silent"))
    resilient = _resilient(fake_llm.base_url, make_engine)
    started = time.monotonic()
    name, deltas = await resilient.start(QUESTION, sources)
    assert time.monotonic() - started < 1.5
    assert name == "extractive-fallback"
    assert "".join(await _collect(deltas)).strip() == FALLBACK_TEXT
    assert resilient.breaker.state == "down"


async def test_after_a_failure_the_breaker_skips_the_llm_without_waiting(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    fake_llm.reset(Script(mode="silent"))
    resilient = _resilient(fake_llm.base_url, make_engine)
    await resilient.start(QUESTION, sources)
    started = time.monotonic()
    name, _ = await resilient.start(QUESTION, sources)
    assert time.monotonic() - started < 0.2
    assert name == "extractive-fallback"
    assert len(fake_llm.requests) == 1, "the open breaker still sent a request"


async def test_a_down_server_falls_back_fast_and_then_is_refused_at_once(
    closed_port_url: str, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    resilient = _resilient(closed_port_url, make_engine)
    for _ in range(2):
        started = time.monotonic()
        name, deltas = await resilient.start(QUESTION, sources)
        assert time.monotonic() - started < 0.2
        assert name == "extractive-fallback"
        assert await _collect(deltas)


async def test_the_breaker_recovers_after_the_cooldown_when_the_server_is_back(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    resilient = _resilient(fake_llm.base_url, make_engine, cooldown_s=0.3)
    fake_llm.go_down()
    assert (await resilient.start(QUESTION, sources))[0] == "extractive-fallback"
    fake_llm.come_back()
    assert (await resilient.start(QUESTION, sources))[0] == "extractive-fallback"
    assert fake_llm.requests == [], "the breaker let a request through during the cooldown"
    await asyncio.sleep(0.35)
    name, deltas = await resilient.start(QUESTION, sources)
    assert name == "openai"
    assert "".join(await _collect(deltas)) == "Fever is common [1]."
    assert resilient.breaker.state == "up"


async def test_half_open_lets_exactly_one_trial_request_through(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    resilient = _resilient(fake_llm.base_url, make_engine, cooldown_s=0.2)
    fake_llm.reset(Script(mode="error"))
    await resilient.start(QUESTION, sources)
    fake_llm.reset(Script(first_delay_s=0.2))
    await asyncio.sleep(0.25)
    names = sorted(
        name
        for name, _ in await asyncio.gather(*(resilient.start(QUESTION, sources) for _ in range(3)))
    )
    assert names == ["extractive-fallback", "extractive-fallback", "openai"]
    assert len(fake_llm.requests) == 1


async def test_a_cancelled_request_does_not_open_the_breaker(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    fake_llm.reset(Script(first_delay_s=0.3))
    resilient = _resilient(fake_llm.base_url, make_engine)
    starting = asyncio.create_task(resilient.start(QUESTION, sources))
    await asyncio.sleep(0.1)
    starting.cancel()  # the browser went away before the first token
    with pytest.raises(asyncio.CancelledError):
        await starting
    assert resilient.breaker.state == "unknown"
    assert (await resilient.start(QUESTION, sources))[0] == "openai"


async def test_a_break_after_the_first_token_surfaces_as_engine_failed(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    fake_llm.reset(Script(mode="die", die_after=2))
    name, deltas = await _resilient(fake_llm.base_url, make_engine).start(QUESTION, sources)
    assert name == "openai"
    with pytest.raises(EngineFailed):
        await _collect(deltas)


async def test_invalid_citations_from_the_llm_are_dropped_from_the_streamed_answer(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    tokens = [
        "Fever ",
        "lasts ",
        "days ",
        "[",
        "1",
        "]",
        " but ",
        "[",
        "9",
        "] ",
        "not ",
        "[1, ",
        "2].",
    ]
    fake_llm.reset(Script(tokens=tokens))
    citation_filter = CitationFilter(len(sources))
    shown = [
        text
        async for delta in make_engine(fake_llm.base_url).stream(QUESTION, sources)
        for text in citation_filter.feed(delta)
    ]
    answer = "".join(shown) + citation_filter.flush()
    assert answer == "Fever lasts days [1] but not [1][2]."
    assert valid_citations(answer, len(sources)) == [1, 2]


async def test_an_empty_llm_answer_falls_back_without_marking_the_server_down(
    fake_llm: FakeLLMServer, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    fake_llm.reset(Script(tokens=[]))
    resilient = _resilient(fake_llm.base_url, make_engine)
    name, deltas = await resilient.start(QUESTION, sources)
    assert name == "extractive-fallback"
    assert "".join(await _collect(deltas)).strip() == FALLBACK_TEXT
    assert resilient.breaker.state == "up"
