"""The chat API end to end: real app, real index (SPL + MedQuAD slice), real uvicorn."""

from __future__ import annotations

import re
import sqlite3

import httpx
import pytest

from tests.accounts import register
from tests.chat.sse_client import new_conversation, stream_answer

CITATION = re.compile(r"\[(\d+)\]")


@pytest.fixture
def client(patient) -> httpx.Client:  # type: ignore[no-untyped-def]
    """A signed-in patient's client."""
    return patient.client


def test_streamed_answer_follows_the_sse_contract(client: httpx.Client) -> None:
    conversation = new_conversation(client)
    answer = stream_answer(client, conversation, "What are the contraindications of Lipitor?")

    assert answer.names[0] == "meta" and answer.names[-1] == "done"
    assert answer.names.count("token") >= 3, "the answer streams in pieces"
    meta, done = answer.first("meta"), answer.first("done")
    assert meta["kind"] == "answer" and meta["engine"] == "extractive"
    assert meta["conversation_id"] == conversation
    numbers = {source["n"] for source in meta["sources"]}
    assert {"document_id", "title", "url", "section", "snippet"} <= set(meta["sources"][0])
    cited = {int(n) for n in CITATION.findall(answer.text)}
    assert cited and cited <= numbers, "every [n] refers to a source in meta"
    assert set(done["citations"]) == cited
    assert "not medical advice" in done["disclaimer"].lower() or "clinician" in done["disclaimer"]
    assert set(done["timings_ms"]) == {"retrieval", "first_token", "total"}
    lipitor = [s for s in meta["sources"] if s["n"] in cited and "LIPITOR" in s["title"].upper()]
    assert lipitor, "the answer cites the Lipitor label"


def test_finished_answer_is_stored_and_listed(client: httpx.Client) -> None:
    conversation = new_conversation(client)
    answer = stream_answer(client, conversation, "What is Humira used for?")
    stored = client.get(f"/api/v1/conversations/{conversation}").json()
    user, assistant = stored["messages"]
    assert user["role"] == "user" and user["content"] == "What is Humira used for?"
    assert assistant["status"] == "complete" and assistant["content"] == answer.text
    assert assistant["citations"] == answer.first("done")["citations"]
    assert stored["title"] == "What is Humira used for?"
    listed = client.get("/api/v1/conversations").json()["items"]
    assert listed[0]["id"] == conversation


def test_without_event_stream_header_the_answer_is_json(client: httpx.Client) -> None:
    conversation = new_conversation(client)
    response = client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"content": "What are the side effects of Viagra?"},
    )
    assert response.status_code == 200
    message = response.json()
    assert message["role"] == "assistant" and message["status"] == "complete"
    assert message["citations"] and message["sources"]


@pytest.mark.parametrize(("content", "fragment"), [("   ", "empty"), ("x" * 4001, "limit is 4000")])
def test_empty_or_overlong_message_is_problem_json(
    client: httpx.Client, content: str, fragment: str
) -> None:
    conversation = new_conversation(client)
    response = client.post(
        f"/api/v1/conversations/{conversation}/messages",
        json={"content": content},
        headers={"Accept": "text/event-stream"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.json()["detail"]
    assert client.get(f"/api/v1/conversations/{conversation}").json()["messages"] == []


def test_unknown_or_foreign_conversation_is_404(live_server, client: httpx.Client) -> None:  # type: ignore[no-untyped-def]
    missing = client.get("/api/v1/conversations/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"

    conversation = new_conversation(client)
    stranger = register(live_server.url).client
    try:
        assert stranger.get(f"/api/v1/conversations/{conversation}").status_code == 404
        asked = stranger.post(
            f"/api/v1/conversations/{conversation}/messages", json={"content": "hello?"}
        )
        assert asked.status_code == 404
        assert stranger.delete(f"/api/v1/conversations/{conversation}").status_code == 404
    finally:
        stranger.close()
    assert client.get(f"/api/v1/conversations/{conversation}").status_code == 200


def test_crisis_message_is_escalated_before_retrieval(client: httpx.Client, small_runtime) -> None:  # type: ignore[no-untyped-def]
    conversation = new_conversation(client)
    text = "I want to end my life tonight, I have the pills ready"
    answer = stream_answer(client, conversation, text)
    meta = answer.first("meta")
    assert meta["kind"] == "escalation" and meta["engine"] == "triage" and meta["sources"] == []
    assert "988" in answer.text
    assert answer.names[-1] == "done"
    db_path = small_runtime.settings.data_dir / "lumen.db"
    with sqlite3.connect(db_path) as raw:
        events = raw.execute("SELECT * FROM triage_events").fetchall()
    assert events, "the escalation is recorded"
    assert all("pills" not in str(row) for row in events), "without the message text"


def test_a_weaker_signal_gets_a_cited_answer_with_the_support_note(  # type: ignore[no-untyped-def]
    client: httpx.Client, small_runtime
) -> None:
    conversation = new_conversation(client)
    answer = stream_answer(client, conversation, "Can you overdose on Lipitor?")

    meta = answer.first("meta")
    assert meta["kind"] == "answer" and meta["engine"] == "extractive"
    cited = {int(n) for n in CITATION.findall(answer.text)}
    assert cited and cited <= {source["n"] for source in meta["sources"]}
    support = meta["support"]
    assert support["category"] == "poisoning"
    assert "1-800-222-1222" in support["text"] and "911" in support["text"]
    assert "Lipitor" not in support["text"], "the note is fixed wording, no message text"

    stored = client.get(f"/api/v1/conversations/{conversation}").json()["messages"]
    assert stored[-1]["support"] == support, "a reloaded conversation shows the note"
    assert stored[0]["support"] is None
    with sqlite3.connect(small_runtime.settings.data_dir / "lumen.db") as raw:
        entries = raw.execute(
            "SELECT * FROM audit_entries WHERE action = 'conversation.support_note'"
            " AND object_id = ?",
            (conversation,),
        ).fetchall()
    assert len(entries) == 1, "the note is audited once, as its own action"
    assert all("Lipitor" not in str(row) and "poisoning" not in str(row) for row in entries)


def test_an_ordinary_question_gets_no_support_note(client: httpx.Client) -> None:
    conversation = new_conversation(client)
    answer = stream_answer(client, conversation, "What are the side effects of Humira?")
    assert answer.first("meta")["support"] is None
    stored = client.get(f"/api/v1/conversations/{conversation}").json()["messages"]
    assert stored[-1]["support"] is None


def test_message_text_is_encrypted_at_rest(client: httpx.Client, small_runtime) -> None:  # type: ignore[no-untyped-def]
    conversation = new_conversation(client)
    stream_answer(client, conversation, "How is gout diagnosed by a rheumatologist?")
    with sqlite3.connect(small_runtime.settings.data_dir / "lumen.db") as raw:
        rows = raw.execute("SELECT content_ciphertext FROM messages").fetchall()
        titles = raw.execute("SELECT title_ciphertext FROM conversations").fetchall()
    blob = b"".join(row[0] for row in rows) + b"".join(t[0] or b"" for t in titles)
    assert b"rheumatologist" not in blob and b"gout" not in blob


def test_deleting_a_conversation_removes_it(client: httpx.Client) -> None:
    conversation = new_conversation(client)
    assert client.delete(f"/api/v1/conversations/{conversation}").status_code == 204
    assert client.get(f"/api/v1/conversations/{conversation}").status_code == 404


def test_search_returns_ranked_hits_with_sources(pharma) -> None:  # type: ignore[no-untyped-def]
    client = pharma.client
    response = client.get("/api/v1/search", params={"q": "atorvastatin liver problems", "k": 5})
    items = response.json()["items"]
    assert 0 < len(items) <= 5
    assert items[0]["score"] >= items[-1]["score"]
    assert {"title", "section", "source", "url", "passage"} <= set(items[0])
    scoped = client.get(
        "/api/v1/search", params={"q": "atorvastatin", "collection": "consumer_health"}
    ).json()["items"]
    assert all(hit["collection"] == "consumer_health" for hit in scoped)


def test_a_cited_document_is_served_with_its_sections(
    client: httpx.Client,
    pharma,  # type: ignore[no-untyped-def]
) -> None:
    hit = pharma.client.get("/api/v1/search", params={"q": "Lipitor dosage", "k": 1}).json()
    hit = hit["items"][0]
    document = client.get(f"/api/v1/documents/{hit['document_id']}").json()
    assert document["text"][hit["start"] : hit["end"]] == hit["passage"]
    assert document["sections"] and document["licence"]


def test_readiness_reports_database_index_and_llm(client: httpx.Client) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["database"] == "up"
    assert body["index"]["points"] > 0
    assert body["sessions"] == {"store": "in-process", "state": "up"}
    assert body["llm"]["engine"] == "extractive"
