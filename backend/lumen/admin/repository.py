"""Queries of the admin tables (user queries are auth's ``UserRepository``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.admin.models import BreakGlassGrant


class BreakGlassRepository:
    """Typed queries over break-glass grants."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_owner(self, owner_id: str) -> Sequence[BreakGlassGrant]:
        """Every grant on the owner's conversations, newest first."""
        return (
            await self.session.exec(
                select(BreakGlassGrant)
                .where(BreakGlassGrant.owner_id == owner_id)
                .order_by(col(BreakGlassGrant.created_at).desc())
            )
        ).all()
