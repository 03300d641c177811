"""The job service: unknown kinds refused, jobs under way reported to ``/readyz``."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import anyio
import pytest

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent
from lumen.db import Database
from lumen.jobs.kinds import INGEST, ProgressReporter, single
from lumen.jobs.models import Job
from lumen.jobs.service import JobService
from lumen.jobs.worker import JobWorker
from lumen.migrate import upgrade_to_head
from lumen.problems import InvalidInput
from lumen.settings import Settings

OPERATOR = AuditEvent(AuditAction.INGESTION_SUBMIT, actor_role="operator")


@pytest.fixture
def db(tmp_path: Path) -> Database:
    settings = Settings(data_dir=tmp_path)
    upgrade_to_head(settings.sqlalchemy_url)
    return Database(settings)


async def test_a_kind_the_worker_does_not_run_is_invalid_input(db: Database) -> None:
    worker = JobWorker(db, {"count": single(INGEST, lambda _job, _report: 0)})
    with pytest.raises(InvalidInput):
        await JobService(db, worker).submit("nope", "x", OPERATOR)
    worker.stop()


async def test_readiness_lists_the_jobs_under_way_and_is_never_unready(db: Database) -> None:
    release = threading.Event()

    def held(_job: Job, report: ProgressReporter) -> int:
        report(1, 4)
        release.wait(30)
        return 0

    worker = JobWorker(db, {"held": single(INGEST, held)})
    jobs = JobService(db, worker)
    await jobs.submit("held", "first", OPERATOR)
    await jobs.submit("held", "second", OPERATOR)
    deadline = time.monotonic() + 30
    readiness = await jobs.readiness()
    while not any(job["done"] for job in readiness.report["jobs"]):
        assert time.monotonic() < deadline, "the first job did not start"
        await anyio.sleep(0.05)
        readiness = await jobs.readiness()
    release.set()
    worker.stop()
    assert readiness.ready
    assert sorted(readiness.report["jobs"], key=lambda j: j["status"]) == [
        {"kind": "held", "status": "queued", "done": 0, "total": None, "unit": "documents"},
        {"kind": "held", "status": "running", "done": 1, "total": 4, "unit": "documents"},
    ]
