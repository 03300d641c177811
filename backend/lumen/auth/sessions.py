"""Server-side sessions (OWASP ASVS 4.0 V3; OWASP Session Management Cheat Sheet).

The browser holds only an opaque 256-bit random id; the store keys records by its SHA-256, so
a leaked store hands out no usable cookie. Idle timeout (default 15 min) and absolute timeout
(default 12 h) are enforced on every request; a new id is issued at sign-in and at every change
of privilege (2FA completed, password changed). Two stores behind one interface: in-process
(embedded default) and Redis (production), run by the same tests.

A Redis that is down or hangs fails closed: every store call raises ``SessionStoreUnavailable``
(503 with Retry-After) within ``redis_timeout_s``. Nobody is signed in, no request runs as
anyone (a request with a session cookie is not treated as anonymous, which could reach
public routes as nobody or be read as "signed out"), and nobody is signed out: the cookie is
left alone, and the session is there again when Redis is, if Redis kept it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from lumen.observability.readiness import Readiness
from lumen.problems import ServiceUnavailable

SESSION_ID_BYTES = 32


class SessionStoreUnavailable(ServiceUnavailable):
    """The session store (Redis) does not answer: nobody can be signed in or recognised."""

    title = "Sign-in unavailable"


def redis_options(timeout_s: float) -> dict[str, Any]:
    """redis-py client options that fail fast: connecting and each command give up after
    ``timeout_s`` (redis-py's default is no command timeout: a stopped Redis hangs a request
    for good), and a dropped connection (Redis restarted) is reconnected once, at once; a
    timeout is not retried, so a hung Redis costs one ``timeout_s``."""
    return {
        "socket_connect_timeout": timeout_s,
        "socket_timeout": timeout_s,
        "retry": Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    }


@contextmanager
def _store_answers() -> Iterator[None]:
    """Turn a Redis failure into ``SessionStoreUnavailable`` (fail closed)."""
    try:
        yield
    except RedisError as exc:
        raise SessionStoreUnavailable(
            "Sign-in is unavailable for a moment. Try again in a few seconds."
        ) from exc


@dataclass(frozen=True)
class SessionRecord:
    """A session. ``state``: ``signed_in``; ``mfa_required`` (password checked, TOTP pending);
    ``mfa_enrollment_required`` (role needs 2FA, not enrolled). Times are Unix seconds."""

    handle: str  # the public id in the sessions list; not the cookie
    user_id: str
    role: str
    state: str
    csrf_token: str
    created_at: float
    last_seen_at: float
    expires_at: float
    ip: str | None = None
    user_agent: str | None = None


class SessionStore(Protocol):
    """Records by key (SHA-256 of the session id) with a time to live, indexed by user;
    ``kind`` names the store in ``/readyz``."""

    kind: str

    async def save(self, key: str, record: SessionRecord, ttl_s: int) -> None: ...
    async def load(self, key: str) -> SessionRecord | None: ...
    async def delete(self, key: str, user_id: str) -> None: ...
    async def keys_of(self, user_id: str) -> list[str]: ...
    async def ping(self) -> bool: ...
    async def aclose(self) -> None: ...


class MemorySessionStore:
    """Sessions in this process (lost on restart: everyone signs in again)."""

    kind = "in-process"

    def __init__(self) -> None:
        self._records: dict[str, tuple[SessionRecord, float]] = {}
        self._by_user: dict[str, set[str]] = {}

    async def save(self, key: str, record: SessionRecord, ttl_s: int) -> None:
        self._records[key] = (record, time.monotonic() + ttl_s)
        self._by_user.setdefault(record.user_id, set()).add(key)

    async def load(self, key: str) -> SessionRecord | None:
        found = self._records.get(key)
        if found is None:
            return None
        record, deadline = found
        if time.monotonic() >= deadline:
            await self.delete(key, record.user_id)
            return None
        return record

    async def delete(self, key: str, user_id: str) -> None:
        self._records.pop(key, None)
        self._by_user.get(user_id, set()).discard(key)

    async def keys_of(self, user_id: str) -> list[str]:
        keys = list(self._by_user.get(user_id, ()))
        return [key for key in keys if await self.load(key) is not None]

    async def ping(self) -> bool:
        return True

    async def aclose(self) -> None:
        self._records.clear()
        self._by_user.clear()


class RedisSessionStore:
    """Sessions in Redis: ``<prefix>:session:<key>`` (JSON, EX ttl) and a per-user set. Every
    call but ``ping`` raises ``SessionStoreUnavailable`` when Redis fails or takes longer than
    ``timeout_s``."""

    kind = "redis"

    def __init__(self, url: str, prefix: str, timeout_s: float) -> None:
        self._redis = Redis.from_url(url, decode_responses=True, **redis_options(timeout_s))
        self._prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self._prefix}:session:{key}"

    def _user(self, user_id: str) -> str:
        return f"{self._prefix}:user-sessions:{user_id}"

    async def save(self, key: str, record: SessionRecord, ttl_s: int) -> None:
        with _store_answers():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self._key(key), json.dumps(asdict(record)), ex=ttl_s)
                pipe.sadd(self._user(record.user_id), key)
                await pipe.execute()

    async def load(self, key: str) -> SessionRecord | None:
        with _store_answers():
            raw = await self._redis.get(self._key(key))
        return SessionRecord(**json.loads(raw)) if raw else None

    async def delete(self, key: str, user_id: str) -> None:
        with _store_answers():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._key(key))
                pipe.srem(self._user(user_id), key)
                await pipe.execute()

    async def keys_of(self, user_id: str) -> list[str]:
        with _store_answers():
            return await self._live_keys_of(user_id)

    async def _live_keys_of(self, user_id: str) -> list[str]:
        members = await self._redis.smembers(self._user(user_id))
        keys = sorted(str(m) for m in members)
        if not keys:
            return []
        alive = await self._redis.mget([self._key(k) for k in keys])
        gone = [k for k, value in zip(keys, alive, strict=True) if value is None]
        if gone:  # expired records leave their id in the index; tidy it here
            await self._redis.srem(self._user(user_id), *gone)
        return [k for k, value in zip(keys, alive, strict=True) if value is not None]

    async def ping(self) -> bool:
        """Whether Redis answers (readiness)."""
        try:
            return bool(await self._redis.ping())
        except RedisError:
            return False

    async def aclose(self) -> None:
        await self._redis.aclose()


def open_session_store(redis_url: str | None, prefix: str, timeout_s: float) -> SessionStore:
    """The session store: Redis when a URL is given (each call bounded by ``timeout_s``),
    else in-process."""
    if redis_url:
        return RedisSessionStore(redis_url, prefix, timeout_s)
    return MemorySessionStore()


def session_key(session_id: str) -> str:
    """The store key of a session id: its SHA-256 hex."""
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    """Session policy over a store: issue, resolve with timeouts, rotate, end.

    Activity is written back at most every ``touch_after_s`` (1/30 of the idle timeout: 30 s
    of the default 15 min), not on every request (issue 11: each request rewrote its session).
    A session therefore ends at most that much before a full idle timeout after its last
    request, never later: the rounding fails toward less access.
    """

    def __init__(self, store: SessionStore, idle_timeout_s: int, absolute_timeout_s: int) -> None:
        self.store = store
        self.idle_timeout_s = idle_timeout_s
        self.absolute_timeout_s = absolute_timeout_s

    @property
    def touch_after_s(self) -> float:
        """Seconds of activity not written back: 1/30 of the idle timeout."""
        return self.idle_timeout_s / 30

    async def issue(
        self,
        user_id: str,
        role: str,
        state: str,
        ip: str | None,
        user_agent: str | None,
        *,
        created_at: float | None = None,
    ) -> tuple[str, SessionRecord]:
        """A new session id and its record. ``created_at`` keeps the absolute timeout of a
        session being rotated."""
        now = time.time()
        started = created_at if created_at is not None else now
        record = SessionRecord(
            handle=secrets.token_hex(8),
            user_id=user_id,
            role=role,
            state=state,
            csrf_token=secrets.token_urlsafe(32),
            created_at=started,
            last_seen_at=now,
            expires_at=started + self.absolute_timeout_s,
            ip=ip,
            user_agent=(user_agent or "")[:256] or None,
        )
        session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
        await self.store.save(session_key(session_id), record, self._ttl(record, now))
        return session_id, record

    async def resolve(self, session_id: str, activity: bool = True) -> SessionRecord | None:
        """The live record of ``session_id``, or ``None`` when unknown, idle past the idle
        timeout or past the absolute timeout (then it is ended). ``activity`` marks it seen;
        a page's background polling passes ``False`` so that it cannot defeat the automatic
        logoff (HIPAA 164.312(a)(2)(iii))."""
        key = session_key(session_id)
        record = await self.store.load(key)
        if record is None:
            return None
        now = time.time()
        if now - record.last_seen_at >= self.idle_timeout_s or now >= record.expires_at:
            await self.store.delete(key, record.user_id)
            return None
        if not activity or now - record.last_seen_at < self.touch_after_s:
            return record
        seen = replace(record, last_seen_at=now)
        await self.store.save(key, seen, self._ttl(seen, now))
        return seen

    async def rotate(
        self, session_id: str, record: SessionRecord, **changes: str
    ) -> tuple[str, SessionRecord]:
        """End ``session_id`` and issue a new id for the same sign-in with ``changes``
        (e.g. ``state``, ``role``); the absolute timeout still counts from the sign-in."""
        await self.end(session_id, record.user_id)
        fields = {"role": record.role, "state": record.state, **changes}
        return await self.issue(
            record.user_id,
            fields["role"],
            fields["state"],
            record.ip,
            record.user_agent,
            created_at=record.created_at,
        )

    async def end(self, session_id: str, user_id: str) -> None:
        """End one session."""
        await self.store.delete(session_key(session_id), user_id)

    async def end_all(self, user_id: str, keep_session_id: str | None = None) -> int:
        """End every session of ``user_id`` but ``keep_session_id``; the number ended."""
        keep = session_key(keep_session_id) if keep_session_id else None
        keys = [k for k in await self.store.keys_of(user_id) if k != keep]
        for key in keys:
            await self.store.delete(key, user_id)
        return len(keys)

    async def list(self, user_id: str) -> list[tuple[str, SessionRecord]]:
        """``(key, record)`` of the user's live sessions, newest first."""
        found = []
        for key in await self.store.keys_of(user_id):
            record = await self.store.load(key)
            if record is not None:
                found.append((key, record))
        return sorted(found, key=lambda item: item[1].created_at, reverse=True)

    async def end_by_handle(self, user_id: str, handle: str) -> bool:
        """End the user's session whose public handle is ``handle``; whether one was found."""
        for key, record in await self.list(user_id):
            if secrets.compare_digest(record.handle.encode(), handle.encode()):
                await self.store.delete(key, user_id)
                return True
        return False

    async def readiness(self) -> Readiness:
        """Whether the store answers: without it nobody can sign in, so a store that does not
        answer makes Lumen unready."""
        up = await self.store.ping()
        return Readiness(
            ready=up,
            report={"sessions": {"store": self.store.kind, "state": "up" if up else "down"}},
        )

    async def aclose(self) -> None:
        """Close the store's connections."""
        await self.store.aclose()

    def _ttl(self, record: SessionRecord, now: float) -> int:
        return max(1, int(min(self.idle_timeout_s, record.expires_at - now)) + 1)
