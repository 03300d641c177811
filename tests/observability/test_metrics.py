"""``GET /metrics`` keeps the contract the alert rules and the dashboard rely on (infra/): the
names, types and labels of ``lumen.observability.metrics``, values that move when what they
count happens, and no user data in any label. Scrapes are parsed with prometheus_client's own
parser."""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import anyio
import httpx
import pytest
import sqlalchemy as sa
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from lumen.app import create_app
from lumen.db import Database, utcnow
from lumen.jobs.models import Job
from lumen.jobs.service import JobService
from lumen.jobs.worker import JobWorker
from lumen.migrate import upgrade_to_head
from lumen.observability.metrics import FIRST_TOKEN_BUCKETS_S, METRIC_NAMES, Metrics
from lumen.settings import Settings
from tests.accounts import register
from tests.chat.sse_client import new_conversation, stream_answer
from tests.conftest import LiveServer
from tests.observability.scrapes import families_of, scrape, value, wait_for
from tests.servers import free_port

MESSAGES_ROUTE = "/api/v1/conversations/{conversation_id}/messages"


# --- the contract itself ---------------------------------------------------------------------

CONTRACT = {  # family: (type, label names of its samples but le)
    "lumen_http_requests": ("counter", {"handler", "method", "status"}),
    "lumen_http_request_duration_seconds": ("histogram", {"handler", "method"}),
    "lumen_answer_first_token_seconds": ("histogram", {"engine"}),
    "lumen_answers": ("counter", {"engine", "status"}),
    "lumen_jobs": ("gauge", {"kind", "status"}),
    "lumen_jobs_oldest_queued_age_seconds": ("gauge", {"kind"}),
    "lumen_llm_breaker_open": ("gauge", set()),
    "lumen_audit_chain_verified": ("gauge", set()),
    "lumen_audit_last_verification_timestamp_seconds": ("gauge", set()),
}


def test_every_listed_name_is_scraped_with_the_contracts_type_and_labels(live_server) -> None:  # type: ignore[no-untyped-def]
    httpx.get(f"{live_server.url}/api/v1/auth/csrf")  # one measured request, at least
    text = httpx.get(f"{live_server.url}/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}

    assert set(METRIC_NAMES) == set(CONTRACT)
    assert {name for name in families if name.startswith("lumen_")} == set(METRIC_NAMES)
    for name, (kind, labels) in CONTRACT.items():
        family = families[name]
        assert family.type == kind, name
        assert family.samples, f"{name} has samples"
        for sample in family.samples:
            assert set(sample.labels) - {"le"} == labels, sample
    first_token = families["lumen_answer_first_token_seconds"].samples
    edges = sorted({float(s.labels["le"]) for s in first_token if s.name.endswith("_bucket")})
    assert edges == [*FIRST_TOKEN_BUCKETS_S, float("inf")]
    assert {s.labels["engine"] for s in first_token} == {"extractive", "llm", "triage"}
    assert families["process_resident_memory_bytes"].samples[0].value > 0


# --- answers ---------------------------------------------------------------------------------


def test_an_answered_question_counts_its_first_token_and_a_complete_answer(  # type: ignore[no-untyped-def]
    live_server, patient
) -> None:
    conversation = new_conversation(patient.client)
    before = scrape(live_server.url)
    started = time.perf_counter()
    answer = stream_answer(
        patient.client, conversation, "What are the contraindications of Lipitor?"
    )
    elapsed_s = time.perf_counter() - started
    after = scrape(live_server.url)

    assert answer.first("meta")["engine"] == "extractive" and answer.names[-1] == "done"
    count, total = "lumen_answer_first_token_seconds_count", "lumen_answer_first_token_seconds_sum"
    assert value(after, count, engine="extractive") == value(before, count, engine="extractive") + 1
    waited_s = value(after, total, engine="extractive") - value(before, total, engine="extractive")
    assert 0 < waited_s < elapsed_s, "the first token came within the request the client timed"
    complete = {"engine": "extractive", "status": "complete"}
    assert value(after, "lumen_answers_total", **complete) == (
        value(before, "lumen_answers_total", **complete) + 1
    )
    posted = {"handler": MESSAGES_ROUTE, "method": "POST", "status": "2xx"}
    assert value(after, "lumen_http_requests_total", **posted) == (
        value(before, "lumen_http_requests_total", **posted) + 1
    )


def test_a_crisis_message_counts_an_escalation_not_a_complete_answer(  # type: ignore[no-untyped-def]
    live_server, patient
) -> None:
    conversation = new_conversation(patient.client)
    before = scrape(live_server.url)
    answer = stream_answer(
        patient.client, conversation, "I want to end my life tonight, I have the pills ready"
    )
    after = scrape(live_server.url)

    assert answer.first("meta")["kind"] == "escalation"
    for status, grew in (("escalation", 1), ("complete", 0)):
        labels = {"engine": "triage", "status": status}
        assert value(after, "lumen_answers_total", **labels) == (
            value(before, "lumen_answers_total", **labels) + grew
        )


# --- HTTP ------------------------------------------------------------------------------------


def test_a_404_counts_as_4xx_under_its_route_template_and_probes_are_not_counted(  # type: ignore[no-untyped-def]
    live_server, patient
) -> None:
    unknown = uuid.uuid4()
    before = scrape(live_server.url)
    assert patient.client.get(f"/api/v1/conversations/{unknown}").status_code == 404
    assert httpx.get(f"{live_server.url}/healthz").status_code == 200
    after = scrape(live_server.url)

    labels = {
        "handler": "/api/v1/conversations/{conversation_id}",
        "method": "GET",
        "status": "4xx",
    }
    assert value(after, "lumen_http_requests_total", **labels) == (
        value(before, "lumen_http_requests_total", **labels) + 1
    )
    handlers = {s.labels["handler"] for s in after["lumen_http_requests"]}
    assert not any(str(unknown) in handler for handler in handlers)
    assert not handlers & {"/healthz", "/readyz", "/metrics", "/metrics/"}


def test_no_label_value_carries_the_users_email_or_question(live_server, patient) -> None:  # type: ignore[no-untyped-def]
    question = f"Is atorvastatin safe with grapefruit juice {uuid.uuid4().hex[:8]}?"
    conversation = new_conversation(patient.client)
    stream_answer(patient.client, conversation, question)
    patient.client.get(f"/api/v1/conversations/{conversation}")

    values = {
        v
        for samples in scrape(live_server.url).values()
        for s in samples
        for v in s.labels.values()
    }
    for private in (patient.email, patient.user_id, conversation, question, "grapefruit"):
        assert not any(private in v for v in values), private


# --- jobs ------------------------------------------------------------------------------------


@pytest.fixture
def queued_job(small_runtime) -> Iterator[Job]:  # type: ignore[no-untyped-def]
    """An ingestion job queued a minute ago that no worker has taken (as behind a backlog);
    removed afterwards (the live server's other tests expect no unfinished job)."""
    job = Job(kind="ingest_spl", source="metrics-test", created_at=utcnow() - timedelta(minutes=1))
    with small_runtime.db.session() as session:
        session.add(job)
        session.commit()
    yield job
    with small_runtime.db.session() as session:
        session.execute(sa.delete(Job).where(Job.id == job.id))  # type: ignore[arg-type]
        session.commit()


def test_a_queued_job_is_counted_and_its_age_grows(live_server, queued_job: Job) -> None:  # type: ignore[no-untyped-def]
    first = scrape(live_server.url)
    time.sleep(1.1)
    second = scrape(live_server.url)

    assert value(first, "lumen_jobs", kind="ingest_spl", status="queued") >= 1
    age = "lumen_jobs_oldest_queued_age_seconds"
    assert value(first, age, kind="ingest_spl") >= 60
    assert value(second, age, kind="ingest_spl") >= value(first, age, kind="ingest_spl") + 1
    assert value(second, age, kind="ingest_medquad") == 0, "a kind with nothing queued is 0"
    statuses = {s.labels["status"] for s in second["lumen_jobs"]}
    assert statuses == {"queued", "running", "succeeded", "failed", "cancelled"}


def test_the_job_gauges_are_one_group_by_query_on_sqlite_and_postgresql(
    migrated: tuple[Settings, Database],
) -> None:
    _settings, job_database = migrated
    now = utcnow()
    with job_database.session() as session:
        for minutes, status in ((10, "queued"), (3, "queued"), (30, "succeeded"), (1, "running")):
            session.add(
                Job(
                    kind="export_fhir",
                    source="x",
                    status=status,
                    created_at=now - timedelta(minutes=minutes),
                )
            )
        session.commit()
    worker = JobWorker(job_database, {})
    metrics = Metrics()
    metrics.server.bind(JobService(job_database, worker), None, None)  # type: ignore[arg-type]
    statements: list[str] = []
    sa.event.listen(
        job_database.engine, "before_cursor_execute", lambda *a: statements.append(a[2])
    )
    try:
        families = families_of(generate_latest(metrics.registry).decode())
    finally:
        worker.stop()

    assert len(statements) == 1 and "GROUP BY" in statements[0]
    assert value(families, "lumen_jobs", kind="export_fhir", status="queued") == 2
    assert value(families, "lumen_jobs", kind="export_fhir", status="succeeded") == 1
    assert value(families, "lumen_jobs", kind="export_fhir", status="failed") == 0
    age_s = value(families, "lumen_jobs_oldest_queued_age_seconds", kind="export_fhir")
    assert 600 <= age_s < 660, "the oldest queued job's age, not the newest's"


def test_a_database_that_does_not_answer_leaves_the_job_gauges_out_of_a_working_scrape(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/lumen"
    db = Database(Settings(data_dir=tmp_path, database_url=url))
    worker = JobWorker(db, {})
    metrics = Metrics()
    metrics.server.bind(JobService(db, worker), None, None)  # type: ignore[arg-type]
    try:
        with caplog.at_level(logging.WARNING, logger="lumen.observability.metrics"):
            families = families_of(generate_latest(metrics.registry).decode())
    finally:
        worker.stop()

    assert families["lumen_jobs"] == [] and families["lumen_jobs_oldest_queued_age_seconds"] == []
    assert families["lumen_llm_breaker_open"][0].value == 0
    assert families["process_resident_memory_bytes"][0].value > 0
    (record,) = caplog.records
    assert "database did not answer (OperationalError)" in record.getMessage()
    assert str(db.url) not in record.getMessage() and "127.0.0.1" not in record.getMessage()


# --- the audit chain's scheduled verification ------------------------------------------------


@pytest.fixture
def audited_server(tmp_path: Path, embedder) -> Iterator[tuple[LiveServer, Path]]:  # type: ignore[no-untyped-def]
    """A real server of its own (its audit log gets tampered with) verifying its chain every
    0.2 s; its URL and SQLite file."""
    from lumen.runtime import build_server

    settings = Settings(data_dir=tmp_path, audit_verify_interval_s=0.2)
    upgrade_to_head(settings.sqlalchemy_url)
    runtime = build_server(settings, embedder)
    server = LiveServer(create_app(settings, runtime=runtime))
    yield server, tmp_path / "lumen.db"
    server.stop()
    anyio.run(runtime.aclose)


def test_a_tampered_audit_entry_makes_the_scheduled_verification_report_0(
    audited_server: tuple[LiveServer, Path],
) -> None:
    server, database = audited_server
    register(server.url).client.close()  # a registration and a sign-in: audited
    registered_at = time.time()
    verified, at = "lumen_audit_chain_verified", "lumen_audit_last_verification_timestamp_seconds"

    def verified_since(moment: float) -> float | None:
        families = scrape(server.url)
        return value(families, verified) if value(families, at) > moment else None

    # A check after the registration has sealed its entries (a check seals first) and passed.
    wait_for(lambda: verified_since(registered_at) == 1)
    with sqlite3.connect(database) as raw:  # as an attacker with the database file would
        assert raw.execute("SELECT count(*) FROM audit_entries WHERE seq = 1").fetchone() == (1,)
        raw.execute("DROP TRIGGER audit_entries_no_update")
        raw.execute("UPDATE audit_entries SET actor_role = 'admin' WHERE seq = 1")
    tampered_at = time.time()

    wait_for(lambda: verified_since(tampered_at) == 0)
