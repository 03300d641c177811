"""The ``export_fhir`` task on its own, as a worker runs it, on SQLite and on PostgreSQL: the
stored file is sealed, opens to a valid Bundle, is rebuilt when the job runs again, and meets
the name the request stored in either order."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlmodel import select

from lumen.auth.models import User
from lumen.chat.repository import AnswerContent, ChatWrites
from lumen.db import Database
from lumen.fhir import repository
from lumen.fhir.bundle import validate_bundle
from lumen.fhir.models import FhirExport
from lumen.fhir.tasks import EXPORT_FHIR, export_tasks
from lumen.jobs.models import Job
from lumen.security.encryption import KeyRing
from lumen.settings import Settings
from tests.fhir.conftest import FhirValidator

QUESTION = "Can I take ibuprofen with my blood pressure pills?"
ANSWER = "NSAIDs such as ibuprofen can raise blood pressure [1]."


def _patient_with_a_conversation(db: Database, keys: KeyRing) -> uuid.UUID:
    with db.session() as session:
        user = User(email=f"{uuid.uuid4().hex}@example.org", role="patient")
        session.add(user)
        session.flush()
        chat = ChatWrites(session, keys)
        conversation = chat.add_conversation(str(user.id), QUESTION)
        chat.add_message(conversation.id, "user", QUESTION)
        source = {
            "n": 1, "document_id": "medquad:0000123", "title": "High Blood Pressure",
            "url": "https://www.nhlbi.nih.gov/health-topics/high-blood-pressure",
            "section": "What are the treatments?", "snippet": "…", "source_name": "NHLBI",
            "start": 0, "end": 1, "licence": "CC BY 4.0",
        }  # fmt: skip
        answer_id = chat.add_message(conversation.id, "assistant", "", status="streaming")
        chat.finish_message(
            answer_id, AnswerContent(ANSWER, [1], "extractive", [source]), "complete"
        )
        session.commit()
        return user.id


def test_the_export_task_stores_a_sealed_valid_bundle_and_reruns_idempotently(
    migrated: tuple[Settings, Database], fhir_validator: FhirValidator
) -> None:
    settings, db = migrated
    keys = KeyRing([("k1", b"\x01" * 32)])
    owner = _patient_with_a_conversation(db, keys)
    job = Job(kind=EXPORT_FHIR, source=str(owner), unit="conversations", owner_id=owner)
    progress: list[tuple[int, int | None]] = []
    task = export_tasks(db, keys, settings)[EXPORT_FHIR]

    # The request may record the typed name before the job has written anything.
    sealed_name = repository.seal_name(keys, job.id, "Grace Hopper")
    with db.session() as session:
        session.execute(
            repository.upsert(
                db.engine.dialect.name, job.id, owner,
                name_key_id=sealed_name.key_id, name_ciphertext=sealed_name.ciphertext,
            )
        )  # fmt: skip
        session.commit()

    assert task(job, lambda done, total: progress.append((done, total))) == 0
    assert progress[0] == (0, 1) and progress[-1] == (1, 1)
    with db.session() as session:
        first = session.exec(select(FhirExport)).one()
        assert first.ciphertext is not None and first.expires_at is not None
        for plain in (QUESTION, ANSWER, "Bundle", "Grace"):
            assert plain.encode() not in first.ciphertext
        assert repository.open_name(keys, first) == "Grace Hopper", "the job kept the name"
        opened = repository.open_bundle(keys, first)
    assert opened is not None
    bundle = validate_bundle(json.loads(opened))
    texts = [p["contentString"] for e in bundle["entry"] for p in e["resource"].get("payload", [])]
    assert texts == [QUESTION, ANSWER]
    validation = fhir_validator(bundle)
    assert validation.ok, validation.errors()

    assert task(job, lambda done, total: None) == 0
    with db.session() as session:
        (again,) = session.exec(select(FhirExport)).all()
        assert again.ciphertext != first.ciphertext, "rebuilt and overwritten, one row"


def test_a_sealed_file_opens_in_its_own_row_only(migrated: tuple[Settings, Database]) -> None:
    settings, db = migrated
    keys = KeyRing([("k1", b"\x02" * 32)])
    owner = _patient_with_a_conversation(db, keys)
    jobs = [Job(kind=EXPORT_FHIR, source=str(owner), owner_id=owner) for _ in range(2)]
    task = export_tasks(db, keys, settings)[EXPORT_FHIR]
    for job in jobs:
        task(job, lambda done, total: None)
    with db.session() as session:
        one, other = (session.get(FhirExport, job.id) for job in jobs)
        assert one is not None and other is not None
        one.ciphertext, one.key_id = other.ciphertext, other.key_id
        from cryptography.exceptions import InvalidTag

        with pytest.raises(InvalidTag):
            repository.open_bundle(keys, one)
