"""The FHIR export as the API offers it: one conversation's Bundle at once, or all of a
patient's conversations through an ``export_fhir`` job whose file waits, encrypted, for one
download.

The file of a full export is encrypted at rest (AES-256-GCM with the key ring, the export id
bound as associated data) from the moment the job stores it until it is downloaded. The first
successful download deletes it, in the transaction that audits the download: a second request
answers 410, as does one after ``LUMEN_FHIR_EXPORT_TTL_H`` (the file is then deleted too). A
patient whose download broke off starts a new export, which costs a few seconds; a file that
stays readable after it has been handed over would be one more copy of health data at rest.

Audit (action ``fhir.export``, object ids only): a conversation's Bundle when it is handed over;
an export's submission in the job's transaction (``JobService.submit``); its download with the
deletion of its file. A refused attempt (someone else's conversation or export, a file already
downloaded or expired) is recorded as a failure with the problem's status as reason, like
chat's refused reads.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import anyio

from lumen.audit.actions import AuditAction
from lumen.audit.service import AuditEvent, AuditLog, AuditUnavailable
from lumen.auth.principal import ClientInfo, Principal
from lumen.chat.service import ChatService
from lumen.db import Database, utcnow
from lumen.fhir import repository
from lumen.fhir.bundle import InvalidBundle, validate_bundle, with_patient_name
from lumen.fhir.export import bundle_of
from lumen.fhir.models import FhirExport
from lumen.fhir.schemas import ExportFile, ExportOut
from lumen.fhir.tasks import EXPORT_FHIR, EXPORT_UNIT
from lumen.jobs.models import Job
from lumen.jobs.service import JobService
from lumen.problems import Conflict, NotFound, Problem
from lumen.security.encryption import KeyRing
from lumen.settings import Settings


class ExportGone(Problem):
    """The export's file was downloaded already or has expired (RFC 9110 section 15.5.11)."""

    status = 410
    title = "Gone"


class ExportFailedValidation(Problem):
    """The Bundle did not pass validation, so it is not offered (a defect of Lumen's)."""

    status = 500
    title = "Export failed validation"


class FhirService:
    """FHIR exports for the signed-in patient (``caller`` on every call)."""

    def __init__(
        self,
        db: Database,
        keys: KeyRing,
        settings: Settings,
        chat: ChatService,
        jobs: JobService,
        audit: AuditLog,
    ) -> None:
        self._db = db
        self._keys = keys
        self._settings = settings
        self._chat = chat
        self._jobs = jobs
        self._audit = audit

    async def conversation_bundle(
        self, caller: Principal, client: ClientInfo, conversation_id: uuid.UUID
    ) -> str:
        """The caller's conversation as a validated Bundle (FHIR JSON text), audited before it
        is returned. Raises ``NotFound`` (recorded as a failure), ``AuditUnavailable``,
        ``ExportFailedValidation``."""
        event = _event(caller, client, "conversation", conversation_id)
        async with self._failures_recorded(event):
            detail = await self._chat.get_conversation(caller.owner_id, conversation_id)
        try:
            document = await anyio.to_thread.run_sync(
                lambda: bundle_of(
                    self._db, self._keys, self._settings, caller.user_id, uuid.uuid4(), [detail]
                )
            )
        except InvalidBundle as exc:
            raise ExportFailedValidation(str(exc)) from None
        await self._audit.record(event)
        return json.dumps(document, ensure_ascii=False)

    async def start_export(
        self, caller: Principal, client: ClientInfo, patient_name: str | None
    ) -> ExportOut:
        """Queue the export of every conversation of the caller (audited with the job); the
        job's id is the export's id. ``patient_name`` is kept sealed beside the file and put in
        the Patient at download. Raises ``AuditUnavailable`` (no job is queued)."""
        async with self._db.async_session() as session:
            # On the session's connection: SQLModel's AsyncSession.execute is meant for reads.
            await (await session.connection()).execute(repository.erase_expired(utcnow()))
            await session.commit()
        job = await self._jobs.submit(
            EXPORT_FHIR,
            str(caller.user_id),  # an id, never user content
            caller.audit_event(AuditAction.FHIR_EXPORT, client),
            unit=EXPORT_UNIT,
            owner_id=caller.user_id,
        )
        if patient_name:
            sealed = repository.seal_name(self._keys, job.id, patient_name)
            async with self._db.async_session() as session:
                await (await session.connection()).execute(
                    repository.upsert(
                        self._dialect,
                        job.id,
                        caller.user_id,
                        name_key_id=sealed.key_id,
                        name_ciphertext=sealed.ciphertext,
                    )
                )
                await session.commit()
        return _export_out(job, None, utcnow())

    async def export_status(
        self, caller: Principal, client: ClientInfo, export_id: uuid.UUID
    ) -> ExportOut:
        """The caller's export with its progress and file state. Raises ``NotFound`` for
        another's or an unknown id (recorded as a failure)."""
        job = await self._owned_job(caller, client, export_id)
        async with self._db.async_session() as session:
            row = await session.get(FhirExport, export_id)
        return _export_out(job, row, utcnow())

    async def download(self, caller: Principal, client: ClientInfo, export_id: uuid.UUID) -> str:
        """The export's Bundle (FHIR JSON text), opened, given the patient's typed name if
        any, validated again; its file is deleted and the download audited in one transaction.
        Raises ``NotFound``, ``Conflict`` (not finished, or failed), ``ExportGone`` (already
        downloaded, or expired: the file is deleted then), ``AuditUnavailable``; every refusal
        is recorded as a failure."""
        event = _event(caller, client, "fhir_export", export_id)
        job = await self._owned_job(caller, client, export_id)
        async with self._failures_recorded(event), self._db.async_session() as session:
            row = await session.get(FhirExport, export_id)
            now = utcnow()
            state = _file_state(job, row, now)
            if state in ("pending", "failed") or row is None:
                raise Conflict(
                    "The export has not finished yet."
                    if state == "pending"
                    else "The export did not finish. Start a new one."
                )
            if state != "ready":
                if row.ciphertext is not None:
                    repository.erase(row)
                    session.add(row)
                    await session.commit()
                raise ExportGone(
                    "This export was downloaded already: start a new one."
                    if state == "downloaded"
                    else "This export has expired: start a new one."
                )
            stored = repository.open_bundle(self._keys, row)
            name = repository.open_name(self._keys, row)
            if stored is None:  # "ready" means a file is there
                raise ExportGone("This export has expired: start a new one.")
            text = await anyio.to_thread.run_sync(_named, stored, name) if name else stored
            repository.erase(row)
            row.downloaded_at = now
            session.add(row)
            await self._audit.append(session, event)
            await session.commit()
        return text

    @property
    def _dialect(self) -> str:
        return self._db.engine.dialect.name

    async def _owned_job(self, caller: Principal, client: ClientInfo, export_id: uuid.UUID) -> Job:
        """The export job if it is the caller's. Raises ``NotFound`` (recorded as a failure)."""
        event = _event(caller, client, "fhir_export", export_id)
        async with self._failures_recorded(event):
            try:
                job = await self._jobs.get(export_id, owner_id=caller.user_id)
            except NotFound:
                job = None
            if job is None or job.kind != EXPORT_FHIR or job.owner_id != caller.user_id:
                raise NotFound(f"No export {export_id}.") from None
        return job

    @asynccontextmanager
    async def _failures_recorded(self, event: AuditEvent) -> AsyncIterator[None]:
        """Record ``event`` as a failure, with the problem's status as reason, when the block
        raises a problem (chat's rule for refused attempts)."""
        try:
            yield
        except AuditUnavailable:
            raise
        except Problem as exc:
            await self._audit.record(replace(event, outcome="failure", reason=f"http_{exc.status}"))
            raise


def _event(
    caller: Principal, client: ClientInfo, object_type: str, object_id: uuid.UUID
) -> AuditEvent:
    return caller.audit_event(AuditAction.FHIR_EXPORT, client, object_type, str(object_id))


def _named(text: str, name: str) -> str:
    """The Bundle with the typed name in its Patient, validated again."""
    document: dict[str, Any] = json.loads(text)
    try:
        return json.dumps(validate_bundle(with_patient_name(document, name)), ensure_ascii=False)
    except InvalidBundle as exc:
        raise ExportFailedValidation(str(exc)) from None


def _file_state(job: Job, row: FhirExport | None, now: datetime) -> ExportFile:
    if job.status in ("failed", "cancelled"):
        return "failed"
    if job.status != "succeeded" or row is None or row.expires_at is None:
        return "pending"
    if row.downloaded_at is not None:
        return "downloaded"
    if row.expires_at <= now or row.ciphertext is None:
        return "expired"
    return "ready"


def _export_out(job: Job, row: FhirExport | None, now: datetime) -> ExportOut:
    state = _file_state(job, row, now)
    return ExportOut(
        id=job.id,
        status=job.status,
        done=job.done,
        total=job.total,
        unit=job.unit,
        error=job.error,
        created_at=job.created_at,
        finished_at=job.finished_at,
        file=state,
        expires_at=row.expires_at if row is not None else None,
        downloaded_at=row.downloaded_at if row is not None else None,
        bundle_url=f"/api/v1/fhir/exports/{job.id}/bundle" if state == "ready" else None,
    )
