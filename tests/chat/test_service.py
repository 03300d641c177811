"""The chat service's audit rule: an entry is written in the transaction of the change it
records, so a change whose entry cannot be written is not made (a database of its own, whose
audit chain head is gone)."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from limits.aio.storage import MemoryStorage

from lumen.audit.service import AuditUnavailable, open_audit_log
from lumen.auth.principal import ClientInfo, Principal
from lumen.auth.roles import Role
from lumen.auth.throttle import RateLimit
from lumen.chat.answers import Answers
from lumen.chat.engines.base import DirectEngine
from lumen.chat.engines.extractive import ExtractiveEngine
from lumen.chat.service import ChatService
from lumen.chat.streams import StreamWatch
from lumen.db import Database
from lumen.migrate import upgrade_to_head
from lumen.problems import NotFound
from lumen.security.encryption import load_key_ring
from lumen.settings import Settings

CLIENT = ClientInfo(ip="127.0.0.1", user_agent="pytest")


@dataclass
class Chat:
    service: ChatService
    caller: Principal
    db_path: Path

    def break_the_audit_log(self) -> None:
        with sqlite3.connect(self.db_path) as raw:
            raw.execute(
                "CREATE TRIGGER audit_down BEFORE INSERT ON audit_entries "
                "BEGIN SELECT RAISE(ABORT, 'audit store down'); END"
            )


@pytest.fixture
async def chat(small_runtime, tmp_path: Path) -> AsyncIterator[Chat]:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path)
    upgrade_to_head(settings.sqlalchemy_url)
    db = Database(settings)
    keys = load_key_ring(settings)
    audit = open_audit_log(settings, db)
    answers = Answers(
        db=db,
        keys=keys,
        retriever=small_runtime.retriever,
        triage=small_runtime.triage,
        engines=DirectEngine(ExtractiveEngine(small_runtime.embedder)),
        retrieval_k=4,
        max_message_chars=4000,
        streams=StreamWatch(db, keys, heartbeat_s=2, orphaned_after_s=30, single_process=True),
    )
    service = ChatService(
        db=db,
        keys=keys,
        answers=answers,
        rate_limit=RateLimit(MemoryStorage(), "chat", "100/minute"),
        audit=audit,
    )
    yield Chat(service, Principal(user_id=uuid.uuid4(), role=Role.PATIENT), tmp_path / "lumen.db")
    await db.dispose()


async def test_a_conversation_whose_audit_entry_cannot_be_written_is_not_created(
    chat: Chat,
) -> None:
    chat.break_the_audit_log()
    with pytest.raises(AuditUnavailable):
        await chat.service.create_conversation(chat.caller, CLIENT, "Statins")
    assert await chat.service.list_conversations(chat.caller.owner_id) == []


async def test_a_question_whose_audit_entry_cannot_be_written_is_not_stored(chat: Chat) -> None:
    created = await chat.service.create_conversation(chat.caller, CLIENT, None)
    chat.break_the_audit_log()
    with pytest.raises(AuditUnavailable):
        await chat.service.ask(chat.caller, CLIENT, created.id, "What is Lipitor used for?")
    stored = await chat.service.get_conversation(chat.caller.owner_id, created.id)
    assert stored.messages == [] and stored.title is None


async def test_a_question_titles_an_untitled_conversation_once_and_moves_it_first(
    chat: Chat,
) -> None:
    first = await chat.service.create_conversation(chat.caller, CLIENT, None)
    second = await chat.service.create_conversation(chat.caller, CLIENT, "Statins")
    await _answered(chat, chat.caller, first.id, "What  is\nLipitor used for?")
    await _answered(chat, chat.caller, second.id, "Can statins hurt my muscles?")
    await _answered(chat, chat.caller, first.id, "And what about grapefruit?")

    listed = await chat.service.list_conversations(chat.caller.owner_id)
    assert [(c.id, c.title) for c in listed] == [
        (first.id, "What is Lipitor used for?"),  # its first question, in one line
        (second.id, "Statins"),  # a title given at creation is kept
    ]


async def test_asking_in_someone_elses_conversation_changes_nothing_of_it(chat: Chat) -> None:
    mine = await chat.service.create_conversation(chat.caller, CLIENT, None)
    other = Principal(user_id=uuid.uuid4(), role=Role.PATIENT)
    with pytest.raises(NotFound):
        await chat.service.ask(other, CLIENT, mine.id, "What is Lipitor used for?")
    stored = await chat.service.get_conversation(chat.caller.owner_id, mine.id)
    assert stored.title is None and stored.messages == []
    assert stored.updated_at == mine.updated_at


async def _answered(
    chat: Chat, caller: Principal, conversation_id: uuid.UUID, question: str
) -> None:
    async for _event in await chat.service.ask(caller, CLIENT, conversation_id, question):
        pass
