"""Queries of the auth tables: accounts and their recovery codes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.auth.models import RecoveryCode, User
from lumen.problems import Conflict


class UserRepository:
    """Typed queries over users and their recovery codes."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_email(self, email: str) -> User | None:
        """The user with this (normalised) e-mail address."""
        return (await self.session.exec(select(User).where(User.email == email))).first()

    async def add_new(self, user: User) -> None:
        """Add a user whose e-mail address has no account yet; ``Conflict`` (field
        ``email``) otherwise, also when a concurrent request took the address first (the
        unique index). The caller commits."""
        if await self.by_email(user.email) is None:
            self.session.add(user)
            try:
                await self.session.flush()
                return
            except IntegrityError:
                await self.session.rollback()
        raise Conflict("An account with this e-mail address exists.", field="email")

    async def by_id(self, user_id: uuid.UUID) -> User | None:
        """The user with this id."""
        return await self.session.get(User, user_id)

    async def by_oidc(self, issuer: str, subject: str) -> User | None:
        """The user an OIDC issuer knows by ``subject``."""
        return (
            await self.session.exec(
                select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject)
            )
        ).first()

    async def by_invitation(self, token_hash: str) -> User | None:
        """The invited user holding this invitation token hash."""
        return (
            await self.session.exec(select(User).where(User.invitation_token_hash == token_hash))
        ).first()

    async def search(
        self, q: str, role: str | None, limit: int, offset: int
    ) -> tuple[Sequence[User], int]:
        """Users whose e-mail contains ``q``, optionally of one role, oldest first; and the
        total count."""
        query = select(User)
        if q:
            query = query.where(col(User.email).contains(q.lower()))
        if role:
            query = query.where(User.role == role)
        total = (await self.session.exec(select(func.count()).select_from(query.subquery()))).one()
        rows = (
            await self.session.exec(
                query.order_by(col(User.created_at)).limit(limit).offset(offset)
            )
        ).all()
        return rows, int(total)

    async def emails_of(self, user_ids: set[str]) -> dict[str, str]:
        """E-mail addresses by user id (string form), for the admin audit view."""
        ids = [uuid.UUID(u) for u in user_ids if _is_uuid(u)]
        if not ids:
            return {}
        rows = (await self.session.exec(select(User).where(col(User.id).in_(ids)))).all()
        return {str(row.id): row.email for row in rows}

    async def unused_recovery_codes(self, user_id: uuid.UUID) -> Sequence[RecoveryCode]:
        """The user's recovery codes not used yet."""
        return (
            await self.session.exec(
                select(RecoveryCode).where(
                    RecoveryCode.user_id == user_id, col(RecoveryCode.used_at).is_(None)
                )
            )
        ).all()

    async def recovery_codes(self, user_id: uuid.UUID) -> Sequence[RecoveryCode]:
        """All of the user's recovery codes."""
        return (
            await self.session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user_id))
        ).all()


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
