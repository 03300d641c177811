"""The in-process job worker: real ingestion jobs, failures recorded, unfinished jobs resumed,
submissions and end states audited in the job's own transaction."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from lumen.audit.service import AuditUnavailable
from lumen.db import Database
from lumen.jobs.models import Job
from lumen.jobs.worker import JobWorker, ProgressReporter
from lumen.migrate import upgrade_to_head
from lumen.settings import Settings


@pytest.fixture
def db(tmp_path: Path) -> Database:
    settings = Settings(data_dir=tmp_path)
    upgrade_to_head(settings.sqlalchemy_url)
    return Database(settings)


def _wait(db: Database, job_id: uuid.UUID, timeout_s: float = 60) -> Job:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with db.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            if job.status in ("succeeded", "failed"):
                return job
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def test_a_job_reports_progress_and_succeeds(db: Database) -> None:
    def count_to_three(_job: Job, report: ProgressReporter) -> int:
        for n in range(1, 4):
            report(n, 3)
        return 0

    worker = JobWorker(db, {"count": count_to_three})
    job = _wait(db, worker.submit("count", "memory").id)
    worker.stop()
    assert (job.status, job.done, job.total, job.error) == ("succeeded", 3, 3, None)
    assert job.started_at is not None and job.finished_at is not None


def test_a_job_that_raises_is_failed_with_its_error_and_the_worker_goes_on(db: Database) -> None:
    def boom(_job: Job, _report: ProgressReporter) -> int:
        raise FileNotFoundError("no such archive")

    def ok(_job: Job, _report: ProgressReporter) -> int:
        return 0

    worker = JobWorker(db, {"boom": boom, "ok": ok})
    failed = _wait(db, worker.submit("boom", "/nowhere.zip").id)
    succeeded = _wait(db, worker.submit("ok", "x").id)
    worker.stop()
    assert failed.status == "failed" and "no such archive" in (failed.error or "")
    assert succeeded.status == "succeeded"


def test_items_that_failed_to_load_fail_the_job_with_a_count(db: Database) -> None:
    worker = JobWorker(db, {"partial": lambda _job, _report: 2})
    job = _wait(db, worker.submit("partial", "x").id)
    worker.stop()
    assert job.status == "failed" and job.failed_items == 2


def test_an_unknown_kind_is_refused(db: Database) -> None:
    worker = JobWorker(db, {})
    with pytest.raises(KeyError):
        worker.submit("nope", "x")
    worker.stop()


def test_jobs_left_running_by_a_dead_process_are_resumed(db: Database) -> None:
    with db.session() as session:
        orphan = Job(kind="ok", source="x", status="running")
        session.add(orphan)
        session.commit()
        session.refresh(orphan)
    worker = JobWorker(db, {"ok": lambda _job, _report: 0})
    assert [job.id for job in worker.resume_unfinished()] == [orphan.id]
    assert _wait(db, orphan.id).status == "succeeded"
    worker.stop()


def _entries(db: Database, action: str) -> list[tuple[str, str]]:
    with db.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT object_id, outcome FROM audit_entries WHERE action = :a ORDER BY seq"),
            {"a": action},
        ).all()
    return [(row[0], row[1]) for row in rows]


def test_a_job_is_audited_at_submission_and_at_its_end(db: Database) -> None:
    worker = JobWorker(db, {"partial": lambda _job, _report: 1})
    job = _wait(db, worker.submit("partial", "x").id)
    worker.stop()
    assert _entries(db, "ingestion.submit") == [(str(job.id), "success")]
    assert _entries(db, "ingestion.finish") == [(str(job.id), "failure")]


def test_a_submission_the_audit_log_refuses_queues_no_job(db: Database) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries "
                "BEGIN SELECT RAISE(ABORT, 'audit store refused the entry'); END"
            )
        )
    worker = JobWorker(db, {"ok": lambda _job, _report: 0})
    with pytest.raises(AuditUnavailable):
        worker.submit("ok", "x")
    worker.stop()
    with db.session() as session:
        assert session.exec(select(Job)).all() == []
