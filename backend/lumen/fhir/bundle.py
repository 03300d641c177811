"""A patient's conversations as a FHIR R4 (4.0.1) ``Bundle`` of type ``collection``, and the
validation every Bundle passes before it is offered.

What a Bundle holds (FHIR R4 4.0.1: Bundle, Patient, Device, Communication, DocumentReference,
Provenance; https://hl7.org/fhir/R4/), every entry with a ``urn:uuid:`` ``fullUrl`` and every
reference between entries by that URL:

- ``Patient``: pseudonymous. Its one identifier (system ``PSEUDONYM_SYSTEM``) is an HMAC of the
  user id, so a doctor can tell two exports of one patient apart from others' and Lumen's user
  ids never leave; no name or e-mail unless the patient typed a name in the export request.
- ``Device``, one per answer engine that wrote a message here (``AnswerEngine``: the extractive
  engine with its sentence-embedding model, the LLM by model name, the safety triage), typed as
  the HL7 AI Transparency on FHIR IG's AI-Device profile requires (``Device.type`` =
  ``AIdeviceTypeCS#Artificial-Intelligence``) and claiming that profile.
- ``Communication`` per conversation (the thread: ``topic`` its title, ``subject`` the Patient)
  and per message: ``partOf`` the thread, ``inResponseTo`` the message it answers, ``sender``
  and ``recipient`` (Patient or Device), ``sent``, ``payload.contentString``. A message written
  by an engine carries ``meta.security`` ``AIAST`` ("Artificial Intelligence asserted",
  ``v3-ObservationValue``), as the AI Transparency IG labels AI-asserted resources. An
  escalation (the crisis card that replaced an answer) has ``priority`` ``stat``, ``category``
  ``communication-category#alert`` with a text saying so, and a ``reasonCode`` text.
- ``DocumentReference`` per cited source (document and section): URL, title, section, publisher,
  licence and attribution (the last three in ``custodian.display`` and Lumen extensions: R4's
  DocumentReference has no element for a licence).
- ``Provenance`` per engine-written message: ``target`` the message, ``agent`` the Device as
  ``author``, an ``entity`` (role ``source``) per cited source pointing at its
  DocumentReference: the IG's way of naming what an AI used.

Library: ``fhirclient`` 4.x (SMART on FHIR's Python models, generated from FHIR
4.0.1-9346c8cc45). ``fhir.resources`` was the design's first choice, but its 7.x and 8.x ship R5
and R4B (4.3.0) models only, and its 6.x line, whose 6.0/6.1 releases were R4 4.0.1, is built on
pydantic 1, which cannot share a process with the pydantic 2 that FastAPI and SQLModel use here.
fhirclient's models are exactly R4 4.0.1 (the release the tests' independent validator reads),
it is maintained (4.4.0, 2026) and depends on ``requests`` alone. Its strict parsing rejects
unknown elements, missing required elements, wrong types and malformed primitives; it checks
neither value-set bindings nor invariants, so ``validate_bundle`` adds the check that every
reference resolves inside the Bundle, and the tests run every exported Bundle through the
official StructureDefinitions (``tests/fhir/validator``).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fhirclient.models.bundle import Bundle
from fhirclient.models.fhirabstractbase import FHIRValidationError

from lumen.chat.schemas import ConversationDetail, MessageOut, SourceOut
from lumen.knowledge.service import SourceAttribution

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"

# Identifier systems and extensions of Lumen's own (logical URIs: nothing to resolve).
PSEUDONYM_SYSTEM = "urn:lumen:fhir:patient-pseudonym"
ENGINE_SYSTEM = "urn:lumen:fhir:answer-engine"
DOCUMENT_SYSTEM = "urn:lumen:fhir:source-document"
SECTION_EXTENSION = "urn:lumen:fhir:StructureDefinition:source-section"
LICENCE_EXTENSION = "urn:lumen:fhir:StructureDefinition:source-licence"
ATTRIBUTION_EXTENSION = "urn:lumen:fhir:StructureDefinition:source-attribution"
URI_SYSTEM = "urn:ietf:rfc:3986"

# HL7 AI Transparency on FHIR (hl7.fhir.uv.aitransparency, STU1 ballot, based on R4 4.0.1).
AI_DEVICE_PROFILE = "http://hl7.org/fhir/uv/aitransparency/StructureDefinition/AI-Device"
AI_DEVICE_TYPE_SYSTEM = "http://hl7.org/fhir/uv/aitransparency/CodeSystem/AIdeviceTypeCS"
AI_ASSERTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "AIAST",
    "display": "Artificial Intelligence asserted",
}
ESCALATION_CATEGORY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/communication-category",
            "code": "alert",
            "display": "Alert",
        }
    ],
    "text": "Crisis escalation: Lumen's safety triage replaced the answer with crisis "
    "resources (988 Suicide & Crisis Lifeline, 911, Poison Control)",
}
AUTHOR = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
            "code": "author",
            "display": "Author",
        }
    ]
}
CREATE = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
            "code": "CREATE",
            "display": "create",
        }
    ]
}
# Message.status -> Communication.status (EventStatus, required binding).
STATUS = {"complete": "completed", "streaming": "in-progress", "stopped": "stopped"}
STATUS_REASON = {
    "stopped": "The answer was stopped before it finished.",
    "failed": "The answer engine failed before the answer finished.",
}
# Resource ids derived from Lumen's ids (UUIDv5), so a re-export names the same things alike.
_NAMESPACE = uuid.UUID("6f1c2b0e-9d4a-5e83-8b7f-3a2d1c0e9f41")


class InvalidBundle(Exception):
    """The Bundle failed validation. The message names element paths, never their values."""


@dataclass(frozen=True, slots=True)
class PatientIdentity:
    """Who the Bundle is about: a pseudonym (``patient_pseudonym``) and, only when the patient
    typed one, a name."""

    pseudonym: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerEngine:
    """An answer engine as a ``Device``: its name, the model it runs and their versions."""

    key: str  # extractive | llm | triage | unknown
    name: str
    description: str
    software_version: str
    model_name: str | None = None
    model_version: str | None = None


def patient_pseudonym(secret: bytes, user_id: uuid.UUID) -> str:
    """The Patient's identifier value: HMAC-SHA256 of the user id under ``secret`` (hex, 128
    bits), stable while the key that ``secret`` is derived from is the active one."""
    return hmac.new(secret, user_id.bytes, hashlib.sha256).hexdigest()[:32]


def engine_key(engine: str | None) -> str:
    """The ``AnswerEngine.key`` of a message's ``engine`` (``extractive-fallback`` is the
    extractive engine answering for an LLM that was down)."""
    if engine == "triage":
        return "triage"
    if engine is not None and engine.startswith("extractive"):
        return "extractive"
    if engine == "openai":
        return "llm"
    return "unknown"


def build_bundle(
    *,
    bundle_id: uuid.UUID,
    patient: PatientIdentity,
    conversations: Sequence[ConversationDetail],
    engines: Mapping[str, AnswerEngine],
    attributions: Mapping[str, SourceAttribution],
    created_at: datetime,
) -> dict[str, Any]:
    """The Bundle (as FHIR JSON) of ``conversations``, oldest message first in each.

    ``engines`` describes each ``engine_key`` (a missing key falls back to ``unknown``);
    ``attributions`` completes stored source metadata (licence, publisher) by document id.
    Unvalidated: pass the result to ``validate_bundle``.
    """
    builder = _Builder(patient, engines, attributions)
    for conversation in conversations:
        builder.add_conversation(conversation)
    return {
        "resourceType": "Bundle",
        "id": str(bundle_id),
        "meta": {"lastUpdated": instant(created_at)},
        "identifier": {"system": URI_SYSTEM, "value": f"urn:uuid:{bundle_id}"},
        "type": "collection",
        "timestamp": instant(created_at),
        "entry": builder.entries(),
    }


def validate_bundle(document: dict[str, Any]) -> dict[str, Any]:
    """Parse ``document`` strictly into fhirclient's R4 4.0.1 models and serialise it back: the
    JSON that is offered. Raises ``InvalidBundle`` (with element paths) when an element is
    unknown, a required one missing, a type or primitive format wrong, or a ``urn:uuid:``
    reference names no entry."""
    try:
        parsed = Bundle(document, strict=True)
        serialised: dict[str, Any] = parsed.as_json()
    except FHIRValidationError as exc:
        raise InvalidBundle("FHIR R4 validation failed at " + ", ".join(_paths(exc))) from None
    if document.get("type") != "collection":
        raise InvalidBundle("Bundle.type is not collection")
    full_urls = {entry.get("fullUrl") for entry in serialised.get("entry", [])}
    dangling = sorted(
        {ref for ref in _references(serialised) if ref.startswith("urn:uuid:")} - full_urls
    )
    if dangling:
        raise InvalidBundle(f"{len(dangling)} reference(s) name no entry of the Bundle")
    return serialised


def with_patient_name(document: dict[str, Any], name: str | None) -> dict[str, Any]:
    """The Bundle with ``name`` as its Patient's name (``HumanName.text``); unchanged when
    ``name`` is ``None``. Validate the result again."""
    if not name:
        return document
    entries = []
    for entry in document.get("entry", []):
        resource = entry.get("resource", {})
        if resource.get("resourceType") == "Patient":
            entry = {**entry, "resource": {**resource, "name": [{"text": name}]}}
        entries.append(entry)
    return {**document, "entry": entries}


def instant(moment: datetime) -> str:
    """A FHIR ``instant`` (also a valid ``dateTime``): UTC, milliseconds, ``Z``."""
    if moment.tzinfo is None:  # stored timestamps are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Builder:
    """Collects the entries of one Bundle, each resource once."""

    def __init__(
        self,
        patient: PatientIdentity,
        engines: Mapping[str, AnswerEngine],
        attributions: Mapping[str, SourceAttribution],
    ) -> None:
        self._engines = engines
        self._attributions = attributions
        self._patient_id = _uuid("patient", patient.pseudonym)
        patient_resource: dict[str, Any] = {
            "resourceType": "Patient",
            "id": str(self._patient_id),
            "identifier": [{"system": PSEUDONYM_SYSTEM, "value": patient.pseudonym}],
        }
        if patient.name:
            patient_resource["name"] = [{"text": patient.name}]
        self._patient: list[dict[str, Any]] = [patient_resource]
        self._devices: dict[str, dict[str, Any]] = {}
        self._documents: dict[uuid.UUID, dict[str, Any]] = {}
        self._communications: list[dict[str, Any]] = []
        self._provenances: list[dict[str, Any]] = []

    def entries(self) -> list[dict[str, Any]]:
        resources = [
            *self._patient,
            *self._devices.values(),
            *self._documents.values(),
            *self._communications,
            *self._provenances,
        ]
        return [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]

    def add_conversation(self, conversation: ConversationDetail) -> None:
        thread_id = conversation.id
        thread: dict[str, Any] = {
            "resourceType": "Communication",
            "id": str(thread_id),
            "identifier": [{"system": URI_SYSTEM, "value": f"urn:uuid:{conversation.id}"}],
            "status": "completed",
            "subject": self._patient_ref(),
            "sent": instant(conversation.created_at),
        }
        if conversation.title:
            thread["topic"] = {"text": conversation.title}
        self._communications.append(thread)
        last_question: uuid.UUID | None = None
        last_answer: uuid.UUID | None = None
        messages = conversation.messages
        for index, message in enumerate(messages):
            if message.role == "user":
                answer = next((m for m in messages[index + 1 :] if m.role == "assistant"), None)
                self._add_question(message, thread_id, last_answer, answer)
                last_question = message.id
            else:
                self._add_answer(message, thread_id, last_question)
                last_answer = message.id

    def _add_question(
        self,
        message: MessageOut,
        thread_id: uuid.UUID,
        follows: uuid.UUID | None,
        answered_by: MessageOut | None,
    ) -> None:
        resource = self._message(message, thread_id, follows)
        resource["sender"] = self._patient_ref()
        if answered_by is not None:
            resource["recipient"] = [self._device_ref(answered_by.engine)]
        self._communications.append(resource)

    def _add_answer(
        self, message: MessageOut, thread_id: uuid.UUID, question: uuid.UUID | None
    ) -> None:
        device = self._device_ref(message.engine)
        resource = self._message(message, thread_id, question)
        resource["meta"] = {"security": [AI_ASSERTED]}
        resource["sender"] = device
        resource["recipient"] = [self._patient_ref()]
        if message.kind == "escalation":
            resource["priority"] = "stat"
            resource["category"] = [ESCALATION_CATEGORY]
            resource["reasonCode"] = [{"text": "A message said a crisis was happening now."}]
        support = message.support.text if message.support else None
        notes = [note for note in (support, message.disclaimer) if note]
        if notes:
            resource["note"] = [{"text": note} for note in notes]
        self._communications.append(resource)
        cited = [s for s in message.sources if s.n in set(message.citations)]
        provenance: dict[str, Any] = {
            "resourceType": "Provenance",
            "id": str(_uuid("provenance", str(message.id))),
            "target": [_ref("Communication", message.id)],
            "recorded": instant(message.created_at),
            "activity": CREATE,
            "agent": [{"type": AUTHOR, "who": device}],
        }
        entities = [
            {"role": "source", "what": self._document_ref(source)}
            for source in sorted(cited, key=lambda s: s.n)
        ]
        if entities:
            provenance["entity"] = entities
        self._provenances.append(provenance)

    def _message(
        self, message: MessageOut, thread_id: uuid.UUID, responds_to: uuid.UUID | None
    ) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "Communication",
            "id": str(message.id),
            "identifier": [{"system": URI_SYSTEM, "value": f"urn:uuid:{message.id}"}],
            "partOf": [_ref("Communication", thread_id)],
            "status": STATUS.get(message.status, "stopped"),
            "subject": self._patient_ref(),
            "sent": instant(message.created_at),
        }
        if message.status in STATUS_REASON:
            resource["statusReason"] = {"text": STATUS_REASON[message.status]}
        if responds_to is not None:
            resource["inResponseTo"] = [_ref("Communication", responds_to)]
        if message.content.strip():  # a FHIR string is never empty
            resource["payload"] = [{"contentString": message.content}]
        return resource

    def _patient_ref(self) -> dict[str, str]:
        return _ref("Patient", self._patient_id)

    def _device_ref(self, engine: str | None) -> dict[str, str]:
        key = engine_key(engine)
        described = self._engines.get(key) or self._engines.get("unknown") or _UNKNOWN
        device_id = _uuid("device", described.key)
        if described.key not in self._devices:
            self._devices[described.key] = _device(device_id, described)
        return {**_ref("Device", device_id), "display": described.name}

    def _document_ref(self, source: SourceOut) -> dict[str, str]:
        document_id = _uuid("document", f"{source.document_id}#{source.section}")
        if document_id not in self._documents:
            self._documents[document_id] = _document(
                document_id, source, self._attributions.get(source.document_id)
            )
        display = f"[{source.n}] {source.title}" + (
            f" — {source.section}" if source.section else ""
        )
        return {**_ref("DocumentReference", document_id), "display": display}


_UNKNOWN = AnswerEngine(
    key="unknown",
    name="Lumen answer engine",
    description="An answer engine of Lumen whose kind was not recorded with the message.",
    software_version="unknown",
)


def _device(device_id: uuid.UUID, engine: AnswerEngine) -> dict[str, Any]:
    names = [{"name": engine.name, "type": "user-friendly-name"}]
    if engine.model_name:
        names.append({"name": engine.model_name, "type": "model-name"})
    versions: list[dict[str, Any]] = [
        {"type": {"text": "Lumen software version"}, "value": engine.software_version}
    ]
    if engine.model_version:
        versions.append({"type": {"text": "model version"}, "value": engine.model_version})
    return {
        "resourceType": "Device",
        "id": str(device_id),
        "meta": {"profile": [AI_DEVICE_PROFILE]},
        "identifier": [{"system": ENGINE_SYSTEM, "value": engine.key}],
        "status": "active",
        "manufacturer": "Lumen",
        "deviceName": names,
        "type": {
            "coding": [
                {
                    "system": AI_DEVICE_TYPE_SYSTEM,
                    "code": "Artificial-Intelligence",
                    "display": "All kinds of Artificial Intelligence",
                }
            ],
            "text": engine.name,
        },
        "version": versions,
        "note": [{"text": engine.description}],
    }


def _document(
    document_id: uuid.UUID, source: SourceOut, known: SourceAttribution | None
) -> dict[str, Any]:
    url = source.url or (known.url if known else None)
    licence = source.licence or (known.licence if known else None)
    attribution = source.attribution or (known.attribution if known else None)
    publisher = source.source_name or (known.source_name if known else "")
    attachment: dict[str, Any] = {
        "title": source.title + (f" — {source.section}" if source.section else "")
    }
    if url:
        attachment["url"] = url
    extensions = [
        {"url": extension, "valueString": value}
        for extension, value in (
            (SECTION_EXTENSION, source.section),
            (LICENCE_EXTENSION, licence),
            (ATTRIBUTION_EXTENSION, attribution),
        )
        if value
    ]
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": str(document_id),
        "identifier": [{"system": DOCUMENT_SYSTEM, "value": source.document_id}],
        "status": "current",
        "description": source.title,
        "content": [{"attachment": attachment}],
    }
    if extensions:
        resource["extension"] = extensions
    if publisher:
        resource["custodian"] = {"display": publisher}
    return resource


def _ref(resource_type: str, resource_id: uuid.UUID) -> dict[str, str]:
    """A reference to an entry by its ``fullUrl``; ``type`` says what it is, as a ``urn:uuid``
    does not."""
    return {"reference": f"urn:uuid:{resource_id}", "type": resource_type}


def _uuid(kind: str, name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{kind}:{name}")


def _paths(error: FHIRValidationError, prefix: str = "Bundle") -> list[str]:
    """The element paths of a validation error tree with each leaf's exception type (values
    are left out: they can be health data)."""
    path = f"{prefix}.{error.path}" if error.path else prefix
    found: list[str] = []
    for inner in error.errors:
        if isinstance(inner, FHIRValidationError):
            found.extend(_paths(inner, path))
        else:
            found.append(f"{path} ({type(inner).__name__})")
    return found or [path]


def _references(node: object) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)
