"""Conversation routes (DESIGN.md, HTTP API v1). Thin: parse, call the service, shape output.

Audit entries, the chat rate limit and answering are the service's; a route only says who is
calling (the signed-in user and the client's address).
"""

from __future__ import annotations

import json
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from functools import partial

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from fastapi import APIRouter, Request, Response, status
from sse_starlette import EventSourceResponse, ServerSentEvent

from lumen.chat.answers import AnswerEvents
from lumen.chat.deps import AnswerMetricsDep, ChatServiceDep
from lumen.chat.schemas import (
    EVENT_NAMES,
    ChatEvent,
    ConversationCreate,
    ConversationDetail,
    ConversationList,
    ConversationOut,
    ErrorEvent,
    MessageCreate,
    MessageOut,
)
from lumen.db import database_unavailable
from lumen.deps import ClientDep, CurrentUser
from lumen.problems import Problem, problem_responses

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

SSE_PING_S = 15  # keep proxies from closing a quiet stream
# Every route needs a signed-in user: 401 without a session, 403 while a 2FA step is pending.
SIGNED_IN = (401, 403)
ANSWER_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/event-stream": {}}, "model": MessageOut},
    **problem_responses(*SIGNED_IN, 404, 429, 502, 503),
}


@router.post("", status_code=status.HTTP_201_CREATED, responses=problem_responses(*SIGNED_IN, 503))
async def create_conversation(
    body: ConversationCreate, chat: ChatServiceDep, user: CurrentUser, client: ClientDep
) -> ConversationOut:
    """Create a conversation owned by the caller (audited)."""
    return await chat.create_conversation(user, client, body.title)


@router.get("", responses=problem_responses(*SIGNED_IN))
async def list_conversations(chat: ChatServiceDep, user: CurrentUser) -> ConversationList:
    """The caller's conversations, most recently active first."""
    return ConversationList(items=await chat.list_conversations(user.owner_id))


@router.get("/{conversation_id}", responses=problem_responses(*SIGNED_IN, 404, 503))
async def get_conversation(
    conversation_id: uuid.UUID, chat: ChatServiceDep, user: CurrentUser, client: ClientDep
) -> ConversationDetail:
    """A conversation with its messages (audited). 404 problem+json if it is not the
    caller's."""
    return await chat.read_conversation(user, client, conversation_id)


@router.delete(
    "/{conversation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(*SIGNED_IN, 404, 503),
)
async def delete_conversation(
    conversation_id: uuid.UUID, chat: ChatServiceDep, user: CurrentUser, client: ClientDep
) -> Response:
    """Delete a conversation and its messages (audited). 404 if it is not the caller's."""
    await chat.delete_conversation(user, client, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{conversation_id}/messages", response_model=None, responses=ANSWER_RESPONSES)
async def post_message(
    conversation_id: uuid.UUID,
    body: MessageCreate,
    request: Request,
    chat: ChatServiceDep,
    metrics: AnswerMetricsDep,
    user: CurrentUser,
    client: ClientDep,
) -> Response | MessageOut:
    """Ask a question. With ``Accept: text/event-stream``: SSE ``meta``, ``token``…, ``done``
    (or ``error``), per DESIGN.md's contract; otherwise the finished answer as JSON (502 when
    the engine failed mid-answer). Retrieval reads only the collections of the caller's role.

    Errors before the answer starts (422 empty or over 4,000 characters, 404 unknown
    conversation, 429 past the per-user rate) are problem+json in both modes.
    """
    started_s = time.perf_counter()
    events = await chat.ask(user, client, conversation_id, body.content, body.set_id)
    return await _respond(
        request, metrics.observe(events, started_s), chat, user.owner_id, conversation_id
    )


@router.post(
    "/{conversation_id}/messages/{message_id}/regenerate",
    response_model=None,
    responses=ANSWER_RESPONSES,
)
async def regenerate_message(
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    request: Request,
    chat: ChatServiceDep,
    metrics: AnswerMetricsDep,
    user: CurrentUser,
) -> Response | MessageOut:
    """Answer again a stopped or failed answer's question; same response modes as asking."""
    started_s = time.perf_counter()
    events = await chat.regenerate(user, conversation_id, message_id)
    return await _respond(
        request, metrics.observe(events, started_s), chat, user.owner_id, conversation_id
    )


async def _respond(
    request: Request,
    events: AnswerEvents,
    chat: ChatServiceDep,
    owner: str,
    conversation_id: uuid.UUID,
) -> Response | MessageOut:
    if "text/event-stream" in request.headers.get("accept", ""):
        sender, receiver = anyio.create_memory_object_stream[ChatEvent](math.inf)
        return EventSourceResponse(
            _batched(receiver),
            data_sender_callable=partial(_produce, events, sender),
            ping=SSE_PING_S,
        )
    return await chat.finished_answer(owner, conversation_id, events)


async def _produce(events: AnswerEvents, sender: MemoryObjectSendStream[ChatEvent]) -> None:
    """Queue the answer's events for ``_batched`` as they come. A problem once the stream has
    begun (the database or the audit log gone mid-answer) ends it with an ``error`` event
    carrying the problem's fields, as DESIGN.md's contract says, instead of a connection cut
    without a word. Run in the response's task group, so a client that leaves cancels it, and
    closing ``events`` stores the answer as stopped."""
    async with sender, aclosing(events):
        try:
            async for event in events:
                sender.send_nowait(event)
        except Exception as exc:
            problem = exc if isinstance(exc, Problem) else database_unavailable(exc)
            if problem is None:
                raise
            logger.warning("answer stream ended by %s: %s", type(exc).__name__, problem.title)
            sender.send_nowait(
                ErrorEvent(status=problem.status, title=problem.title, detail=problem.detail)
            )


async def _batched(receiver: MemoryObjectReceiveStream[ChatEvent]) -> AsyncIterator[bytes]:
    """The queued events as SSE: every event queued by the time the connection is free goes
    out in one write. The client still receives each event on its own (in the WHATWG HTML
    standard's event-stream format an event ends at a blank line, whatever the writes), but
    an answer whose text exists whole (the extractive engine's, an escalation's) costs one
    write for its meta and tokens instead of one per phrase: each write crosses every
    middleware's ``send`` and a socket ``send`` (issue 11's profile: a third of the server's
    CPU at 50 streams). LLM tokens are written as they come, since nothing else is queued
    when one arrives. Queued events are written in the event loop's next turn, so what a
    heartbeat stores as sent (``chat.streams``) can run ahead of the socket by that one
    turn's events, as it could by one event before."""
    async with receiver:
        async for event in receiver:
            frames = [_frame(event)]
            while True:
                try:
                    frames.append(_frame(receiver.receive_nowait()))
                except (anyio.WouldBlock, anyio.EndOfStream):
                    break
            yield b"".join(frames)


def _frame(event: ChatEvent) -> bytes:
    return ServerSentEvent(
        data=json.dumps(event.model_dump(mode="json"), ensure_ascii=False),
        event=EVENT_NAMES[type(event)],
    ).encode()
