"""Benchmark 7 (access control): what accounts cost per request, on this machine's 2 cores.

- argon2id hash and verify (OWASP parameters), and the password policy check (zxcvbn);
- session resolution per request, in-process store and Redis (127.0.0.1:6379);
- audit log appends per second and chain verification time, SQLite and PostgreSQL;
- through HTTP (``lumen serve``, empty index): sign-in and ``GET /api/v1/auth/me``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tests.servers import lumen_serve

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, open_audit_log
from lumen.auth.passwords import check_password_policy, hash_password, verify_password
from lumen.auth.sessions import MemorySessionStore, RedisSessionStore, Sessions, SessionStore
from lumen.db import Database
from lumen.migrate import upgrade_to_head
from lumen.settings import Settings

PASSWORD = "violet-harbour-lantern-42"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
AUDIT_ENTRIES = 4000
AUDIT_WRITERS = 32
SINGLE_WRITER_ENTRIES = 1000


def _ms(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": float(np.percentile(samples, 50)),
        "p95_ms": float(np.percentile(samples, 95)),
    }


def _timed(fn: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _policy(candidate: str) -> None:
    check_password_policy(candidate, "a@example.org")


def passwords() -> dict[str, Any]:
    stored = hash_password(PASSWORD)
    candidates = [f"amber-{n}-harbour-lantern-quiet" for n in range(200)]
    return {
        "hash": _ms(_timed(lambda: hash_password(PASSWORD), 30)),
        "verify": _ms(_timed(lambda: verify_password(PASSWORD, stored), 30)),
        "policy": _ms(
            [
                t
                for c in candidates
                for t in _timed(lambda c=c: check_password_policy(c, "a@example.org"), 1)
            ]
        ),  # type: ignore[misc]
    }


async def _resolve(store: SessionStore, n: int = 2000) -> dict[str, float]:
    sessions = Sessions(store, 900, 43200)
    session_id, _record = await sessions.issue(
        str(uuid.uuid4()), "patient", "signed_in", None, None
    )
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        await sessions.resolve(session_id)
        samples.append((time.perf_counter() - started) * 1000)
    await store.aclose()
    return _ms(samples)


def sessions() -> dict[str, Any]:
    prefix = f"lumen-bench-{uuid.uuid4().hex[:8]}"
    return {
        "memory": asyncio.run(_resolve(MemorySessionStore())),
        "redis": asyncio.run(_resolve(RedisSessionStore("redis://127.0.0.1:6379/0", prefix, 1.0))),
    }


def _audit(url: str | None, data_dir: Path) -> dict[str, float]:
    """Appends/s of one writer awaiting each entry, then of ``AUDIT_WRITERS`` concurrent
    writers (as concurrent requests append, each entry in its own transaction); then the
    sealer's rate and verification's, entries/s."""
    settings = Settings(data_dir=data_dir, database_url=url)
    upgrade_to_head(settings.sqlalchemy_url)
    db = Database(settings)
    log = open_audit_log(settings, db)
    event = AuditEvent(
        AuditAction.CONVERSATION_READ, actor_id=str(uuid.uuid4()), actor_role="patient",
        object_type="conversation", object_id=str(uuid.uuid4()), ip="127.0.0.1", user_agent="bench",
    )  # fmt: skip

    async def append(writers: int, entries: int) -> float:
        async def writer() -> None:
            for _ in range(entries // writers):
                await log.record(event)

        started = time.perf_counter()
        await asyncio.gather(*(writer() for _ in range(writers)))
        return time.perf_counter() - started

    alone_s = asyncio.run(append(1, SINGLE_WRITER_ENTRIES))
    seconds = asyncio.run(append(AUDIT_WRITERS, AUDIT_ENTRIES))
    started = time.perf_counter()
    sealed = log.sealer.seal()
    seal_s = time.perf_counter() - started
    started = time.perf_counter()
    report = log.verify()
    verify_s = time.perf_counter() - started
    assert report.ok and sealed == AUDIT_ENTRIES + SINGLE_WRITER_ENTRIES
    asyncio.run(db.dispose())
    return {
        "single_writer_appends_per_s": SINGLE_WRITER_ENTRIES / alone_s,
        "appends_per_s": AUDIT_ENTRIES / seconds,
        "seal_entries_per_s": sealed / seal_s,
        "verify_entries_per_s": report.entries_checked / verify_s,
    }


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database on 127.0.0.1:5432 for one benchmark: its SQLAlchemy
    URL, the database dropped afterwards."""
    import psycopg

    name = f"lumen_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def audit(work: Path) -> dict[str, Any]:
    with scratch_postgres() as url:
        pg = _audit(url, work / "pg")
    return {
        "entries": AUDIT_ENTRIES,
        "writers": AUDIT_WRITERS,
        "sqlite": _audit(None, work / "sqlite"),
        "postgresql": pg,
    }


def http(work: Path) -> dict[str, Any]:
    with lumen_serve(work / "http") as (url, _pid), httpx.Client(base_url=url) as client:
        client.get("/api/v1/auth/csrf")
        body = {"email": "bench@example.org", "password": PASSWORD}

        def post(path: str) -> None:
            # Each sign-in rotates the session and its CSRF token: send the current one.
            headers = {"X-CSRF-Token": client.cookies["lumen_csrf"]}
            client.post(path, json=body, headers=headers).raise_for_status()

        post("/api/v1/auth/register")
        sign_in = _timed(lambda: post("/api/v1/auth/login"), 50)
        me = _timed(lambda: client.get("/api/v1/auth/me").raise_for_status(), 300)
    return {"sign_in": _ms(sign_in), "me": _ms(me)}


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        return {
            "passwords": passwords(),
            "sessions": sessions(),
            "audit": audit(work),
            "http": http(work),
        }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(main()) + "\n")
