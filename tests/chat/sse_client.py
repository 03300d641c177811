"""A test client's reading of an SSE answer stream, with httpx-sse (a maintained parser)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import connect_sse


@dataclass
class StreamedAnswer:
    """The events of one streamed answer, in order."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def first(self, name: str) -> dict[str, Any]:
        return next(data for event, data in self.events if event == name)

    @property
    def text(self) -> str:
        return "".join(data["text"] for event, data in self.events if event == "token")


def stream_answer(
    client: httpx.Client, conversation_id: str, content: str, **body: Any
) -> StreamedAnswer:
    """POST a question with ``Accept: text/event-stream`` and collect every event."""
    answer = StreamedAnswer()
    with connect_sse(
        client,
        "POST",
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"content": content, **body},
    ) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        for sse in source.iter_sse():
            answer.events.append((sse.event, json.loads(sse.data)))
    return answer


def new_conversation(client: httpx.Client) -> str:
    """Create an empty conversation; its id."""
    response = client.post("/api/v1/conversations", json={})
    assert response.status_code == 201
    return str(response.json()["id"])
