"""The admin knowledge page's own routes through the real API (real app and uvicorn, real
SQLite, the in-process job runner): counts per source and collection that match the documents
table, documents filtered by update time, and re-running an ingestion job, audited; admins
only, refusals as problem+json."""

from __future__ import annotations

import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent
from lumen.knowledge.tasks import INGEST_SPL
from tests.accounts import audit_rows

PROBLEM = "application/problem+json"
FINISHED = ("succeeded", "failed", "cancelled")


def wait_for_job(client: httpx.Client, job_id: str, timeout_s: float = 240) -> dict[str, Any]:
    """The job once it has finished."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in FINISHED:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_the_summary_counts_documents_and_chunks_per_source_and_collection(  # type: ignore[no-untyped-def]
    admin, small_runtime
) -> None:
    summary = admin.client.get("/api/v1/admin/knowledge/summary")
    assert summary.status_code == 200, summary.text
    body = summary.json()
    with sqlite3.connect(small_runtime.settings.data_dir / "lumen.db") as raw:
        by_source = dict(
            raw.execute("SELECT source, count(*) FROM documents GROUP BY source").fetchall()
        )
        chunks = raw.execute("SELECT sum(chunk_count) FROM documents").fetchone()[0]
    assert {s["name"]: s["documents"] for s in body["sources"]} == by_source
    assert body["documents"] == sum(by_source.values())
    assert body["chunks"] == chunks > 0
    assert sum(c["documents"] for c in body["collections"]) == body["documents"]
    spl = next(s for s in body["sources"] if s["name"] == "spl")
    assert spl["documents"] == 5 and spl["chunks"] > 0 and spl["last_updated_at"]
    assert {"drug_labels", "consumer_health"} <= {c["name"] for c in body["collections"]}


def test_documents_are_filtered_by_update_time(admin) -> None:  # type: ignore[no-untyped-def]
    route = "/api/v1/admin/knowledge/documents"
    everything = admin.client.get(route, params={"limit": 1}).json()
    assert everything["total"] > 5
    newest = datetime.fromisoformat(everything["items"][0]["updated_at"])
    since_ever = admin.client.get(
        route, params={"updated_from": (newest - timedelta(days=3650)).isoformat()}
    ).json()
    assert since_ever["total"] == everything["total"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert admin.client.get(route, params={"updated_from": tomorrow}).json()["total"] == 0
    labels = admin.client.get(
        route, params={"source": "spl", "updated_until": tomorrow, "limit": 200}
    ).json()
    assert labels["total"] == 5 and {d["source"] for d in labels["items"]} == {"spl"}
    backwards = admin.client.get(
        route, params={"updated_from": tomorrow, "updated_until": newest.isoformat()}
    )
    assert backwards.status_code == 422
    assert backwards.headers["content-type"] == PROBLEM
    assert backwards.json()["field"] == "updated_until"


def test_documents_are_filtered_by_collection_and_an_unknown_one_is_refused(  # type: ignore[no-untyped-def]
    admin, small_runtime
) -> None:
    route = "/api/v1/admin/knowledge/documents"
    with sqlite3.connect(small_runtime.settings.data_dir / "lumen.db") as raw:
        ids_by_collection: dict[str, set[str]] = {}
        for collection, document_id in raw.execute("SELECT collection, id FROM documents"):
            ids_by_collection.setdefault(collection, set()).add(document_id)
    assert {"drug_labels", "consumer_health"} <= set(ids_by_collection)
    everything = admin.client.get(route, params={"limit": 1}).json()["total"]
    totals = 0
    for collection in ("drug_labels", "consumer_health", "regulatory"):
        listed = admin.client.get(route, params={"collection": collection, "limit": 200})
        assert listed.status_code == 200, listed.text
        body = listed.json()
        expected = ids_by_collection.get(collection, set())
        assert body["total"] == len(expected), collection
        assert {d["id"] for d in body["items"]} == expected, collection
        assert {d["collection"] for d in body["items"]} <= {collection}
        totals += body["total"]
    assert totals == everything, "every document is in one of the collections"
    labels = admin.client.get(route, params={"collection": "drug_labels", "source": "medquad"})
    assert labels.json() == {"items": [], "total": 0}, "the filters combine"

    unknown = admin.client.get(route, params={"collection": "oncology"})
    assert unknown.status_code == 422, unknown.text
    assert unknown.headers["content-type"] == PROBLEM
    assert ["query", "collection"] in [error["loc"] for error in unknown.json()["errors"]]


def test_an_ingestion_job_runs_again_on_its_source_audited(  # type: ignore[no-untyped-def]
    admin, small_runtime, shared_data
) -> None:
    source = str((shared_data / "drug_labels" / "spl").resolve())
    first = small_runtime.worker.submit(
        INGEST_SPL, source, actor=AuditEvent(AuditAction.INGESTION_SUBMIT, actor_role="operator")
    )
    assert wait_for_job(admin.client, str(first.id))["status"] == "succeeded"

    rerun = admin.client.post(f"/api/v1/admin/knowledge/jobs/{first.id}/rerun")
    assert rerun.status_code == 202, rerun.text
    again = rerun.json()
    assert again["id"] != str(first.id) and again["kind"] == INGEST_SPL
    finished = wait_for_job(admin.client, again["id"])
    assert finished["status"] == "succeeded" and finished["failed_items"] == 0
    submitted = [r for r in audit_rows(small_runtime) if r[4] == "ingestion.submit"]
    assert ("job", str(first.id)) in {(r[5], r[6]) for r in submitted}

    unknown = admin.client.post(f"/api/v1/admin/knowledge/jobs/{uuid.uuid4()}/rerun")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM


def test_only_admins_use_the_knowledge_routes(patient, pharma) -> None:  # type: ignore[no-untyped-def]
    for account in (patient, pharma):
        for refused in (
            account.client.get("/api/v1/admin/knowledge/summary"),
            account.client.get("/api/v1/admin/knowledge/documents"),
            account.client.post(f"/api/v1/admin/knowledge/jobs/{uuid.uuid4()}/rerun"),
        ):
            assert refused.status_code == 403, refused.text
            assert refused.headers["content-type"] == PROBLEM
