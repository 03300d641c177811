"""Request/response shapes of the chat API and the events of one answer (DESIGN.md, SSE)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from lumen.knowledge.schemas import RetrievalHit


class ConversationCreate(BaseModel):
    """Body of ``POST /conversations``."""

    title: str | None = Field(default=None, max_length=200)


class ConversationOut(BaseModel):
    """A conversation without its messages."""

    id: uuid.UUID
    title: str | None
    created_at: datetime
    updated_at: datetime


class ConversationList(BaseModel):
    """``GET /conversations``: newest first."""

    items: list[ConversationOut]


class SourceOut(BaseModel):
    """A numbered source of an answer; ``snippet`` is the exact cited passage."""

    n: int
    document_id: str
    title: str
    url: str | None
    section: str
    snippet: str
    source_name: str
    start: int
    end: int
    page: int | None = None  # the page of an uploaded PDF the passage is on, from 1
    licence: str | None = None
    attribution: str | None = None

    @classmethod
    def from_hit(cls, n: int, hit: RetrievalHit) -> SourceOut:
        """Source ``n`` of an answer: the retrieval hit it cites as ``[n]``."""
        return cls(
            n=n,
            document_id=hit.document_id,
            title=hit.title,
            url=hit.url,
            section=hit.section,
            snippet=hit.passage,
            source_name=hit.source_name,
            start=hit.start,
            end=hit.end,
            page=hit.page,
            licence=hit.licence,
            attribution=hit.attribution,
        )


class SupportNote(BaseModel):
    """The calm note triage puts beside a normal answer on a weaker safety signal.

    ``text`` is fixed wording for the category (``chat/triage/escalation.support_note``): where
    to get help (988, Poison Control 1-800-222-1222) and to call 911 if it is happening now. It
    never quotes the message.
    """

    category: Literal["self_harm", "poisoning", "emergency"]
    text: str


class MessageOut(BaseModel):
    """A message as stored; ``status`` is complete | streaming | stopped | failed."""

    id: uuid.UUID
    role: Literal["user", "assistant"]
    kind: Literal["answer", "escalation"]
    status: Literal["complete", "streaming", "stopped", "failed"]
    content: str
    engine: str | None
    sources: list[SourceOut]
    citations: list[int]
    disclaimer: str | None
    support: SupportNote | None = None
    created_at: datetime


class ConversationDetail(ConversationOut):
    """``GET /conversations/{id}``: the conversation with its messages, oldest first."""

    messages: list[MessageOut]


class MessageCreate(BaseModel):
    """Body of ``POST /conversations/{id}/messages``.

    Length is checked by the service (empty after trimming, or over ``max_message_chars``,
    answers 422 problem+json) so the limit lives in settings.
    """

    content: str
    set_id: str | None = Field(default=None, max_length=64, description="Scope to one label")


class MetaEvent(BaseModel):
    """SSE ``meta``: sent once, before the first token."""

    conversation_id: uuid.UUID
    message_id: uuid.UUID
    kind: Literal["answer", "escalation"]
    engine: str
    sources: list[SourceOut]
    support: SupportNote | None = Field(
        default=None, description="With kind answer: the support note to show beside it"
    )


class TokenEvent(BaseModel):
    """SSE ``token``: text to append."""

    text: str


class Timings(BaseModel):
    """Milliseconds from the request's arrival."""

    retrieval: float
    first_token: float
    total: float


class DoneEvent(BaseModel):
    """SSE ``done``: the valid citations of the finished answer."""

    message_id: uuid.UUID
    citations: list[int]
    disclaimer: str
    timings_ms: Timings


class ErrorEvent(BaseModel):
    """SSE ``error``: problem+json fields; the stream ends after it."""

    status: int
    title: str
    detail: str


ChatEvent = MetaEvent | TokenEvent | DoneEvent | ErrorEvent
EVENT_NAMES: dict[type[BaseModel], str] = {
    MetaEvent: "meta",
    TokenEvent: "token",
    DoneEvent: "done",
    ErrorEvent: "error",
}
