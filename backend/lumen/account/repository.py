"""Queries of the account tables."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.account.models import ApiToken


class ApiTokenRepository:
    """Typed queries over API tokens."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_user(self, user_id: uuid.UUID) -> Sequence[ApiToken]:
        """The user's API tokens, newest first."""
        return (
            await self.session.exec(
                select(ApiToken)
                .where(ApiToken.user_id == user_id)
                .order_by(col(ApiToken.created_at).desc())
            )
        ).all()

    async def by_hash(self, token_hash: str) -> ApiToken | None:
        """The API token with this hash, whatever its state."""
        return (
            await self.session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash))
        ).first()
