"""The FHIR export through the API: real app, real index, real uvicorn, the in-process job
worker; every Bundle that is offered is checked by the independent validator."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

from lumen.db import utcnow
from tests.accounts import audit_rows, register
from tests.chat.sse_client import new_conversation, stream_answer
from tests.fhir.conftest import FhirValidator

QUESTION = "What are the side effects of Lipitor?"
FHIR_JSON = "application/fhir+json"
AI_ASSERTED = "AIAST"


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _export_rows(runtime, export_id: str) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(runtime.settings.data_dir / "lumen.db") as raw:
        return raw.execute(
            "SELECT ciphertext, name_ciphertext, expires_at, downloaded_at FROM fhir_exports "
            "WHERE id = ?",
            (export_id.replace("-", ""),),
        ).fetchall()


def _wait_for(client: httpx.Client, export_id: str, timeout_s: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = client.get(f"/api/v1/fhir/exports/{export_id}").json()
        if status["status"] in ("succeeded", "failed", "cancelled"):
            return status
        time.sleep(0.2)
    pytest.fail(f"export {export_id} did not finish in {timeout_s:.0f}s: {status}")


def test_a_conversation_downloads_as_a_valid_fhir_bundle(
    patient, fhir_validator: FhirValidator
) -> None:  # type: ignore[no-untyped-def]
    conversation = new_conversation(patient.client)
    answer = stream_answer(patient.client, conversation, QUESTION)
    response = patient.client.get(f"/api/v1/fhir/conversations/{conversation}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    assert response.headers["content-disposition"].startswith("attachment;")
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    messages = [c for c in _resources(bundle, "Communication") if "partOf" in c]
    assert [m["payload"][0]["contentString"] for m in messages] == [QUESTION, answer.text]
    assert messages[1]["meta"]["security"][0]["code"] == AI_ASSERTED
    (provenance,) = _resources(bundle, "Provenance")
    assert len(provenance["entity"]) == len(answer.first("done")["citations"])
    assert patient.email not in response.text, "the Patient is pseudonymous"
    validation = fhir_validator(bundle)
    assert validation.ok, validation.errors()


def test_an_escalation_is_exported_as_a_stat_crisis_alert(
    patient, fhir_validator: FhirValidator
) -> None:  # type: ignore[no-untyped-def]
    conversation = new_conversation(patient.client)
    stream_answer(patient.client, conversation, "I want to end my life tonight, I have pills")
    bundle = patient.client.get(f"/api/v1/fhir/conversations/{conversation}").json()
    (escalation,) = [c for c in _resources(bundle, "Communication") if c.get("priority")]
    assert escalation["priority"] == "stat" and "Crisis" in escalation["category"][0]["text"]
    assert fhir_validator(bundle).ok


def test_another_patients_conversation_or_export_is_404_and_audited(
    live_server, small_runtime, patient
) -> None:  # type: ignore[no-untyped-def]
    conversation = new_conversation(patient.client)
    export = patient.client.post("/api/v1/fhir/exports", json={}).json()
    stranger = register(live_server.url)
    try:
        for path in (
            f"/api/v1/fhir/conversations/{conversation}",
            f"/api/v1/fhir/exports/{export['id']}",
            f"/api/v1/fhir/exports/{export['id']}/bundle",
        ):
            refused = stranger.client.get(path)
            assert refused.status_code == 404, path
            assert refused.headers["content-type"] == "application/problem+json"
    finally:
        stranger.client.close()
    failures = [
        row
        for row in audit_rows(small_runtime)
        if row[4] == "fhir.export" and row[2] == stranger.user_id
    ]
    assert {(row[5], row[6], row[7], row[8]) for row in failures} == {
        ("conversation", conversation, "failure", "http_404"),
        ("fhir_export", export["id"], "failure", "http_404"),
    }
    assert len(failures) == 3


def test_a_malformed_request_is_problem_json(patient) -> None:  # type: ignore[no-untyped-def]
    for body in ({"patient_name": "x" * 201}, {"name": "Ada"}, {"patient_name": 7}):
        response = patient.client.post("/api/v1/fhir/exports", json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"], body
    bad_id = patient.client.get("/api/v1/fhir/conversations/not-a-uuid")
    assert bad_id.status_code == 422
    assert bad_id.headers["content-type"] == "application/problem+json"


def test_only_patients_export(pharma) -> None:  # type: ignore[no-untyped-def]
    refused = pharma.client.post("/api/v1/fhir/exports", json={})
    assert refused.status_code == 403 and refused.json()["code"] == "role"


def test_a_full_export_runs_as_a_job_is_stored_encrypted_and_downloads_once(
    patient, small_runtime, fhir_validator: FhirValidator
) -> None:  # type: ignore[no-untyped-def]
    first, second = new_conversation(patient.client), new_conversation(patient.client)
    stream_answer(patient.client, first, QUESTION)
    stream_answer(patient.client, second, "What is Humira used for?")
    started = patient.client.post("/api/v1/fhir/exports", json={"patient_name": " Ada  Lovelace "})
    assert started.status_code == 202, started.text
    export = started.json()
    assert export["unit"] == "conversations" and export["file"] == "pending"
    status = _wait_for(patient.client, export["id"])
    assert status["status"] == "succeeded" and status["file"] == "ready", status
    assert status["done"] == status["total"] == 2
    assert status["bundle_url"] == f"/api/v1/fhir/exports/{export['id']}/bundle"

    ((ciphertext, name_ciphertext, expires_at, downloaded_at),) = _export_rows(
        small_runtime, export["id"]
    )
    assert ciphertext and name_ciphertext and expires_at and downloaded_at is None
    for plain in (QUESTION.encode(), b"Lovelace", b"Communication", b"resourceType"):
        assert plain not in ciphertext and plain not in name_ciphertext

    response = patient.client.get(status["bundle_url"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    bundle = response.json()
    threads = [c for c in _resources(bundle, "Communication") if "partOf" not in c]
    assert len(threads) == 2
    assert _resources(bundle, "Patient")[0]["name"] == [{"text": "Ada Lovelace"}]
    validation = fhir_validator(bundle)
    assert validation.ok, validation.errors()

    ((ciphertext, name_ciphertext, _expires, downloaded_at),) = _export_rows(
        small_runtime, export["id"]
    )
    assert ciphertext is None and name_ciphertext is None and downloaded_at is not None
    again = patient.client.get(status["bundle_url"])
    assert again.status_code == 410 and "downloaded" in again.json()["detail"]
    assert patient.client.get(f"/api/v1/fhir/exports/{export['id']}").json()["file"] == (
        "downloaded"
    )
    events = [r for r in audit_rows(small_runtime) if r[6] == export["id"]]
    assert [(r[4], r[7]) for r in events][:1] == [("fhir.export", "success")], "the submission"
    assert ("fhir.export", "fhir_export", "success", "download") in {
        (r[4], r[5], r[7], r[8] or "download") for r in events
    }


def test_an_expired_export_is_gone_and_its_file_deleted(patient, small_runtime) -> None:  # type: ignore[no-untyped-def]
    stream_answer(patient.client, new_conversation(patient.client), QUESTION)
    export = patient.client.post("/api/v1/fhir/exports", json={}).json()
    assert _wait_for(patient.client, export["id"])["file"] == "ready"
    with sqlite3.connect(small_runtime.settings.data_dir / "lumen.db") as raw:
        raw.execute(
            "UPDATE fhir_exports SET expires_at = ? WHERE id = ?",
            ((utcnow() - timedelta(minutes=1)).isoformat(), export["id"].replace("-", "")),
        )
    assert patient.client.get(f"/api/v1/fhir/exports/{export['id']}").json()["file"] == "expired"
    gone = patient.client.get(f"/api/v1/fhir/exports/{export['id']}/bundle")
    assert gone.status_code == 410 and gone.headers["content-type"] == "application/problem+json"
    ((ciphertext, _name, _expires, _downloaded),) = _export_rows(small_runtime, export["id"])
    assert ciphertext is None
