"""Request and response shapes of the account routes: API tokens, deletion, access events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from lumen.account.models import ApiToken
from lumen.admin.service import GrantView


class TokenCreate(BaseModel):
    """A new API token's name, scopes and lifetime."""

    name: str = Field(min_length=1, max_length=80)
    scopes: list[Literal["search", "drugs"]] = Field(min_length=1)
    expires_in_days: int = Field(default=90, ge=1, le=365)


class TokenOut(BaseModel):
    """An API token without its secret."""

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> TokenOut:
        """From the table row."""
        return cls.model_validate(row, from_attributes=True)


class TokenList(BaseModel):
    """The user's tokens, newest first."""

    items: list[TokenOut]


class TokenCreated(BaseModel):
    """The new token (shown once) and its record."""

    token: str
    item: TokenOut


class AccountDeleteIn(BaseModel):
    """Re-authentication for deletion: the password, or ``DELETE`` for SSO accounts."""

    password: str | None = Field(default=None, max_length=1024)
    confirm: str | None = Field(default=None, max_length=16)


class AccessEventOut(BaseModel):
    """A break-glass access by an administrator to one of the user's conversations."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    reason: str
    created_at: datetime
    expires_at: datetime


class AccessEventList(BaseModel):
    """Break-glass accesses, newest first."""

    items: list[AccessEventOut]

    @classmethod
    def of(cls, views: list[GrantView]) -> AccessEventList:
        """From the break-glass service's views of the grants."""
        return cls(
            items=[
                AccessEventOut(
                    id=v.id,
                    conversation_id=v.conversation_id,
                    reason=v.reason,
                    created_at=v.created_at,
                    expires_at=v.expires_at,
                )
                for v in views
            ]
        )
