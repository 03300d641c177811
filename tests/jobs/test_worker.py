"""The in-process job runner: jobs and their batches, failures recorded, transient faults
retried, cancellation between batches, an export not waiting behind a load, unfinished jobs
resumed, submissions and end states audited in the job's own transaction."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, AuditUnavailable
from lumen.db import Database, utcnow
from lumen.jobs.execution import Limits
from lumen.jobs.kinds import EXPORT, INGEST, JobKind, ProgressReporter, Task, single
from lumen.jobs.models import Job, JobBatch
from lumen.jobs.worker import JobWorker
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
            if job.status in ("succeeded", "failed", "cancelled"):
                return job
        time.sleep(0.05)
    raise AssertionError("job did not finish")


def _kinds(**tasks: Task) -> dict[str, JobKind]:
    return {
        name: single(INGEST, task, finish_action=AuditAction.INGESTION_FINISH)
        for name, task in tasks.items()
    }


def _batches(db: Database, job_id: uuid.UUID) -> list[tuple[int, int, str]]:
    with db.session() as session:
        rows = session.exec(select(JobBatch).where(JobBatch.job_id == job_id)).all()
    return sorted((b.start, b.stop, b.status) for b in rows)


def test_a_job_reports_progress_and_succeeds(db: Database) -> None:
    def count_to_three(_job: Job, report: ProgressReporter) -> int:
        for n in range(1, 4):
            report(n, 3)
        return 0

    worker = JobWorker(db, _kinds(count=count_to_three))
    job = _wait(db, worker.submit("count", "memory").id)
    worker.stop()
    assert (job.status, job.done, job.total, job.error) == ("succeeded", 3, 3, None)
    assert job.started_at is not None and job.finished_at is not None


def test_a_job_that_raises_is_failed_with_its_error_and_the_worker_goes_on(db: Database) -> None:
    def boom(_job: Job, _report: ProgressReporter) -> int:
        raise FileNotFoundError("no such archive")

    def ok(_job: Job, _report: ProgressReporter) -> int:
        return 0

    worker = JobWorker(db, _kinds(boom=boom, ok=ok))
    failed = _wait(db, worker.submit("boom", "/nowhere.zip").id)
    succeeded = _wait(db, worker.submit("ok", "x").id)
    worker.stop()
    assert failed.status == "failed" and "no such archive" in (failed.error or "")
    assert succeeded.status == "succeeded"


def test_items_that_failed_to_load_fail_the_job_with_a_count(db: Database) -> None:
    worker = JobWorker(db, _kinds(partial=lambda _job, _report: 2))
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
    worker = JobWorker(db, _kinds(ok=lambda _job, _report: 0))
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
    worker = JobWorker(db, _kinds(partial=lambda _job, _report: 1))
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
    worker = JobWorker(db, _kinds(ok=lambda _job, _report: 0))
    with pytest.raises(AuditUnavailable):
        worker.submit("ok", "x")
    worker.stop()
    with db.session() as session:
        assert session.exec(select(Job)).all() == []


def _counting_kind(seen: list[tuple[int, int]], batch_size: int, total: int) -> JobKind:
    def run(_job: Job, start: int, stop: int, report: ProgressReporter) -> int:
        seen.append((start, stop))
        report(stop - start, None)
        return 0

    return JobKind(
        queue=INGEST, run=run, count=lambda _job: total, batch_size=batch_size,
        finish_action=AuditAction.INGESTION_FINISH,
    )  # fmt: skip


def test_a_source_is_split_into_batches_and_progress_is_their_sum(db: Database) -> None:
    seen: list[tuple[int, int]] = []
    worker = JobWorker(db, {"load": _counting_kind(seen, batch_size=4, total=10)})
    job = _wait(db, worker.submit("load", "x").id)
    worker.stop()
    assert seen == [(0, 4), (4, 8), (8, 10)]
    assert (job.status, job.done, job.total) == ("succeeded", 10, 10)
    assert _batches(db, job.id) == [(0, 4, "succeeded"), (4, 8, "succeeded"), (8, 10, "succeeded")]


def test_a_transient_fault_is_retried_and_the_batch_counted_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lumen.jobs.worker.RETRY_BASE_S", 0.01)
    calls: list[int] = []

    def flaky(_job: Job, start: int, stop: int, report: ProgressReporter) -> int:
        calls.append(start)
        report(stop - start, None)
        if len(calls) == 1:
            raise ConnectionError("index unreachable")
        return 0

    kind = JobKind(queue=INGEST, run=flaky, count=lambda _job: 3, batch_size=3)
    worker = JobWorker(db, {"load": kind})
    job = _wait(db, worker.submit("load", "x").id)
    worker.stop()
    assert calls == [0, 0]
    assert (job.status, job.done) == ("succeeded", 3)


def test_a_fault_that_never_clears_fails_the_job_after_the_attempt_limit(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lumen.jobs.worker.RETRY_BASE_S", 0.01)

    def down(_job: Job, _start: int, _stop: int, _report: ProgressReporter) -> int:
        raise ConnectionError("index unreachable")

    kind = JobKind(queue=INGEST, run=down, count=lambda _job: 2, batch_size=2)
    worker = JobWorker(db, {"load": kind}, Limits(max_attempts=3))
    job = _wait(db, worker.submit("load", "x").id)
    worker.stop()
    assert job.status == "failed" and "index unreachable" in (job.error or "")
    with db.session() as session:
        batch = session.exec(select(JobBatch).where(JobBatch.job_id == job.id)).one()
    assert batch.attempts == 3


def test_a_start_step_that_keeps_meeting_a_transient_fault_fails_the_job_with_its_reason(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lumen.jobs.worker.RETRY_BASE_S", 0.01)
    counted: list[str] = []

    def unreachable(job: Job) -> int:
        counted.append(job.source)
        raise ConnectionError("could not download http://archive.example/medquad.zip")

    def never(_job: Job, _start: int, _stop: int, _report: ProgressReporter) -> int:
        raise AssertionError("no batch runs when the source was never counted")

    kind = JobKind(
        queue=INGEST, run=never, count=unreachable, batch_size=2,
        finish_action=AuditAction.INGESTION_FINISH,
    )  # fmt: skip
    worker = JobWorker(
        db, {"load": kind, "ok": single(INGEST, lambda _job, _report: 0)}, Limits(max_attempts=3)
    )
    job = _wait(db, worker.submit("load", "x").id, timeout_s=20)
    after = _wait(db, worker.submit("ok", "y").id, timeout_s=20)
    worker.stop()
    assert job.status == "failed", "a start that keeps failing ends failed, not left queued"
    assert job.error is not None
    assert job.error.startswith("gave up after 3 attempts"), job.error
    assert "ConnectionError: could not download" in job.error
    assert (job.attempts, len(counted)) == (3, 3)
    assert job.finished_at is not None and _batches(db, job.id) == []
    assert _entries(db, "ingestion.finish") == [(str(job.id), "failure")]
    assert after.status == "succeeded", "the queue goes on after the failed job"


def test_a_start_fault_that_clears_is_retried_and_the_job_runs(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lumen.jobs.worker.RETRY_BASE_S", 0.01)
    faults = [ConnectionError("index unreachable")]

    def count(_job: Job) -> int:
        if faults:
            raise faults.pop()
        return 4

    seen: list[tuple[int, int]] = []
    kind = _counting_kind(seen, batch_size=2, total=4)
    kind = JobKind(queue=INGEST, run=kind.run, count=count, batch_size=2)
    worker = JobWorker(db, {"load": kind}, Limits(max_attempts=3))
    job = _wait(db, worker.submit("load", "x").id, timeout_s=20)
    worker.stop()
    assert (job.status, job.done, job.error) == ("succeeded", 4, None)
    assert job.attempts == 2 and seen == [(0, 2), (2, 4)]


def test_a_poison_batch_fails_its_job_with_the_reason_and_the_other_batches_run(
    db: Database,
) -> None:
    def run(_job: Job, start: int, stop: int, report: ProgressReporter) -> int:
        if start == 2:
            raise ValueError("not a MedQuAD document: <html>")
        report(stop - start, None)
        return 0

    kind = JobKind(queue=INGEST, run=run, count=lambda _job: 6, batch_size=2)
    worker = JobWorker(db, {"load": kind, "ok": single(INGEST, lambda _job, _report: 0)})
    job = _wait(db, worker.submit("load", "x").id)
    after = _wait(db, worker.submit("ok", "y").id)
    worker.stop()
    assert job.status == "failed" and "not a MedQuAD document" in (job.error or "")
    assert _batches(db, job.id) == [(0, 2, "succeeded"), (2, 4, "failed"), (4, 6, "succeeded")]
    assert job.done == 4
    assert after.status == "succeeded"


def test_cancellation_stops_a_running_job_between_batches(db: Database) -> None:
    started, release = threading.Event(), threading.Event()
    ran: list[int] = []

    def run(_job: Job, start: int, _stop: int, _report: ProgressReporter) -> int:
        ran.append(start)
        started.set()
        release.wait(30)
        return 0

    kind = JobKind(queue=INGEST, run=run, count=lambda _job: 5, batch_size=1)
    worker = JobWorker(db, {"load": kind})
    job = worker.submit("load", "x")
    assert started.wait(30)
    worker.cancel(job.id, AuditEvent(AuditAction.JOB_CANCEL, actor_role="admin"))
    release.set()
    ended = _wait(db, job.id)
    worker.stop()
    assert ran == [0]
    assert (ended.status, ended.done) == ("cancelled", 1)
    assert [status for _, _, status in _batches(db, job.id)] == ["succeeded"] + ["cancelled"] * 4
    assert _entries(db, "job.cancel") == [(str(job.id), "success")]


def test_an_export_does_not_wait_behind_a_bulk_load(db: Database) -> None:
    release = threading.Event()

    def load(_job: Job, _report: ProgressReporter) -> int:
        release.wait(30)
        return 0

    kinds = {"load": single(INGEST, load), "export": single(EXPORT, lambda _job, _report: 0)}
    worker = JobWorker(db, kinds)
    loading = worker.submit("load", "x")
    exported = _wait(db, worker.submit("export", "y").id, timeout_s=10)
    release.set()
    assert _wait(db, loading.id).status == "succeeded"
    worker.stop()
    assert exported.status == "succeeded"


def test_a_job_left_running_resumes_at_its_unfinished_batches(db: Database) -> None:
    seen: list[tuple[int, int]] = []
    with db.session() as session:
        orphan = Job(kind="load", source="x", status="running", total=6)
        session.add(orphan)
        session.flush()
        session.add_all(
            [
                JobBatch(job_id=orphan.id, seq=0, start=0, stop=3, status="succeeded", done=3),
                # Claimed a moment ago by the process that died: no one else runs it.
                JobBatch(
                    job_id=orphan.id,
                    seq=1,
                    start=3,
                    stop=6,
                    status="running",
                    claimed_at=utcnow(),
                    done=2,
                ),  # fmt: skip
            ]
        )
        session.commit()
        session.refresh(orphan)
    worker = JobWorker(db, {"load": _counting_kind(seen, batch_size=3, total=6)})
    worker.resume_unfinished()
    job = _wait(db, orphan.id)
    worker.stop()
    assert seen == [(3, 6)]
    assert (job.status, job.done) == ("succeeded", 6)
