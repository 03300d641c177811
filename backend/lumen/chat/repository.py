"""Queries of the chat tables. Ownership is checked here, once: a conversation that is not the
caller's is indistinguishable from one that does not exist (404, no existence oracle)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.chat.models import Conversation, Message, TriageEvent
from lumen.db import utcnow
from lumen.problems import NotFound


class ChatRepository:
    """Typed queries over conversations and messages for one async session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def owned_conversation(self, owner_id: str, conversation_id: uuid.UUID) -> Conversation:
        """The conversation if ``owner_id`` owns it. Raises ``NotFound`` otherwise."""
        conversation = await self.session.get(Conversation, conversation_id)
        if conversation is None or conversation.owner_id != owner_id:
            raise NotFound(f"No conversation {conversation_id}.")
        return conversation

    async def conversations_of(
        self, owner_id: str, limit: int | None = 200
    ) -> Sequence[Conversation]:
        """The owner's conversations, most recently active first (``None``: all of them)."""
        result = await self.session.exec(
            select(Conversation)
            .where(Conversation.owner_id == owner_id)
            .order_by(col(Conversation.updated_at).desc())
            .limit(limit)
        )
        return result.all()

    async def messages_of(self, conversation_id: uuid.UUID) -> Sequence[Message]:
        """Messages of a conversation, oldest first."""
        result = await self.session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(col(Message.created_at), col(Message.role).desc())
        )
        return result.all()

    async def owned_message(
        self, owner_id: str, conversation_id: uuid.UUID, message_id: uuid.UUID
    ) -> Message:
        """A message of the owner's conversation. Raises ``NotFound`` otherwise."""
        await self.owned_conversation(owner_id, conversation_id)
        message = await self.session.get(Message, message_id)
        if message is None or message.conversation_id != conversation_id:
            raise NotFound(f"No message {message_id}.")
        return message

    async def touch(self, conversation: Conversation) -> None:
        """Mark the conversation as just active."""
        conversation.updated_at = utcnow()
        self.session.add(conversation)

    async def record_triage(self, conversation_id: uuid.UUID, category: str, detector: str) -> None:
        """Record an escalation without the message text."""
        self.session.add(
            TriageEvent(conversation_id=conversation_id, category=category, detector=detector)
        )
