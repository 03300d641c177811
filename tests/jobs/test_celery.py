"""Jobs on real Celery worker processes (``lumen worker``) against this machine's Redis and
PostgreSQL: a job submitted through the API completes on a worker; a worker killed with
SIGKILL in the middle of a batch leaves no half document and another worker finishes the job
with no duplicate points or rows; a poison input fails its job with a readable reason and the
worker goes on; a source that stays unreachable fails its job after the attempt limit;
cancellation stops a running job between batches; stale-job recovery sends a queued batch
again only once its task has expired.

The index is qdrant-client's local mode (no Qdrant server can run here): it opens in one process
at a time, so the API server gets an index folder of its own and the workers take turns on
theirs. What that leaves untested is several workers writing one index at the same moment.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from qdrant_client import QdrantClient
from sqlalchemy import create_engine, text, update
from sqlmodel import col

from lumen.db import Database, utcnow
from lumen.jobs.celery_app import RECOVER, WorkerContext, create_celery, register_tasks
from lumen.jobs.execution import Limits
from lumen.jobs.kinds import INGEST, JobKind
from lumen.jobs.models import Job, JobBatch
from lumen.knowledge.loaders.medquad import open_medquad
from lumen.knowledge.schemas import SourceDocument
from lumen.migrate import upgrade_to_head
from lumen.settings import Settings
from tests.conftest import require_service
from tests.servers import ROOT, free_port, lumen_serve

REDIS_URL = "redis://127.0.0.1:6379/0"
MEDQUAD_FOLDER = "MedQuAD-master/8_NHLBI_QA_XML/"
OPERATOR_HEADER = "X-Lumen-Operator-Token"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own on the machine's Redis, deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        require_service("Redis on 127.0.0.1:6379", str(exc))
    prefix = f"lumen-test-{uuid.uuid4().hex[:8]}"
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def env(tmp_path: Path, postgres_url: str, redis_prefix: str) -> dict[str, str]:
    """Settings shared by the API server and the workers: one database, one broker."""
    upgrade_to_head(postgres_url)
    return {
        "LUMEN_DATABASE_URL": postgres_url,
        "LUMEN_REDIS_URL": REDIS_URL,
        "LUMEN_REDIS_KEY_PREFIX": redis_prefix,
        "LUMEN_JOBS_RUNNER": "celery",
        "LUMEN_JOB_BATCH_SIZE": "4",
        # Short enough that a killed worker's batch comes back within seconds.
        "LUMEN_JOB_STALE_AFTER_S": "3",
        "LUMEN_CELERY_VISIBILITY_TIMEOUT_S": "6",
        "LUMEN_LOG_LEVEL": "INFO",
        "HF_HUB_OFFLINE": "1",
        "LUMEN_AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
        # The API and the workers must hold the same message keys.
        "LUMEN_ENCRYPTION_KEYS": "k1:" + base64.b64encode(os.urandom(32)).decode(),
    }


@pytest.fixture
def medquad_slice(tmp_path: Path, shared_data: Path) -> Path:
    """A zip of 24 real MedQuAD files (NHLBI), six batches of four."""
    target = tmp_path / "medquad-slice.zip"
    with (
        zipfile.ZipFile(shared_data / "medquad" / "MedQuAD-master.zip") as source,
        zipfile.ZipFile(target, "w") as out,
    ):
        names = sorted(
            n for n in source.namelist() if n.startswith(MEDQUAD_FOLDER) and n.endswith(".xml")
        )
        for name in names[:24]:
            out.writestr(name, source.read(name))
    return target


@contextmanager
def api_server(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """``lumen serve`` submitting jobs to Celery; yields its URL and the operator header."""
    data_dir = tmp_path / "api"
    server_env = {**env, "LUMEN_QDRANT_PATH": str(data_dir / "qdrant")}
    with lumen_serve(data_dir, server_env, log=tmp_path / "api.log") as (url, _pid):
        token = json.loads((data_dir / "server.json").read_text())["operator_token"]
        yield url, {OPERATOR_HEADER: token}


class Worker:
    """One ``lumen worker`` process (solo pool: its own process runs the tasks)."""

    def __init__(self, tmp_path: Path, env: dict[str, str], name: str) -> None:
        self.data_dir = tmp_path / "worker"
        self.log = tmp_path / f"{name}.log"
        worker_env = {
            **os.environ,
            **env,
            "LUMEN_DATA_DIR": str(self.data_dir),
            "LUMEN_QDRANT_PATH": str(self.data_dir / "qdrant"),
        }
        self._output = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lumen.cli", "worker", "--pool", "solo"],
            cwd=ROOT, env=worker_env, stdout=self._output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL, no chance to acknowledge or clean up."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        self._output.close()

    def stop(self) -> None:
        """Warm shutdown (SIGTERM: Celery finishes the running task)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self._output.close()

    def points(self) -> int:
        """Points in this worker's index (call once no worker holds it)."""
        client = QdrantClient(path=str(self.data_dir / "qdrant"))
        try:
            return client.count("lumen", exact=True).count
        finally:
            client.close()

    def chunk_indexes(self) -> dict[str, list[int]]:
        """Per document id, the sorted ``chunk_index`` of its points in this worker's index
        (call once no worker holds it)."""
        client = QdrantClient(path=str(self.data_dir / "qdrant"))
        found: dict[str, list[int]] = {}
        try:
            if not client.collection_exists("lumen"):
                return found
            offset = None
            while True:
                points, offset = client.scroll(
                    "lumen", limit=1000, offset=offset, with_payload=["document_id", "chunk_index"]
                )
                for point in points:
                    payload = point.payload or {}
                    found.setdefault(str(payload["document_id"]), []).append(
                        int(payload["chunk_index"])
                    )
                if offset is None:
                    return {doc: sorted(indexes) for doc, indexes in found.items()}
        finally:
            client.close()


def _submit(url: str, operator: dict[str, str], kind: str, source: str) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/api/v1/jobs", json={"kind": kind, "source": source}, headers=operator
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


def _job(url: str, operator: dict[str, str], job_id: str) -> dict[str, Any]:
    return dict(httpx.get(f"{url}/api/v1/jobs/{job_id}", headers=operator).json())


def _wait_until(
    url: str, operator: dict[str, str], job_id: str, done: Any, timeout_s: float = 240
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = _job(url, operator, job_id)
        if done(job):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job never got there: {_job(url, operator, job_id)}")


def _finished(job: dict[str, Any]) -> bool:
    return job["status"] in ("succeeded", "failed", "cancelled")


def _rows(database_url: str, sql: str) -> list[Any]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)).all())
    finally:
        engine.dispose()


def test_a_job_submitted_through_the_api_completes_on_a_worker_process(
    tmp_path: Path, env: dict[str, str], shared_data: Path
) -> None:
    worker = Worker(tmp_path, env, "worker")
    try:
        with api_server(tmp_path, env) as (url, operator):
            labels = str(shared_data / "drug_labels" / "spl")
            job = _submit(url, operator, "ingest_spl", labels)
            job = _wait_until(url, operator, job["id"], _finished)
    finally:
        worker.stop()
    assert (job["status"], job["done"], job["total"], job["error"]) == ("succeeded", 5, 5, None)
    documents = _rows(env["LUMEN_DATABASE_URL"], "SELECT status, chunk_count FROM documents")
    assert [status for status, _ in documents] == ["indexed"] * 5
    assert worker.points() == sum(chunks for _, chunks in documents)
    batches = _rows(env["LUMEN_DATABASE_URL"], "SELECT status FROM job_batches ORDER BY seq")
    assert [status for (status,) in batches] == ["succeeded", "succeeded"]  # 4 + 1 labels
    assert "lumen.jobs.batch" in worker.log.read_text(), "the batches ran on the worker"
    actions = _rows(
        env["LUMEN_DATABASE_URL"],
        f"SELECT action, outcome FROM audit_entries WHERE object_id = '{job['id']}' ORDER BY id",
    )
    assert actions == [("ingestion.submit", "success"), ("ingestion.finish", "success")]


def _loader_sections(medquad_slice: Path, downloads: Path) -> dict[str, list[int]]:
    """What the MedQuAD loader makes of the slice: per document id, its section positions."""
    return {
        item.id: list(range(len(item.sections)))
        for item in open_medquad(medquad_slice, downloads)
        if isinstance(item, SourceDocument)
    }


def _whole_documents(
    database: str, chunks: dict[str, list[int]], sections: dict[str, list[int]]
) -> list[str]:
    """Check that no half document is visible and return the ids of the ``indexed`` ones.

    A batch writes a document's row as ``indexing``, its points, then its sections in the
    transaction that flips it to ``indexed``: an ``indexed`` document must have every section
    the loader gives it (positions 0..n-1, once each) and a point for each of its
    ``chunk_count`` chunks (chunk indexes 0..n-1, once each, no leftover); one still
    ``indexing`` has no sections."""
    rows = _rows(database, "SELECT id, status, chunk_count FROM documents ORDER BY id")
    stored: dict[str, list[int]] = {}
    for document_id, position in _rows(
        database, "SELECT document_id, position FROM document_sections ORDER BY 1, 2"
    ):
        stored.setdefault(document_id, []).append(position)
    indexed = []
    for document_id, status, chunk_count in rows:
        if status == "indexed":
            assert stored.get(document_id) == sections[document_id], document_id
            assert chunks.get(document_id) == list(range(chunk_count)), document_id
            indexed.append(document_id)
        else:
            assert status == "indexing" and document_id not in stored, document_id
    assert set(stored) <= {document_id for document_id, _, _ in rows}, "orphan sections"
    return indexed


def test_a_worker_killed_mid_batch_leaves_no_half_document_and_another_finishes_the_job(
    tmp_path: Path, env: dict[str, str], medquad_slice: Path
) -> None:
    sections = _loader_sections(medquad_slice, tmp_path / "downloads")
    first = Worker(tmp_path, env, "first")
    with api_server(tmp_path, env) as (url, operator):
        job = _submit(url, operator, "ingest_medquad", str(medquad_slice))
        database = env["LUMEN_DATABASE_URL"]

        def mid_batch(_job: dict[str, Any]) -> bool:
            # One batch finished and the next claimed: the worker is inside a batch.
            states = [s for (s,) in _rows(database, "SELECT status FROM job_batches")]
            return "succeeded" in states and "running" in states

        _wait_until(url, operator, job["id"], mid_batch)
        first.kill()
        # What the killed worker left, before another runs: whole documents only.
        before = _whole_documents(database, first.chunk_indexes(), sections)
        assert len(before) >= 4, "the batch that finished before the kill is there, whole"
        second = Worker(tmp_path, env, "second")
        try:
            job = _wait_until(url, operator, job["id"], _finished)
        finally:
            second.stop()
    assert (job["status"], job["done"], job["total"]) == ("succeeded", 24, 24), job
    documents = _rows(database, "SELECT status, chunk_count FROM documents")
    assert documents and {status for status, _ in documents} == {"indexed"}
    assert second.points() == sum(chunks for _, chunks in documents), "no duplicate points"
    # Every document the loader gives, each with exactly its sections and one point per chunk.
    assert sorted(_whole_documents(database, second.chunk_indexes(), sections)) == sorted(sections)
    retried = _rows(database, "SELECT max(attempts) FROM job_batches")
    assert retried[0][0] >= 2, "the killed worker's batch was run again"
    assert "lumen.jobs.batch" in second.log.read_text()


def test_a_poison_input_fails_its_job_with_a_readable_reason_and_the_worker_goes_on(
    tmp_path: Path, env: dict[str, str], shared_data: Path
) -> None:
    poison = tmp_path / "labels.zip"
    poison.write_bytes(b"this is not a zip archive")
    worker = Worker(tmp_path, env, "worker")
    try:
        with api_server(tmp_path, env) as (url, operator):
            failed = _submit(url, operator, "ingest_spl", str(poison))
            failed = _wait_until(url, operator, failed["id"], _finished)
            labels = str(shared_data / "drug_labels" / "spl")
            after = _submit(url, operator, "ingest_spl", labels)
            after = _wait_until(url, operator, after["id"], _finished)
    finally:
        worker.stop()
    assert failed["status"] == "failed"
    assert "not a readable zip archive" in failed["error"], failed["error"]
    assert after["status"] == "succeeded"


def test_a_source_that_stays_unreachable_fails_its_job_after_the_attempt_limit(
    tmp_path: Path, env: dict[str, str], shared_data: Path
) -> None:
    # A real network fault: the archive's URL is a loopback port nobody listens on.
    env = {**env, "LUMEN_JOB_MAX_ATTEMPTS": "3"}
    unreachable = f"http://127.0.0.1:{free_port()}/MedQuAD-master.zip"
    worker = Worker(tmp_path, env, "worker")
    try:
        with api_server(tmp_path, env) as (url, operator):
            failed = _submit(url, operator, "ingest_medquad", unreachable)
            # Retried after 2 and 4 s of back-off, then failed: well within the minute.
            failed = _wait_until(url, operator, failed["id"], _finished, timeout_s=60)
            labels = str(shared_data / "drug_labels" / "spl")
            after = _submit(url, operator, "ingest_spl", labels)
            after = _wait_until(url, operator, after["id"], _finished)
    finally:
        worker.stop()
    assert failed["status"] == "failed", failed
    assert failed["error"].startswith("gave up after 3 attempts"), failed["error"]
    assert f"could not download {unreachable}" in failed["error"], failed["error"]
    database = env["LUMEN_DATABASE_URL"]
    attempts = _rows(database, f"SELECT attempts FROM jobs WHERE id = '{failed['id']}'")
    assert attempts == [(3,)]
    batches = _rows(database, f"SELECT count(*) FROM job_batches WHERE job_id = '{failed['id']}'")
    assert batches == [(0,)], "no batch of a source that was never read"
    assert worker.log.read_text().count("retry: Retry in") == 2, "two retries with back-off"
    assert after["status"] == "succeeded", "the worker goes on"


def _queued_batch_seqs(redis_prefix: str) -> list[int]:
    """The batch numbers of the ``lumen.jobs.batch`` tasks waiting in the ``ingest`` queue."""
    client = redis.Redis.from_url(REDIS_URL)
    messages = [json.loads(raw) for raw in client.lrange(f"{redis_prefix}:celery:ingest", 0, -1)]
    return sorted(
        json.loads(base64.b64decode(m["body"]))[0][1]
        for m in messages
        if m["headers"]["task"] == "lumen.jobs.batch"
    )


def test_stale_job_recovery_sends_a_queued_batch_again_only_once_its_task_has_expired(
    migrated: tuple[Settings, Database], redis_prefix: str
) -> None:
    _, db = migrated
    settings = Settings(
        redis_url=REDIS_URL, redis_key_prefix=redis_prefix, celery_task_expires_s=3600
    )
    now, long_ago = utcnow(), utcnow() - timedelta(hours=2)
    with db.session() as session:
        job = Job(kind="load", source="x", status="running", total=8)
        session.add(job)
        session.flush()
        session.add_all(
            [
                # Queued a moment ago: its task is still in the queue, behind others.
                JobBatch(job_id=job.id, seq=0, start=0, stop=2, queued_at=now),
                # Queued for longer than a task's expiry: its task is gone.
                JobBatch(job_id=job.id, seq=1, start=2, stop=4, queued_at=long_ago),
                # Queued before the column existed (NULL, below).
                JobBatch(job_id=job.id, seq=2, start=4, stop=6),
                # Claimed by a worker that has been silent for ten minutes.
                JobBatch(
                    job_id=job.id,
                    seq=3,
                    start=6,
                    stop=8,
                    status="running",
                    claimed_at=now - timedelta(minutes=10),
                    queued_at=long_ago,
                ),
            ]
        )
        session.flush()
        session.exec(update(JobBatch).where(col(JobBatch.seq) == 2).values(queued_at=None))
        session.commit()
    app = create_celery(settings)
    kind = JobKind(queue=INGEST, run=lambda _job, _a, _b, _report: 0, count=lambda _job: 8)
    context = WorkerContext(db, {"load": kind}, Limits(stale_after_s=60))
    register_tasks(app, settings, lambda: context)
    try:
        first = app.tasks[RECOVER]()
        assert _queued_batch_seqs(redis_prefix) == [1, 2, 3]
        second = app.tasks[RECOVER]()
    finally:
        app.close()
    assert (first, second) == (3, 1), "the re-sent queued batches are not sent again at once"
    assert _queued_batch_seqs(redis_prefix) == [1, 2, 3, 3]


def test_cancellation_stops_a_running_job_between_batches(
    tmp_path: Path, env: dict[str, str], medquad_slice: Path
) -> None:
    worker = Worker(tmp_path, env, "worker")
    try:
        with api_server(tmp_path, env) as (url, operator):
            job = _submit(url, operator, "ingest_medquad", str(medquad_slice))
            _wait_until(url, operator, job["id"], lambda j: j["done"] > 0)
            cancel = httpx.post(f"{url}/api/v1/jobs/{job['id']}/cancel", headers=operator)
            assert cancel.status_code == 200, cancel.text
            job = _wait_until(url, operator, job["id"], _finished)
    finally:
        worker.stop()
    assert job["status"] == "cancelled" and job["error"] == "cancelled on request"
    assert 0 < job["done"] < 24
    states = [s for (s,) in _rows(env["LUMEN_DATABASE_URL"], "SELECT status FROM job_batches")]
    assert "cancelled" in states and "running" not in states and "queued" not in states


@contextmanager
def _patient(url: str) -> Iterator[httpx.Client]:
    """A freshly registered patient's client, sending the session's CSRF token on writes."""
    with httpx.Client(base_url=url, timeout=60) as client:
        yield _signed_up(client)


def _signed_up(client: httpx.Client) -> httpx.Client:
    client.get("/api/v1/auth/csrf")
    registered = client.post(
        "/api/v1/auth/register",
        json={"email": f"p-{uuid.uuid4().hex[:10]}@example.org",
              "password": "violet-harbour-lantern-42"},
        headers={"X-CSRF-Token": client.cookies["lumen_csrf"]},
    )  # fmt: skip
    assert registered.status_code in (200, 201), registered.text
    client.headers["X-CSRF-Token"] = registered.json()["csrf_token"]
    return client


def test_a_patients_full_fhir_export_runs_on_the_export_queue_of_a_worker(
    tmp_path: Path, env: dict[str, str]
) -> None:
    worker = Worker(tmp_path, env, "worker")
    try:
        with api_server(tmp_path, env) as (url, _operator), _patient(url) as patient:
            conversation = patient.post("/api/v1/conversations", json={}).json()["id"]
            asked = patient.post(
                f"/api/v1/conversations/{conversation}/messages",
                json={"content": "What is high blood pressure?"},
                headers={"Accept": "text/event-stream"},
            )
            assert asked.status_code == 200 and "event: done" in asked.text
            started = patient.post("/api/v1/fhir/exports", json={})
            assert started.status_code == 202, started.text
            export_id = started.json()["id"]
            deadline = time.monotonic() + 120
            status = patient.get(f"/api/v1/fhir/exports/{export_id}").json()
            while status["status"] in ("queued", "running"):
                assert time.monotonic() < deadline, status
                time.sleep(0.3)
                status = patient.get(f"/api/v1/fhir/exports/{export_id}").json()
            assert (status["status"], status["done"], status["total"]) == ("succeeded", 1, 1)
            bundle = patient.get(f"/api/v1/fhir/exports/{export_id}/bundle").json()
    finally:
        worker.stop()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "Device", "Communication", "Provenance"} <= kinds
    log = worker.log.read_text()
    assert "lumen.jobs.batch" in log and "export" in log, "the export ran on the worker"
