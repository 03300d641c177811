"""The chat API with the OpenAI-compatible engine, against the local chat-completions server
that speaks the streaming protocol byte for byte (the one fake: a 7B LLM cannot run here)."""

from __future__ import annotations

import dataclasses
import json
import time

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
from tests.chat.sse_client import stream_answer
from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def llm_server() -> FakeLLMServer:
    server = FakeLLMServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def llm_app(small_runtime, llm_server: FakeLLMServer) -> LiveServer:  # type: ignore[no-untyped-def]
    """The real app whose chat answers through the LLM engine, the rest of the runtime shared."""
    engine = OpenAICompatEngine(
        base_url=llm_server.base_url,
        model="test",
        api_key="x",
        connect_timeout_s=1.0,
        first_token_timeout_s=1.0,
        max_tokens=64,
        temperature=0.0,
    )
    breaker = CircuitBreaker(cooldown_s=0.5)
    answers = Answers(
        db=small_runtime.db,
        keys=small_runtime.keys,
        retriever=small_runtime.retriever,
        triage=small_runtime.triage,
        engines=ResilientEngine(engine, ExtractiveEngine(small_runtime.embedder), breaker),
        retrieval_k=4,
        max_message_chars=4000,
        # Beside the session's live server on the same database: never sweep its answers.
        streams=StreamWatch(
            small_runtime.db,
            small_runtime.keys,
            heartbeat_s=2,
            orphaned_after_s=30,
            single_process=False,
        ),
    )
    chat = ChatService(
        db=small_runtime.db,
        keys=small_runtime.keys,
        answers=answers,
        rate_limit=RateLimit(MemoryStorage(), "chat", small_runtime.settings.chat_rate_limit),
        audit=small_runtime.audit,
    )
    runtime = dataclasses.replace(small_runtime, chat=chat, llm=engine, breaker=breaker)
    server = LiveServer(create_app(small_runtime.settings, runtime=runtime))
    yield server
    server.stop()


@pytest.fixture
def client(llm_app: LiveServer, llm_server: FakeLLMServer) -> httpx.Client:
    llm_server.reset()
    http = register(llm_app.url).client
    yield http
    http.close()


def _conversation(client: httpx.Client) -> str:
    return str(client.post("/api/v1/conversations", json={}).json()["id"])


def _assistant(client: httpx.Client, conversation: str) -> dict:  # type: ignore[type-arg]
    messages = client.get(f"/api/v1/conversations/{conversation}").json()["messages"]
    return next(m for m in messages if m["role"] == "assistant")


def test_llm_answer_streams_and_invalid_citations_are_dropped(
    client: httpx.Client, llm_server: FakeLLMServer
) -> None:
    llm_server.reset(Script(tokens=["Lipitor ", "lowers ", "LDL ", "[1]", " and ", "[9]", "."]))
    conversation = _conversation(client)
    answer = stream_answer(client, conversation, "What does Lipitor do?")
    assert answer.first("meta")["engine"] == "openai"
    assert answer.text == "Lipitor lowers LDL [1] and."
    assert answer.first("done")["citations"] == [1]
    prompt = llm_server.requests[0]["messages"][-1]["content"]
    assert "[1]" in prompt and "What does Lipitor do?" in prompt
    assert _assistant(client, conversation)["content"] == answer.text


def test_a_dead_llm_server_hands_the_answer_to_the_extractive_engine(
    client: httpx.Client, llm_server: FakeLLMServer
) -> None:
    llm_server.go_down()
    try:
        conversation = _conversation(client)
        answer = stream_answer(client, conversation, "What are the side effects of Viagra?")
        assert answer.first("meta")["engine"] == "extractive-fallback"
        assert answer.names[-1] == "done" and answer.first("done")["citations"]
        llm = client.get("/readyz").json()["llm"]
        assert llm["state"] == "down" and llm["breaker"]["state"] == "down"
    finally:
        llm_server.come_back()
    time.sleep(0.6)  # the breaker's cooldown


def test_an_llm_that_dies_mid_stream_ends_with_an_error_event_and_a_failed_message(
    client: httpx.Client, llm_server: FakeLLMServer
) -> None:
    llm_server.reset(Script(mode="die", die_after=2, delay_s=0.05))
    conversation = _conversation(client)
    answer = stream_answer(client, conversation, "How is Humira given?")
    assert answer.names[0] == "meta" and "token" in answer.names
    assert answer.names[-1] == "error" and "done" not in answer.names
    error = answer.first("error")
    assert error["status"] == 502 and error["title"]
    assert _assistant(client, conversation)["status"] == "failed"


def test_a_client_that_disconnects_stops_generation_and_nothing_is_stored_as_finished(
    client: httpx.Client, llm_server: FakeLLMServer
) -> None:
    llm_server.reset(Script(tokens=[f"word{i} " for i in range(200)], delay_s=0.05))
    conversation = _conversation(client)
    with connect_sse(
        client,
        "POST",
        f"/api/v1/conversations/{conversation}/messages",
        json={"content": "Tell me about atorvastatin"},
    ) as source:
        for sse in source.iter_sse():
            if sse.event == "token":
                json.loads(sse.data)
                break
    assert llm_server.client_gone.wait(5), "the LLM request is closed when the client leaves"
    deadline = time.monotonic() + 5
    while (message := _assistant(client, conversation))["status"] == "streaming":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert message["status"] == "stopped"
    assert message["content"].startswith("word0") and "word199" not in message["content"]

    llm_server.reset()
    regenerated = client.post(
        f"/api/v1/conversations/{conversation}/messages/{message['id']}/regenerate",
        headers={"Accept": "application/json"},
    )
    assert regenerated.status_code == 200
    assert regenerated.json()["status"] == "complete"
