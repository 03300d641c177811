"""FHIR export routes (``/api/v1/fhir/…``, issue 12). Thin: parse, authorize, call the
service, shape the response.

A Bundle is FHIR R4 (4.0.1) JSON of type ``collection`` (``lumen.fhir.bundle`` lists its
resources: Patient, Device, Communication, DocumentReference, Provenance, labelled as the HL7
AI Transparency on FHIR IG says), served as ``application/fhir+json`` with
``Content-Disposition: attachment``. Patients only (401 without a session, 403 for another
role or a 2FA step still to do); another patient's conversation or export is 404, and the
attempt is audited.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from lumen.deps import ClientDep
from lumen.fhir.bundle import FHIR_JSON
from lumen.fhir.deps import FhirDep, PatientUser
from lumen.fhir.schemas import ExportCreate, ExportOut
from lumen.problems import problem_responses

router = APIRouter(prefix="/api/v1/fhir", tags=["fhir"], responses=problem_responses(401, 403))

BUNDLE_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {
        "content": {FHIR_JSON: {"schema": {"type": "object"}}},
        "description": "A FHIR R4 (4.0.1) Bundle of type collection, as a file",
    }
}


@router.get(
    "/conversations/{conversation_id}",
    response_class=Response,
    responses={**BUNDLE_RESPONSE, **problem_responses(404, 500, 503)},
)
async def conversation_bundle(
    conversation_id: uuid.UUID, user: PatientUser, fhir: FhirDep, client: ClientDep
) -> Response:
    """One of the caller's conversations as a FHIR R4 Bundle, built and validated now
    (audited ``fhir.export``). 404 if it is not the caller's (audited as a failure); 503 when
    the audit log cannot record the export (nothing is sent)."""
    text = await fhir.conversation_bundle(user, client, conversation_id)
    return _bundle_file(text, f"lumen-conversation-{conversation_id}.fhir.json")


@router.post("/exports", status_code=status.HTTP_202_ACCEPTED, responses=problem_responses(503))
async def start_export(
    body: ExportCreate, user: PatientUser, fhir: FhirDep, client: ClientDep
) -> ExportOut:
    """Start exporting every conversation of the caller as one Bundle (a job on the ``export``
    queue; its id is the export's id). ``patient_name`` (optional, at most 200 characters)
    names the Patient; without it the Patient is pseudonymous. 422 problem+json for a body
    that does not match; 503 when the audit log cannot record it (nothing is queued)."""
    return await fhir.start_export(user, client, body.patient_name)


@router.get("/exports/{export_id}", responses=problem_responses(404))
async def export_status(
    export_id: uuid.UUID, user: PatientUser, fhir: FhirDep, client: ClientDep
) -> ExportOut:
    """The caller's export: the job's status and progress in conversations, and its file
    (``pending``, ``ready`` with ``bundle_url``, ``downloaded``, ``expired``, ``failed``). 404
    if it is not the caller's (audited)."""
    return await fhir.export_status(user, client, export_id)


@router.get(
    "/exports/{export_id}/bundle",
    response_class=Response,
    responses={**BUNDLE_RESPONSE, **problem_responses(404, 409, 410, 500, 503)},
)
async def download_export(
    export_id: uuid.UUID, user: PatientUser, fhir: FhirDep, client: ClientDep
) -> Response:
    """Download the export's Bundle, once: the file is deleted as it is handed over (audited).
    409 while the job has not succeeded; 410 once downloaded or past
    ``LUMEN_FHIR_EXPORT_TTL_H``; 404 if it is not the caller's (each refusal audited)."""
    text = await fhir.download(user, client, export_id)
    return _bundle_file(text, f"lumen-export-{export_id}.fhir.json")


def _bundle_file(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type=FHIR_JSON,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
