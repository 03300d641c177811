"""Request and response shapes of the auth routes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from lumen.auth.models import User
from lumen.auth.roles import MFA_REQUIRED, Role
from lumen.auth.sessions import SessionRecord

SessionState = Literal["signed_in", "mfa_required", "mfa_enrollment_required"]


class Credentials(BaseModel):
    """E-mail and password (register, sign in)."""

    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)


class UserOut(BaseModel):
    """The signed-in user as the web app shows them."""

    id: uuid.UUID
    email: str
    role: Role
    totp_enabled: bool
    mfa_required: bool
    sso: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        """From the table row."""
        return cls(
            id=user.id,
            email=user.email,
            role=Role(user.role),
            totp_enabled=user.totp_enabled,
            mfa_required=Role(user.role) in MFA_REQUIRED,
            sso=user.oidc_subject is not None,
            created_at=user.created_at,
        )


class AuthState(BaseModel):
    """Where the caller's sign-in stands, and the CSRF token to send with writes."""

    status: SessionState
    user: UserOut
    csrf_token: str
    idle_timeout_s: int
    expires_at: datetime

    @classmethod
    def of(cls, record: SessionRecord, user: User, idle_timeout_s: int) -> AuthState:
        """From a session record and its user."""
        return cls(
            status=record.state,
            user=UserOut.of(user),
            csrf_token=record.csrf_token,
            idle_timeout_s=idle_timeout_s,
            expires_at=datetime.fromtimestamp(record.expires_at, UTC),
        )


class CsrfOut(BaseModel):
    """A CSRF token (also set as the ``lumen_csrf`` cookie)."""

    csrf_token: str


class OidcProviderOut(BaseModel):
    """The organisation sign-in on offer."""

    name: str
    login_url: str


class ProvidersOut(BaseModel):
    """Sign-in methods besides the password."""

    oidc: OidcProviderOut | None


class TotpSetupOut(BaseModel):
    """A pending TOTP secret: show ``otpauth_uri`` as a QR code and ``secret`` as text."""

    secret: str
    otpauth_uri: str


class TotpCode(BaseModel):
    """A 6-digit TOTP code."""

    code: str = Field(min_length=6, max_length=12)


class ChallengeIn(BaseModel):
    """A TOTP code or a recovery code for a pending sign-in."""

    code: str | None = Field(default=None, max_length=12)
    recovery_code: str | None = Field(default=None, max_length=64)


class RecoveryCodesOut(BaseModel):
    """Ten single-use recovery codes, shown once."""

    recovery_codes: list[str]


class EnrollmentOut(RecoveryCodesOut):
    """2FA is on: the recovery codes and the new sign-in state."""

    state: AuthState


class TotpDisableIn(BaseModel):
    """Password and a current code, to turn 2FA off."""

    password: str = Field(max_length=1024)
    code: str = Field(max_length=12)


class PasswordChangeIn(BaseModel):
    """The current and the new password."""

    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class InvitationAcceptIn(BaseModel):
    """An invitation token and the password the invitee chose."""

    token: str = Field(min_length=16, max_length=128)
    password: str = Field(max_length=1024)


class SessionOut(BaseModel):
    """One of the user's sessions."""

    id: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ip: str | None
    user_agent: str | None
    current: bool


class SessionList(BaseModel):
    """The user's live sessions, newest first."""

    items: list[SessionOut]
