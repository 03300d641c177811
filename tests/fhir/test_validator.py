"""The independent validator itself: it must refuse what breaks FHIR R4 4.0.1, or a passing
export test would prove nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.fhir.conftest import FhirValidator

UUID_A = "urn:uuid:6a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
UUID_B = "urn:uuid:7b2e3d4c-5f60-4b7c-9d8e-0f1a2b3c4d5e"
VALID: dict[str, Any] = {
    "resourceType": "Bundle",
    "type": "collection",
    "timestamp": "2026-03-01T09:30:00.000Z",
    "entry": [
        {
            "fullUrl": UUID_A,
            "resource": {
                "resourceType": "Communication",
                "id": UUID_A[9:],
                "status": "completed",
                "sent": "2026-03-01T09:30:00.000Z",
                "payload": [{"contentString": "What is gout?"}],
            },
        },
        {
            "fullUrl": UUID_B,
            "resource": {
                "resourceType": "Provenance",
                "id": UUID_B[9:],
                "target": [{"reference": UUID_A}],
                "recorded": "2026-03-01T09:30:01.000Z",
                "agent": [{"who": {"display": "Lumen extractive answer engine"}}],
            },
        },
    ],
}


def _break(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(VALID)
    node: Any = broken
    for step in path[:-1]:
        node = node[step]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return broken


def test_a_minimal_valid_bundle_passes(fhir_validator: FhirValidator) -> None:
    validation = fhir_validator(VALID)
    assert validation.ok and validation.returncode == 0, validation.errors()


@pytest.mark.parametrize(
    ("path", "value", "why"),
    [
        (("type",), "pile", "Bundle.type outside its required value set"),
        (("entry", 0, "resource", "status"), ..., "Communication.status is 1..1"),
        (("entry", 0, "resource", "status"), "sent", "EventStatus has no 'sent'"),
        (("entry", 0, "resource", "sent"), "yesterday", "a dateTime's format"),
        (("entry", 0, "resource", "mood"), "calm", "an element R4 does not define"),
        (("entry", 1, "resource", "target"), ..., "Provenance.target is 1..*"),
        (("entry", 1, "resource", "recorded"), "2026-03-01", "an instant needs a time"),
        (("entry", 1, "fullUrl"), UUID_A, "bdl-7: fullUrls are unique"),
    ],
)
def test_the_validator_refuses_a_broken_bundle(
    fhir_validator: FhirValidator, path: tuple[Any, ...], value: Any, why: str
) -> None:
    validation = fhir_validator(_break(path, value))
    assert not validation.ok and validation.returncode == 1, why
    assert validation.errors(), why
