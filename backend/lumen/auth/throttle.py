"""Throttling: sign-in back-off and lockout, and request rate limits (OWASP ASVS 2.2.1).

Both sit on a ``limits`` storage: in-process for the embedded default, Redis in production.
Failed sign-ins are counted per account and per IP in a 15-minute window. From the
``backoff_after``-th failure on, the next attempt must wait 2^(n - backoff_after) s (capped at
``max_backoff_s``); at ``lock_after`` failures the key is locked for ``lock_s``. NIST SP
800-63B-4 section 3.2.2 caps consecutive failures at 100 per account; ours are far below.
Request rate limits (chat per user, registration per IP) use a sliding window counter: the
current fixed window's count plus the previous window's, weighted by how much of it the moving
window still covers (``limits``' "sliding window counter" strategy). It keeps two counters per
key where a moving window keeps a timestamp per request, and the in-process storage expires
timestamps with a thread hand-off per key on each pass, which cost the server about a tenth of
its CPU under 50 streaming patients (``bench/results.md`` section 4b).

Both fail closed: when the storage (Redis) fails or takes longer than ``redis_timeout_s``,
the check raises ``ThrottleUnavailable`` (503 with Retry-After) and the request is not served.
A limiter that let requests through unmetered would hand an attacker unlimited password
guesses for as long as they could keep Redis busy (OWASP ASVS 2.2.1, 11.1.4). A sign-in
refused this way is checked before the password, so it counts as no failed attempt.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from lumen.auth.sessions import redis_options
from lumen.problems import ServiceUnavailable, TooManyRequests


class ThrottleUnavailable(ServiceUnavailable):
    """The rate-limit and lockout store (Redis) does not answer: the request is refused
    rather than let through unmetered."""


@contextmanager
def _storage_answers() -> Iterator[None]:
    """Turn a storage failure (``limits`` wraps Redis errors in ``StorageError``) into
    ``ThrottleUnavailable``: fail closed."""
    try:
        yield
    except StorageError as exc:
        raise ThrottleUnavailable(
            "Lumen cannot check request limits right now. Try again in a few seconds."
        ) from exc


@dataclass(frozen=True)
class FailurePolicy:
    """When failures slow a key down and when they lock it."""

    backoff_after: int
    lock_after: int
    lock_s: int = 15 * 60
    window_s: int = 15 * 60
    max_backoff_s: int = 60


ACCOUNT_POLICY = FailurePolicy(backoff_after=3, lock_after=10)
# One address may front many people (a clinic's NAT): a higher bar before it slows down.
IP_POLICY = FailurePolicy(backoff_after=20, lock_after=100)


def open_storage(redis_url: str | None, prefix: str, timeout_s: float) -> Storage:
    """The ``limits`` storage: Redis (redis-py, each command bounded by ``timeout_s``, its
    errors wrapped in ``StorageError``) when a URL is given, else in-process."""
    if redis_url:
        uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
        return RedisStorage(
            uri,
            wrap_exceptions=True,
            implementation="redispy",
            key_prefix=f"{prefix}:limits",
            **redis_options(timeout_s),
        )
    return MemoryStorage()


def account_key(email: str) -> str:
    """The throttle key of an account: a hash, so the store holds no e-mail address."""
    return "acct:" + hashlib.sha256(email.lower().encode()).hexdigest()[:32]


def ip_key(ip: str | None) -> str:
    """The throttle key of a client address."""
    return f"ip:{ip or 'unknown'}"


class FailureThrottle:
    """Back-off and lockout for a kind of secret check (sign-in, 2FA code)."""

    def __init__(self, storage: Storage, name: str) -> None:
        self._storage = storage
        self._name = name

    async def check(self, *keys: str) -> None:
        """Raise ``TooManyRequests`` with the wait when any key is backing off or locked,
        ``ThrottleUnavailable`` when the storage does not answer."""
        now = time.time()
        wait = 0.0
        with _storage_answers():
            for key in keys:
                if await self._storage.get(self._block(key)) > 0:
                    wait = max(wait, await self._storage.get_expiry(self._block(key)) - now)
        if wait > 0:
            raise TooManyRequests(
                f"Too many failed attempts. Try again in {math.ceil(wait)} seconds.",
                retry_after_s=math.ceil(wait),
            )

    async def failure(self, policies: dict[str, FailurePolicy]) -> bool:
        """Count a failure for each key; whether any key became locked by it. Raises
        ``ThrottleUnavailable``."""
        with _storage_answers():
            return await self._count_failure(policies)

    async def _count_failure(self, policies: dict[str, FailurePolicy]) -> bool:
        locked = False
        for key, policy in policies.items():
            count = await self._storage.incr(self._count(key), policy.window_s)
            if count >= policy.lock_after:
                delay = policy.lock_s
                locked = locked or count == policy.lock_after
            elif count >= policy.backoff_after:
                delay = min(2 ** (count - policy.backoff_after), policy.max_backoff_s)
            else:
                continue
            await self._storage.clear(self._block(key))
            await self._storage.incr(self._block(key), delay)
        return locked

    async def success(self, key: str) -> None:
        """Forget the failures of ``key`` (a correct secret for this account). Raises
        ``ThrottleUnavailable``."""
        with _storage_answers():
            await self._storage.clear(self._count(key))
            await self._storage.clear(self._block(key))

    def _count(self, key: str) -> str:
        return f"{self._name}:fail:{key}"

    def _block(self, key: str) -> str:
        return f"{self._name}:block:{key}"


class RateLimit:
    """A sliding-window limit such as ``30/minute`` on one kind of request."""

    def __init__(self, storage: Storage, name: str, limit: str) -> None:
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._item: RateLimitItem = parse(limit)
        self._name = name

    async def hit(self, identity: str) -> None:
        """Count one request of ``identity``; raise ``TooManyRequests`` past the limit,
        ``ThrottleUnavailable`` when the storage does not answer."""
        with _storage_answers():
            if await self._limiter.hit(self._item, self._name, identity):
                return
            stats = await self._limiter.get_window_stats(self._item, self._name, identity)
        wait = math.ceil(stats.reset_time - time.time())
        raise TooManyRequests(
            f"Too many requests: the limit is {self._item}. Try again in {max(1, wait)} seconds.",
            retry_after_s=wait,
        )
