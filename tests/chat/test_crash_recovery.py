"""A server killed mid-answer leaves a ``stopped`` answer holding what the patient was sent, and
a replica that starts never stops the answers another live replica is streaming.

The first test kills a real ``lumen serve`` (SQLite, the embedded default) with SIGKILL while it
streams an answer from the fake LLM server (the one fake: a 7B model cannot run here) and
restarts it on the same data folder. The others run two stream watches, as two replicas would,
on one real PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from httpx_sse import connect_sse
from sqlmodel import Session

from lumen.chat.models import Message
from lumen.chat.repository import ChatTexts, ChatWrites
from lumen.chat.streams import StreamWatch
from lumen.db import Database
from lumen.migrate import upgrade_to_head
from lumen.security.encryption import KeyRing, load_key_ring
from lumen.settings import Settings
from tests.accounts import PASSWORD, browser, register
from tests.chat.fake_llm import FakeLLMServer, Script
from tests.servers import ROOT, lumen_serve

QUESTION = "What are the side effects of Lipitor?"
# Slow tokens: the answer is still streaming after several heartbeats (2 s, the default).
SLOW = Script(tokens=[f"word{i} " for i in range(80)], delay_s=0.2)
READ_FOR_S = 5.0  # after the first token: two heartbeats and more


def _lumen(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LUMEN_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "lumen.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="module")
def labelled_data_dir(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """A data folder whose index holds the 5 SPL labels, loaded by ``lumen ingest``."""
    data_dir = tmp_path_factory.mktemp("crash") / "var"
    result = _lumen(data_dir, "ingest", "spl", str(shared_data / "drug_labels" / "spl"))
    assert result.returncode == 0, result.stderr
    return data_dir


@pytest.fixture
def llm() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    server.start()
    yield server
    server.close()


def test_an_answer_killed_mid_stream_is_stopped_with_what_was_sent_and_can_be_regenerated(
    labelled_data_dir: Path, llm: FakeLLMServer, tmp_path: Path
) -> None:
    env = {"LUMEN_LLM_BASE_URL": llm.base_url}
    llm.reset(SLOW)
    with lumen_serve(labelled_data_dir, env, log=tmp_path / "first.log") as (url, pid):
        patient = register(url)
        conversation = patient.client.post("/api/v1/conversations", json={}).json()["id"]
        received = ""
        message_id = None
        with connect_sse(
            patient.client,
            "POST",
            f"/api/v1/conversations/{conversation}/messages",
            json={"content": QUESTION},
        ) as source:
            first_token_at = None
            for sse in source.iter_sse():
                data = json.loads(sse.data)
                if sse.event == "meta":
                    message_id = data["message_id"]
                    assert data["engine"] != "extractive", "the answer must come from the LLM"
                elif sse.event == "token":
                    received += data["text"]
                    first_token_at = first_token_at or time.monotonic()
                    if time.monotonic() - first_token_at >= READ_FOR_S:
                        os.kill(pid, signal.SIGKILL)
                        break
                else:
                    pytest.fail(f"the answer ended ({sse.event}) before the kill")
        patient.client.close()
    assert message_id is not None and received

    llm.reset()  # a quick answer for the regeneration
    with lumen_serve(labelled_data_dir, env, log=tmp_path / "second.log") as (url, _pid):
        client = browser(url)  # sessions of the embedded default ended with the process
        signed_in = client.post(
            "/api/v1/auth/login", json={"email": patient.email, "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        messages = client.get(f"/api/v1/conversations/{conversation}").json()["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"], "no duplicated row"
        answer = messages[1]
        assert answer["id"] == message_id
        assert answer["status"] == "stopped"
        assert answer["content"], "the heartbeat kept the text sent before the kill"
        assert received.startswith(answer["content"]), "only text the patient was sent"

        response = client.post(
            f"/api/v1/conversations/{conversation}/messages/{message_id}/regenerate"
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "complete"
        messages = client.get(f"/api/v1/conversations/{conversation}").json()["messages"]
        assert [(m["role"], m["status"]) for m in messages] == [
            ("user", "complete"),
            ("assistant", "complete"),
        ]
        assert messages[1]["content"].startswith("Fever is common")
        client.close()

    verified = _lumen(labelled_data_dir, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "audit log intact" in verified.stderr


# --- replicas on one PostgreSQL -----------------------------------------------------------

HEARTBEAT_S = 0.2
ORPHANED_AFTER_S = 1.0


@pytest.fixture
async def replicas(postgres_url: str, tmp_path: Path) -> AsyncIterator[tuple[Database, ...]]:
    """Two processes' databases (engines) on one PostgreSQL database, migrated."""
    upgrade_to_head(postgres_url)
    settings = Settings(data_dir=tmp_path, database_url=postgres_url)
    dbs = (Database(settings), Database(settings))
    yield dbs
    for db in dbs:
        await db.dispose()


def _watch(db: Database, keys: KeyRing) -> StreamWatch:
    single_process = db.url.startswith("sqlite")
    return StreamWatch(db, keys, HEARTBEAT_S, ORPHANED_AFTER_S, single_process=single_process)


async def _streaming_row(db: Database, keys: KeyRing, message_id: uuid.UUID) -> None:
    """A conversation with a question and an empty ``streaming`` answer, as ``ask`` inserts it."""

    def add(session: Session) -> None:
        writes = ChatWrites(session, keys)
        conversation = writes.add_conversation("owner", None)
        writes.add_message(conversation.id, "user", "What is a fever?")
        writes.add_message(
            conversation.id, "assistant", "", status="streaming", message_id=message_id
        )

    await db.transaction(add)


async def _row(db: Database, message_id: uuid.UUID) -> Message:
    async with db.async_session() as session:
        message = await session.get(Message, message_id)
        assert message is not None
        return message


@pytest.mark.postgres
async def test_a_replica_that_starts_stops_only_answers_whose_heartbeat_has_gone_quiet(
    replicas: tuple[Database, Database], tmp_path: Path
) -> None:
    db_a, db_b = replicas
    keys = load_key_ring(Settings(data_dir=tmp_path))
    replica_a, replica_b = _watch(db_a, keys), _watch(db_b, keys)
    live = replica_a.track(uuid.uuid4())
    live.engine, live.sources = "extractive", [{"n": 1}, {"n": 2}]
    live.text = "Fever is [1] common"
    live.mark_sent()
    live.text += " and [2] not yet sent"
    await _streaming_row(db_a, keys, live.message_id)
    dead = uuid.uuid4()  # a replica killed mid-answer left this one
    await _streaming_row(db_a, keys, dead)

    assert await replica_a.beat() == 0, "no write for an answer younger than a heartbeat"

    async def replica_a_beating() -> None:  # its heartbeat alone: B's sweep is under test
        while True:
            await asyncio.sleep(HEARTBEAT_S / 2)
            await replica_a.beat()

    beating = asyncio.create_task(replica_a_beating())
    try:
        assert await replica_b.sweep(at_start=True) == 0, "both heartbeats are fresh"
        assert replica_b.shown_status(await _row(db_b, dead)) == "streaming"
        await asyncio.sleep(ORPHANED_AFTER_S + 3 * HEARTBEAT_S)
        # Replica B restarts: the dead replica's answer is an orphan, A's is alive.
        assert replica_b.shown_status(await _row(db_b, dead)) == "stopped"
        assert replica_b.shown_status(await _row(db_b, live.message_id)) == "streaming"
        assert await replica_b.sweep(at_start=True) == 1
    finally:
        beating.cancel()
    alive = await _row(db_b, live.message_id)
    assert alive.status == "streaming"
    assert ChatTexts(keys).text_of(alive) == "Fever is [1] common", "only what was sent"
    assert alive.citations == [1]
    assert (alive.engine, alive.sources) == ("extractive", [{"n": 1}, {"n": 2}]), "cited sources"
    assert (await _row(db_b, dead)).status == "stopped"


async def test_the_embedded_server_stops_every_streaming_answer_when_it_starts(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade_to_head(settings.sqlalchemy_url)
    db = Database(settings)
    watch = _watch(db, load_key_ring(settings))
    left = uuid.uuid4()
    await _streaming_row(db, load_key_ring(settings), left)
    assert watch.shown_status(await _row(db, left)) == "streaming", "its heartbeat is fresh"
    async with watch.watching():
        assert (await _row(db, left)).status == "stopped", "one process: nobody streams it"
    await db.dispose()
