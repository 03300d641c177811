"""Fixtures of the auth tests: the real OIDC provider, real Redis, and an auth stack over a
fresh SQLite database with either session/throttle store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.auth.oidc_fixtures import oidc_provider  # noqa: F401  (fixture)
from tests.conftest import require_service

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def redis_server() -> str:
    """The Redis server on 127.0.0.1:6379 (skip, or fail under CI=true, when absent)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_service("Redis on 127.0.0.1:6379", str(exc))
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_server: str) -> Iterator[str]:
    """A key prefix of one test; its keys are deleted afterwards."""
    import redis

    prefix = f"lumen-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(redis_server)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


@dataclass
class Stack:
    """The auth services and their parts over one fresh database."""

    settings: object
    db: object
    auth: object
    two_factor: object
    sessions: object
    storage: object
    audit: object
    backend: str


@pytest.fixture(params=["embedded", "production"])
async def stack(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Stack]:
    """``AuthService`` and ``TwoFactorService`` as ``make run`` builds them (SQLite,
    in-process stores), then as production does (PostgreSQL, Redis): the same tests run on
    both columns."""
    from lumen.audit.service import open_audit_log
    from lumen.auth.service import AuthService
    from lumen.auth.sessions import Sessions, open_session_store
    from lumen.auth.throttle import open_storage
    from lumen.auth.two_factor import TwoFactorService
    from lumen.db import Database
    from lumen.migrate import upgrade_to_head
    from lumen.security.encryption import load_key_ring
    from lumen.settings import Settings

    redis_url = database_url = None
    prefix = "lumen"
    if request.param == "production":
        redis_url = request.getfixturevalue("redis_server")
        prefix = request.getfixturevalue("redis_prefix")
        database_url = request.getfixturevalue("postgres_url")
    settings = Settings(
        data_dir=tmp_path, redis_url=redis_url, redis_key_prefix=prefix,
        database_url=database_url,
        register_rate_limit="3/hour", chat_rate_limit="2/minute",
    )  # fmt: skip
    upgrade_to_head(settings.sqlalchemy_url)
    db = Database(settings)
    audit = open_audit_log(settings, db)
    sessions = Sessions(
        open_session_store(redis_url, prefix, settings.redis_timeout_s),
        settings.session_idle_timeout_s,
        settings.session_absolute_timeout_s,
    )
    storage = open_storage(redis_url, prefix, settings.redis_timeout_s)
    auth = AuthService(db, sessions, storage, audit, settings.register_rate_limit)
    two_factor = TwoFactorService(db, load_key_ring(settings), sessions, storage, audit, auth)
    yield Stack(settings, db, auth, two_factor, sessions, storage, audit, request.param)
    await sessions.aclose()
    await db.dispose()
