"""The auth domain's long-lived parts, built once per process by the runtime."""

from __future__ import annotations

from dataclasses import dataclass

from limits.aio.storage import Storage

from lumen.audit.service import AuditLog
from lumen.auth.account import AccountData
from lumen.auth.break_glass import BreakGlass
from lumen.auth.oidc import OidcClient
from lumen.auth.service import AuthService
from lumen.auth.sessions import MemorySessionStore, RedisSessionStore, Sessions, SessionStore
from lumen.auth.throttle import RateLimit, open_storage
from lumen.auth.tokens import ApiTokens
from lumen.auth.users import UserAdmin
from lumen.chat.service import ChatService
from lumen.db import Database
from lumen.security.encryption import KeyRing
from lumen.settings import Settings


@dataclass
class Access:
    """Sessions, throttles, accounts, tokens, break glass and organisation sign-in."""

    sessions: Sessions
    storage: Storage
    auth: AuthService
    tokens: ApiTokens
    users: UserAdmin
    break_glass: BreakGlass
    account: AccountData
    chat_limit: RateLimit
    oidc: OidcClient | None

    async def aclose(self) -> None:
        """Close the session store's connections."""
        await self.sessions.store.aclose()


def build_access(
    settings: Settings, db: Database, keys: KeyRing, chat: ChatService, audit: AuditLog
) -> Access:
    """Everything access control needs; Redis-backed when ``LUMEN_REDIS_URL`` is set."""
    store: SessionStore = (
        RedisSessionStore(settings.redis_url, settings.redis_key_prefix)
        if settings.redis_url
        else MemorySessionStore()
    )
    sessions = Sessions(store, settings.session_idle_timeout_s, settings.session_absolute_timeout_s)
    storage = open_storage(settings.redis_url, settings.redis_key_prefix)
    break_glass = BreakGlass(db, keys, chat, audit, settings.break_glass_ttl_min)
    auth = AuthService(db, keys, sessions, storage, audit, settings.register_rate_limit)
    return Access(
        sessions=sessions,
        storage=storage,
        auth=auth,
        tokens=ApiTokens(db, audit),
        users=UserAdmin(db, sessions, audit, settings.invitation_ttl_h),
        break_glass=break_glass,
        account=AccountData(db, chat, break_glass, sessions, audit),
        chat_limit=RateLimit(storage, "chat", settings.chat_rate_limit),
        oidc=OidcClient.from_settings(settings, auth),
    )
