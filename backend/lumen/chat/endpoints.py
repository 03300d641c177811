"""Conversation routes (DESIGN.md, HTTP API v1). Thin: parse, call the service, shape output."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

from fastapi import APIRouter, Request, Response, status
from sse_starlette import EventSourceResponse, ServerSentEvent

from lumen.audit.actions import AuditAction
from lumen.auth.principal import Principal
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
from lumen.deps import AccessDep, AuditDep, ChatDep, ClientDep, CurrentUser
from lumen.problems import Problem

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])

SSE_PING_S = 15  # keep proxies from closing a quiet stream


class AnswerFailed(Problem):
    """The answer engine failed (JSON mode; SSE mode sends an ``error`` event instead)."""

    status = 502
    title = "Answer interrupted"


class _Audited:
    """Records one access to a conversation: success, or failure with the problem's status
    (a 404 on another user's id is an IDOR attempt worth seeing in the log)."""

    def __init__(
        self, log: AuditDep, user: Principal, client: ClientDep, action: AuditAction, object_id: str
    ) -> None:
        self._event = user.audit_event(action, client, "conversation", object_id)
        self._log = log

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, _tb: object
    ) -> None:
        if exc is None:
            await self._log.record(self._event)
        elif isinstance(exc, Problem):
            await self._log.record(
                replace(self._event, outcome="failure", reason=f"http_{exc.status}")
            )


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_conversation(
    body: ConversationCreate, chat: ChatDep, user: CurrentUser, log: AuditDep, client: ClientDep
) -> ConversationOut:
    """Create a conversation owned by the caller (audited)."""
    created = await chat.create_conversation(user.owner_id, body.title)
    await log.record(
        user.audit_event(AuditAction.CONVERSATION_CREATE, client, "conversation", str(created.id))
    )
    return created


@router.get("")
async def list_conversations(chat: ChatDep, user: CurrentUser) -> ConversationList:
    """The caller's conversations, most recently active first."""
    return ConversationList(items=await chat.list_conversations(user.owner_id))


@router.get("/{conversation_id}")
async def get_conversation(
    conversation_id: uuid.UUID, chat: ChatDep, user: CurrentUser, log: AuditDep, client: ClientDep
) -> ConversationDetail:
    """A conversation with its messages (audited). 404 problem+json if it is not the
    caller's."""
    async with _Audited(log, user, client, AuditAction.CONVERSATION_READ, str(conversation_id)):
        return await chat.get_conversation(user.owner_id, conversation_id)


@router.delete("/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_conversation(
    conversation_id: uuid.UUID, chat: ChatDep, user: CurrentUser, log: AuditDep, client: ClientDep
) -> Response:
    """Delete a conversation and its messages (audited). 404 if it is not the caller's."""
    async with _Audited(log, user, client, AuditAction.CONVERSATION_DELETE, str(conversation_id)):
        await chat.delete_conversation(user.owner_id, conversation_id)
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
    user: CurrentUser,
    access: AccessDep,
    log: AuditDep,
    client: ClientDep,
) -> Response | MessageOut:
    """Ask a question. With ``Accept: text/event-stream``: SSE ``meta``, ``token``…, ``done``
    (or ``error``), per DESIGN.md's contract; otherwise the finished answer as JSON.
    Retrieval reads only the collections of the caller's role.

    Errors before the answer starts (422 empty or over 4,000 characters, 404 unknown
    conversation, 429 past the per-user rate) are problem+json in both modes.
    """
    await access.chat_limit.hit(user.actor_id)
    async with _Audited(log, user, client, AuditAction.MESSAGE_CREATE, str(conversation_id)):
        events = await chat.ask(
            user.owner_id, conversation_id, body.content, user.collections, body.set_id
        )
    return await _respond(request, events, chat, user.owner_id, conversation_id)


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
    user: CurrentUser,
    access: AccessDep,
) -> Response | MessageOut:
    """Answer again a stopped or failed answer's question; same response modes as asking."""
    await access.chat_limit.hit(user.actor_id)
    events = await chat.regenerate(user.owner_id, conversation_id, message_id, user.collections)
    return await _respond(request, events, chat, user.owner_id, conversation_id)


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
