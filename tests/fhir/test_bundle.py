"""The Bundle builder on conversations made here: what each resource says, the AI labels, the
escalation, and validation by the models library and by the independent Medplum validator."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lumen.chat.schemas import ConversationDetail, MessageOut, SourceOut, SupportNote
from lumen.fhir.bundle import (
    AI_DEVICE_PROFILE,
    AI_DEVICE_TYPE_SYSTEM,
    PSEUDONYM_SYSTEM,
    InvalidBundle,
    PatientIdentity,
    build_bundle,
    patient_pseudonym,
    validate_bundle,
    with_patient_name,
)
from lumen.fhir.export import answer_engines
from lumen.knowledge.service import SourceAttribution
from lumen.settings import Settings
from tests.fhir.conftest import FhirValidator

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
QUESTION = "What are the side effects of Lipitor?"
ANSWER = "Muscle pain and diarrhoea are common side effects [1]. Liver problems are rare [2]."
CRISIS = "I want to end my life tonight"
ESCALATION = "If you are in danger now, call or text 988 (Suicide & Crisis Lifeline) or 911."


def _source(n: int, document_id: str, section: str, licence: str | None) -> SourceOut:
    return SourceOut(
        n=n,
        document_id=document_id,
        title="LIPITOR (atorvastatin calcium) tablets",
        url=f"https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid={document_id[4:]}",
        section=section,
        snippet="…",
        source_name="FDA SPL (DailyMed)",
        start=0,
        end=10,
        licence=licence,
        attribution=None,
    )


def _message(role: str, content: str, minutes: int, **fields: Any) -> MessageOut:
    defaults: dict[str, Any] = {
        "id": uuid.uuid4(),
        "role": role,
        "kind": "answer",
        "status": "complete",
        "content": content,
        "engine": None,
        "sources": [],
        "citations": [],
        "disclaimer": "Not medical advice." if role == "assistant" else None,
        "created_at": T0 + timedelta(minutes=minutes),
    }
    return MessageOut(**(defaults | fields))


def _conversation() -> ConversationDetail:
    sources = [
        _source(1, "spl:abc-123", "Adverse Reactions", "Public domain (U.S. FDA)"),
        _source(2, "spl:abc-123", "Warnings and Precautions", None),
        _source(3, "spl:abc-123", "Dosage", "Public domain (U.S. FDA)"),
    ]
    messages = [
        _message("user", QUESTION, 0),
        _message("assistant", ANSWER, 1, engine="extractive", sources=sources, citations=[1, 2]),
        _message("user", CRISIS, 2),
        _message("assistant", ESCALATION, 3, kind="escalation", engine="triage"),
        _message("user", "And with grapefruit?", 4),
        _message(
            "assistant",
            "Grapefruit juice raises atorvastatin levels [1].",
            5,
            engine="openai",
            sources=sources[:1],
            citations=[1],
            support=SupportNote(category="self_harm", text="Support is available: call 988."),
        ),
        _message("user", "Thanks", 6),
        _message("assistant", "", 7, engine="extractive-fallback", status="stopped"),
    ]
    return ConversationDetail(
        id=uuid.uuid4(),
        title=QUESTION,
        created_at=T0,
        updated_at=T0 + timedelta(minutes=7),
        messages=messages,
    )


ATTRIBUTIONS = {
    "spl:abc-123": SourceAttribution(
        document_id="spl:abc-123",
        title="LIPITOR (atorvastatin calcium) tablets",
        url=None,
        source_name="FDA SPL (DailyMed)",
        licence="Public domain (U.S. FDA)",
        attribution="U.S. Food and Drug Administration, DailyMed",
        version="42",
        effective_date="20240101",
    )
}


def _bundle(conversation: ConversationDetail, name: str | None = None) -> dict[str, Any]:
    return build_bundle(
        bundle_id=uuid.uuid4(),
        patient=PatientIdentity(patient_pseudonym(b"k" * 32, uuid.uuid4()), name),
        conversations=[conversation],
        engines=answer_engines(Settings(llm_model="BioMistral/BioMistral-7B")),
        attributions=ATTRIBUTIONS,
        created_at=T0 + timedelta(hours=1),
    )


def _of_type(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _refs(references: list[dict[str, str]]) -> list[str]:
    return [r["reference"] for r in references]


def _by_url(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def test_the_bundle_is_an_r4_collection_with_every_resource_once() -> None:
    bundle = validate_bundle(_bundle(_conversation()))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Patient") == 1
    assert kinds.count("Communication") == 1 + 8, "the thread and each message"
    assert kinds.count("Provenance") == 4, "one per engine-written message"
    assert kinds.count("Device") == 3, "extractive, triage, LLM"
    assert kinds.count("DocumentReference") == 2, "the two cited sections, once each"
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(urls)) == len(urls) and all(u.startswith("urn:uuid:") for u in urls)


def test_the_patient_is_pseudonymous_unless_a_name_was_typed() -> None:
    user_id = uuid.uuid4()
    pseudonym = patient_pseudonym(b"k" * 32, user_id)
    assert (
        pseudonym == patient_pseudonym(b"k" * 32, user_id) != patient_pseudonym(b"j" * 32, user_id)
    )
    assert str(user_id).replace("-", "") not in pseudonym
    (patient,) = _of_type(_bundle(_conversation()), "Patient")
    assert set(patient) == {"resourceType", "id", "identifier"}, "no name, e-mail or telecom"
    assert patient["identifier"][0]["system"] == PSEUDONYM_SYSTEM
    (named,) = _of_type(_bundle(_conversation(), name="Ada Lovelace"), "Patient")
    assert named["name"] == [{"text": "Ada Lovelace"}]
    renamed = validate_bundle(with_patient_name(_bundle(_conversation()), "Ada Lovelace"))
    assert _of_type(renamed, "Patient")[0]["name"] == [{"text": "Ada Lovelace"}]


def test_devices_describe_each_engine_as_the_ai_device_profile_expects() -> None:
    devices = _of_type(_bundle(_conversation()), "Device")
    for device in devices:
        assert device["meta"]["profile"] == [AI_DEVICE_PROFILE]
        (coding,) = device["type"]["coding"]
        assert (coding["system"], coding["code"]) == (
            AI_DEVICE_TYPE_SYSTEM,
            "Artificial-Intelligence",
        )
        assert device["version"][0]["value"], "Lumen's version"
    names = {n["name"] for d in devices for n in d["deviceName"]}
    assert "BioMistral/BioMistral-7B" in names, "the LLM by model name"
    assert "sentence-transformers/all-MiniLM-L6-v2" in names, "the extractive engine's model"


def test_messages_are_communications_of_the_thread_answering_each_other() -> None:
    conversation = _conversation()
    bundle = _bundle(conversation)
    by_url = _by_url(bundle)
    thread = by_url[f"urn:uuid:{conversation.id}"]
    assert thread["topic"] == {"text": QUESTION} and "partOf" not in thread
    patient_url = f"urn:uuid:{_of_type(bundle, 'Patient')[0]['id']}"
    messages = [by_url[f"urn:uuid:{m.id}"] for m in conversation.messages]
    for message, stored in zip(messages, conversation.messages, strict=True):
        assert _refs(message["partOf"]) == [f"urn:uuid:{conversation.id}"]
        assert message["sent"].endswith("Z") and message["subject"]["reference"] == patient_url
        if stored.content:
            assert message["payload"] == [{"contentString": stored.content}]
    question, answer = messages[0], messages[1]
    assert question["sender"]["reference"] == patient_url
    assert by_url[question["recipient"][0]["reference"]]["resourceType"] == "Device"
    assert _refs(answer["inResponseTo"]) == [f"urn:uuid:{conversation.messages[0].id}"]
    assert by_url[answer["sender"]["reference"]]["resourceType"] == "Device"
    assert _refs(answer["recipient"]) == [patient_url]
    follow_up = messages[2]
    assert _refs(follow_up["inResponseTo"]) == [f"urn:uuid:{conversation.messages[1].id}"]
    stopped = messages[7]
    assert stopped["status"] == "stopped" and "payload" not in stopped
    assert "Support is available" in str(messages[5]["note"])


def test_engine_written_messages_are_labelled_ai_asserted_and_patients_are_not() -> None:
    conversation = _conversation()
    by_url = _by_url(_bundle(conversation))
    for stored in conversation.messages:
        labels = by_url[f"urn:uuid:{stored.id}"].get("meta", {}).get("security", [])
        codes = {(label["system"], label["code"]) for label in labels}
        ai = ("http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "AIAST")
        assert (ai in codes) == (stored.role == "assistant")


def test_an_escalation_is_marked_stat_and_as_a_crisis_alert() -> None:
    conversation = _conversation()
    by_url = _by_url(_bundle(conversation))
    escalation = by_url[f"urn:uuid:{conversation.messages[3].id}"]
    assert escalation["priority"] == "stat"
    (category,) = escalation["category"]
    assert category["coding"][0]["code"] == "alert"
    assert "Crisis escalation" in category["text"] and "988" in category["text"]
    answer = by_url[f"urn:uuid:{conversation.messages[1].id}"]
    assert "priority" not in answer and "category" not in answer


def test_each_answer_has_a_provenance_naming_its_engine_and_cited_sources() -> None:
    conversation = _conversation()
    bundle = _bundle(conversation)
    by_url = _by_url(bundle)
    provenances = {p["target"][0]["reference"]: p for p in _of_type(bundle, "Provenance")}
    answer = provenances[f"urn:uuid:{conversation.messages[1].id}"]
    (agent,) = answer["agent"]
    assert agent["type"]["coding"][0]["code"] == "author"
    assert by_url[agent["who"]["reference"]]["resourceType"] == "Device"
    documents = [by_url[e["what"]["reference"]] for e in answer["entity"]]
    assert [e["role"] for e in answer["entity"]] == ["source", "source"], "cited [1] and [2] only"
    first, second = documents
    assert first["content"][0]["attachment"]["url"].startswith("https://dailymed")
    assert "Adverse Reactions" in first["content"][0]["attachment"]["title"]
    extensions = {x["url"].rsplit(":", 1)[-1]: x["valueString"] for x in second["extension"]}
    assert extensions["source-section"] == "Warnings and Precautions"
    assert extensions["source-licence"] == "Public domain (U.S. FDA)", "completed from knowledge"
    assert second["custodian"] == {"display": "FDA SPL (DailyMed)"}
    escalation = provenances[f"urn:uuid:{conversation.messages[3].id}"]
    assert "entity" not in escalation, "a crisis card cites nothing"


def test_the_models_library_refuses_a_broken_bundle_without_quoting_values() -> None:
    bundle = _bundle(_conversation())
    broken = copy.deepcopy(bundle)
    message = next(r for r in _of_type(broken, "Communication") if "payload" in r)
    message["sent"] = "yesterday at noon"
    with pytest.raises(InvalidBundle) as refused:
        validate_bundle(broken)
    assert "sent" in str(refused.value) and "yesterday" not in str(refused.value)
    missing = copy.deepcopy(bundle)
    del _of_type(missing, "Provenance")[0]["target"]
    with pytest.raises(InvalidBundle):
        validate_bundle(missing)
    dangling = copy.deepcopy(bundle)
    _of_type(dangling, "Provenance")[0]["target"] = [{"reference": f"urn:uuid:{uuid.uuid4()}"}]
    with pytest.raises(InvalidBundle, match="name no entry"):
        validate_bundle(dangling)


def test_a_built_bundle_passes_the_official_r4_definitions(fhir_validator: FhirValidator) -> None:
    for name in (None, "Ada Lovelace"):
        validation = fhir_validator(validate_bundle(_bundle(_conversation(), name)))
        assert validation.ok, validation.errors()
