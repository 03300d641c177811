"""Every audited action (issue 5, "Events"). Names are ``object.verb``."""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    """The audit log's vocabulary; the admin UI's action filter lists these."""

    SIGN_IN = "auth.sign_in"
    SIGN_IN_OIDC = "auth.sign_in_oidc"
    LOCKOUT = "auth.lockout"
    SESSION_END = "auth.session_end"
    SESSIONS_END_ALL = "auth.sessions_end_all"
    PASSWORD_CHANGE = "auth.password_change"
    MFA_CHALLENGE = "auth.2fa_challenge"
    MFA_ENROLL = "auth.2fa_enroll"
    MFA_DISABLE = "auth.2fa_disable"
    MFA_RECOVERY_USE = "auth.2fa_recovery_use"
    MFA_RECOVERY_REGENERATE = "auth.2fa_recovery_regenerate"
    REGISTER = "user.register"
    INVITE = "user.invite"
    INVITATION_ACCEPT = "user.invitation_accept"
    ROLE_CHANGE = "user.role_change"
    USER_DISABLE = "user.disable"
    USER_ENABLE = "user.enable"
    USER_DELETE = "user.delete"
    DATA_EXPORT = "user.data_export"
    TOKEN_CREATE = "api_token.create"
    TOKEN_REVOKE = "api_token.revoke"
    CONVERSATION_CREATE = "conversation.create"
    CONVERSATION_READ = "conversation.read"
    CONVERSATION_DELETE = "conversation.delete"
    MESSAGE_CREATE = "conversation.message"
    ESCALATION = "conversation.escalation"
    SUPPORT_NOTE = "conversation.support_note"
    BREAK_GLASS_GRANT = "break_glass.grant"
    BREAK_GLASS_READ = "break_glass.read"
    INGESTION_SUBMIT = "ingestion.submit"
    INGESTION_FINISH = "ingestion.finish"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_EXPORT = "audit.export"
