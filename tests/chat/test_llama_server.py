"""The OpenAI-compatible engine against a real server: llama.cpp running SmolLM2-135M.

Asserts protocol facts (deltas stream in, the answer completes), not medical ones: a 135M
model is far too small to answer well. First-token latency is printed (run with ``-s``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from lumen.chat.engines.base import AnswerEngine
from lumen.chat.engines.breaker import CircuitBreaker
from lumen.chat.engines.openai_compat import OpenAICompatEngine
from lumen.chat.engines.selector import ResilientEngine
from lumen.knowledge.schemas import RetrievalHit

pytestmark = pytest.mark.llm

EngineFactory = Callable[..., OpenAICompatEngine]  # the make_engine fixture
QUESTION = "How long does fever from the flu last?"


def _real_engine(make_engine: EngineFactory, base_url: str) -> OpenAICompatEngine:
    # Generous first-token timeout: two shared CPU cores, and the prompt must be evaluated first.
    return make_engine(base_url, model="smollm2", first_token_timeout_s=30.0, max_tokens=24)


async def test_the_real_server_streams_an_answer_in_several_deltas(
    llama_server: str, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    engine = _real_engine(make_engine, llama_server)
    started = time.monotonic()
    first_token_s: float | None = None
    deltas: list[str] = []
    async for delta in engine.stream(QUESTION, sources):
        if first_token_s is None:
            first_token_s = time.monotonic() - started
        deltas.append(delta)
    total_s = time.monotonic() - started
    print(f"\nllama.cpp SmolLM2-135M: first token {first_token_s:.3f} s, total {total_s:.3f} s")
    assert len(deltas) >= 3
    assert "".join(deltas).strip()


async def test_the_resilient_engine_uses_the_real_server_and_reports_it_up(
    llama_server: str, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    engine = _real_engine(make_engine, llama_server)
    assert await engine.probe() == "up"

    class Unused:
        name = "extractive"

        def stream(self, question: str, sources: object) -> object:
            raise AssertionError("fell back although the LLM server is up")

    fallback: AnswerEngine = Unused()  # type: ignore[assignment]
    resilient = ResilientEngine(engine, fallback, CircuitBreaker(cooldown_s=30))
    name, deltas = await resilient.start(QUESTION, sources)
    assert name == "openai"
    assert [delta async for delta in deltas]
    assert resilient.breaker.state == "up"


async def test_closing_an_answer_early_leaves_the_real_server_ready_for_the_next(
    llama_server: str, make_engine: EngineFactory, sources: list[RetrievalHit]
) -> None:
    engine = _real_engine(make_engine, llama_server)
    deltas = engine.stream(QUESTION, sources)
    assert await anext(deltas)
    await deltas.aclose()
    assert [delta async for delta in engine.stream(QUESTION, sources)]
