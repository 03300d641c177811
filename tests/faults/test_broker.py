"""The Celery broker (Redis) hung or gone while the API submits a job: the request is not held
for long, the job is recorded as queued (stale-job recovery sends it once the broker is back),
and submissions reach the broker again when it returns. Redis is the only thing broken here."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
import redis

from lumen.db import Database
from lumen.jobs.celery_app import CeleryRunner, create_celery
from lumen.jobs.models import Job
from lumen.migrate import upgrade_to_head
from lumen.settings import Settings
from tests.faults.conftest import OwnRedis

# Two sends (PUBLISH_RETRY), each up to LUMEN_REDIS_TIMEOUT_S (1 s) to connect and 1 s to read.
FAST_S = 4.0


@pytest.fixture
def runner(tmp_path: Path, own_redis: OwnRedis) -> Iterator[CeleryRunner]:
    settings = Settings(data_dir=tmp_path, redis_url=own_redis.url)
    upgrade_to_head(settings.sqlalchemy_url)
    db = Database(settings)
    celery_runner = CeleryRunner(
        db, {"ingest_spl": "ingest"}, create_celery(settings, publisher=True), settings
    )
    yield celery_runner
    celery_runner.stop()
    anyio.run(db.dispose)


def _submit_within(runner: CeleryRunner, limit_s: float) -> tuple[Job, float]:
    """Submit in a thread; fail if it has not returned after ``limit_s`` (a hung request)."""
    result: list[Job] = []
    started = time.monotonic()
    thread = threading.Thread(
        target=lambda: result.append(runner.submit("ingest_spl", "/data/labels")), daemon=True
    )
    thread.start()
    thread.join(limit_s)
    elapsed = time.monotonic() - started
    assert result, f"submit still waiting for the broker after {elapsed:.1f} s"
    return result[0], elapsed


def _queued_tasks(own_redis: OwnRedis) -> int:
    client = redis.Redis.from_url(own_redis.url)
    return sum(
        int(client.llen(key)) for key in client.scan_iter("*ingest*") if client.type(key) == b"list"
    )


def test_a_hung_or_gone_broker_does_not_hold_a_submission(
    runner: CeleryRunner, own_redis: OwnRedis
) -> None:
    runner.submit("ingest_spl", "/data/labels")  # the producer's connection is open and pooled
    assert _queued_tasks(own_redis) == 1

    own_redis.signal(signal.SIGSTOP)  # hung: connections open, nothing answers
    try:
        job, elapsed = _submit_within(runner, 20)
    finally:
        own_redis.signal(signal.SIGCONT)
    assert elapsed < FAST_S, f"a hung broker held the submission {elapsed:.1f} s"
    assert job.status == "queued", "the job is recorded for recovery to send"

    own_redis.kill()  # gone: connections refused
    job, elapsed = _submit_within(runner, 20)
    assert elapsed < FAST_S, f"a gone broker held the submission {elapsed:.1f} s"
    assert job.status == "queued"

    own_redis.start()  # back, with what its append-only file kept
    runner.submit("ingest_spl", "/data/labels")
    assert _queued_tasks(own_redis) >= 2, "submissions reach the broker again"
