"""Tables of the auth domain: users and their recovery codes.

Secrets are never stored as given: passwords as argon2id hashes, TOTP secrets sealed with the
message key ring (AES-256-GCM), recovery codes and invitation tokens as SHA-256 (their entropy
is >= 112 bits, NIST SP 800-63B section 5.1.2.2 / 5.1.1.2 for look-up secrets). API tokens are
the account domain's (``lumen.account.models``), break-glass grants the admin domain's.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from lumen.db import utcnow


class User(SQLModel, table=True):
    """An account. ``status``: ``active``, ``invited`` (no password yet) or ``disabled``."""

    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)  # normalised: lower case
    role: str = Field(max_length=16)
    status: str = Field(default="active", max_length=16)
    password_hash: str | None = Field(default=None, max_length=255)
    password_changed_at: datetime | None = None
    # TOTP (RFC 6238): the sealed secret, whether it is confirmed, and the last accepted time
    # step (a code of that step or an earlier one is a replay).
    totp_secret_ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    totp_key_id: str | None = Field(default=None, max_length=32)
    totp_enabled: bool = False
    totp_last_step: int | None = None
    # Organisation sign-in (OIDC): the issuer and subject that identify the person.
    oidc_issuer: str | None = Field(default=None, max_length=255)
    oidc_subject: str | None = Field(default=None, max_length=255, index=True)
    invitation_token_hash: str | None = Field(default=None, max_length=64, index=True)
    invitation_expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_sign_in_at: datetime | None = None


class RecoveryCode(SQLModel, table=True):
    """A single-use 2FA recovery code (SHA-256 of the normalised code)."""

    __tablename__ = "recovery_codes"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = None
