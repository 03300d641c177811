"""``/metrics`` of the app answering through the OpenAI-compatible engine behind its circuit
breaker: answers counted under ``llm``, the fallback's under ``extractive``, ``failed`` and
``stopped`` outcomes, and ``lumen_llm_breaker_open``. The fake LLM server is the one fake (a 7B
model cannot run here)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import httpx
import pytest
from httpx_sse import connect_sse
from limits.aio.storage import MemoryStorage

from lumen.app import create_app
from lumen.auth.throttle import RateLimit
from lumen.chat.answers import Answers
from lumen.chat.engines.breaker import CircuitBreaker
from lumen.chat.engines.extractive import ExtractiveEngine
from lumen.chat.engines.openai_compat import OpenAICompatEngine
from lumen.chat.engines.selector import ResilientEngine
from lumen.chat.service import ChatService
from lumen.chat.streams import StreamWatch
from tests.accounts import register
from tests.chat.fake_llm import FakeLLMServer, Script
from tests.chat.sse_client import new_conversation, stream_answer
from tests.conftest import LiveServer
from tests.observability.scrapes import Families, scrape, value, wait_for


@pytest.fixture(scope="module")
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def llm_app(small_runtime, llm_server: FakeLLMServer) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The real app answering through the OpenAI-compatible engine behind a real breaker (the
    fake LLM server is the one fake: a 7B model cannot run here)."""
    engine = OpenAICompatEngine(
        base_url=llm_server.base_url, model="test", api_key="x", connect_timeout_s=1.0,
        first_token_timeout_s=1.0, max_tokens=64, temperature=0.0,
    )  # fmt: skip
    breaker = CircuitBreaker(cooldown_s=0.5)
    answers = Answers(
        db=small_runtime.db, keys=small_runtime.keys, retriever=small_runtime.retriever,
        triage=small_runtime.triage,
        engines=ResilientEngine(engine, ExtractiveEngine(small_runtime.embedder), breaker),
        retrieval_k=4, max_message_chars=4000,
        # Beside the session's live server on the same database: never sweep its answers.
        streams=StreamWatch(
            small_runtime.db, small_runtime.keys, heartbeat_s=2, orphaned_after_s=30,
            single_process=False,
        ),
    )  # fmt: skip
    chat = ChatService(
        db=small_runtime.db, keys=small_runtime.keys, answers=answers,
        rate_limit=RateLimit(MemoryStorage(), "chat", small_runtime.settings.chat_rate_limit),
        audit=small_runtime.audit,
    )  # fmt: skip
    runtime = dataclasses.replace(small_runtime, chat=chat, llm=engine, breaker=breaker)
    server = LiveServer(create_app(small_runtime.settings, runtime=runtime))
    yield server
    server.stop()


@pytest.fixture
def llm_client(llm_app: LiveServer, llm_server: FakeLLMServer) -> Iterator[httpx.Client]:
    llm_server.reset()
    client = register(llm_app.url).client
    yield client
    client.close()


def test_the_breaker_gauge_is_1_while_the_llm_is_down_and_answers_count_by_engine(
    llm_app: LiveServer, llm_client: httpx.Client, llm_server: FakeLLMServer
) -> None:
    question = "What are the side effects of Viagra?"
    before = scrape(llm_app.url)
    assert value(before, "lumen_llm_breaker_open") == 0
    llm_server.go_down()
    try:
        fallback = stream_answer(llm_client, new_conversation(llm_client), question)
        down = scrape(llm_app.url)
    finally:
        llm_server.come_back()
    time.sleep(0.6)  # the breaker's cooldown
    llm_server.reset(Script(tokens=["Viagra ", "can ", "cause ", "headache ", "[1]", "."]))
    answered = stream_answer(llm_client, new_conversation(llm_client), question)
    up = scrape(llm_app.url)

    assert fallback.first("meta")["engine"] == "extractive-fallback"
    assert answered.first("meta")["engine"] == "openai"
    assert value(down, "lumen_llm_breaker_open") == 1
    assert value(up, "lumen_llm_breaker_open") == 0, "the trial answer closed the breaker"

    def grew(after: Families, sample: str, **labels: str) -> float:
        return value(after, sample, **labels) - value(before, sample, **labels)

    assert grew(down, "lumen_answers_total", engine="extractive", status="complete") == 1
    assert grew(up, "lumen_answers_total", engine="llm", status="complete") == 1
    assert grew(up, "lumen_answer_first_token_seconds_count", engine="llm") == 1


def test_an_llm_that_dies_midway_counts_failed_and_a_client_that_leaves_counts_stopped(
    llm_app: LiveServer, llm_client: httpx.Client, llm_server: FakeLLMServer
) -> None:
    before = scrape(llm_app.url)
    llm_server.reset(Script(mode="die", die_after=2, delay_s=0.05))
    died = stream_answer(llm_client, new_conversation(llm_client), "How is Humira given?")
    assert died.names[-1] == "error"
    llm_server.reset(Script(tokens=[f"word{i} " for i in range(200)], delay_s=0.05))
    with connect_sse(
        llm_client,
        "POST",
        f"/api/v1/conversations/{new_conversation(llm_client)}/messages",
        json={"content": "Tell me about atorvastatin"},
    ) as source:
        next(sse for sse in source.iter_sse() if sse.event == "token")

    def grew(status: str) -> float:
        after = scrape(llm_app.url)
        labels = {"engine": "llm", "status": status}
        return value(after, "lumen_answers_total", **labels) - value(
            before, "lumen_answers_total", **labels
        )

    assert grew("failed") == 1
    wait_for(lambda: grew("stopped") == 1)
    assert grew("complete") == 0
