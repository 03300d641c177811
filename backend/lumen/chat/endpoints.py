"""Conversation routes (DESIGN.md, HTTP API v1). Thin: parse, call the service, shape output."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response, status
from sse_starlette import EventSourceResponse, ServerSentEvent

from lumen.chat.schemas import (
    EVENT_NAMES,
    ChatEvent,
    ConversationCreate,
    ConversationDetail,
    ConversationList,
    ConversationOut,
    DoneEvent,
    ErrorEvent,
    MessageCreate,
    MessageOut,
    MetaEvent,
)
from lumen.deps import ChatDep, CurrentOwner
from lumen.problems import Problem

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

SSE_PING_S = 15  # keep proxies from closing a quiet stream


class AnswerFailed(Problem):
    """The answer engine failed (JSON mode; SSE mode sends an ``error`` event instead)."""

    status = 502
    title = "Answer interrupted"


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_conversation(
    body: ConversationCreate, chat: ChatDep, owner: CurrentOwner
) -> ConversationOut:
    """Create a conversation owned by the caller."""
    return await chat.create_conversation(owner, body.title)


@router.get("")
async def list_conversations(chat: ChatDep, owner: CurrentOwner) -> ConversationList:
    """The caller's conversations, most recently active first."""
    return ConversationList(items=await chat.list_conversations(owner))


@router.get("/{conversation_id}")
async def get_conversation(
    conversation_id: uuid.UUID, chat: ChatDep, owner: CurrentOwner
) -> ConversationDetail:
    """A conversation with its messages. 404 problem+json if it is not the caller's."""
    return await chat.get_conversation(owner, conversation_id)


@router.delete("/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(
    conversation_id: uuid.UUID, chat: ChatDep, owner: CurrentOwner
) -> Response:
    """Delete a conversation and its messages. 404 if it is not the caller's."""
    await chat.delete_conversation(owner, conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{conversation_id}/messages",
    response_model=None,
    responses={200: {"content": {"text/event-stream": {}}, "model": MessageOut}},
)
async def post_message(
    conversation_id: uuid.UUID,
    body: MessageCreate,
    request: Request,
    chat: ChatDep,
    owner: CurrentOwner,
) -> Response | MessageOut:
    """Ask a question. With ``Accept: text/event-stream``: SSE ``meta``, ``token``…, ``done``
    (or ``error``), per DESIGN.md's contract; otherwise the finished answer as JSON.

    Errors before the answer starts (422 empty or over 4,000 characters, 404 unknown
    conversation) are problem+json in both modes.
    """
    events = await chat.ask(owner, conversation_id, body.content, body.set_id)
    return await _respond(request, events, chat, owner, conversation_id)


@router.post(
    "/{conversation_id}/messages/{message_id}/regenerate",
    response_model=None,
    responses={200: {"content": {"text/event-stream": {}}, "model": MessageOut}},
)
async def regenerate_message(
    conversation_id: uuid.UUID,
    message_id: uuid.UUID,
    request: Request,
    chat: ChatDep,
    owner: CurrentOwner,
) -> Response | MessageOut:
    """Answer again a stopped or failed answer's question; same response modes as asking."""
    events = await chat.regenerate(owner, conversation_id, message_id)
    return await _respond(request, events, chat, owner, conversation_id)


async def _respond(
    request: Request,
    events: AsyncIterator[ChatEvent],
    chat: ChatDep,
    owner: str,
    conversation_id: uuid.UUID,
) -> Response | MessageOut:
    if "text/event-stream" in request.headers.get("accept", ""):
        return EventSourceResponse(_sse(events), ping=SSE_PING_S)
    message_id: uuid.UUID | None = None
    async for event in events:
        if isinstance(event, MetaEvent):
            message_id = event.message_id
        elif isinstance(event, ErrorEvent):
            raise AnswerFailed(event.detail)
        elif isinstance(event, DoneEvent):
            message_id = event.message_id
    detail = await chat.get_conversation(owner, conversation_id)
    return next(m for m in detail.messages if m.id == message_id)


async def _sse(events: AsyncIterator[ChatEvent]) -> AsyncIterator[ServerSentEvent]:
    async for event in events:
        yield ServerSentEvent(
            data=json.dumps(event.model_dump(mode="json"), ensure_ascii=False),
            event=EVENT_NAMES[type(event)],
        )
