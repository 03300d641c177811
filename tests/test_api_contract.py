"""The API answers what its OpenAPI document says: generated requests (schemathesis) as a patient,
a pharma user and an admin with 2FA, checked for server errors and for status codes, content
types and bodies the document does not list.

Bounded: ``EXAMPLES_PER_OPERATION`` generated requests per operation and role (about 2,700 in
all, a few minutes here). A request that ends the caller's session or account (sign-out,
account deletion) is followed by a fresh sign-in, so the rest of the run stays authenticated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import anyio
import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from tests.accounts import Account, register, staff

EXAMPLES_PER_OPERATION = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Caller:
    """One role's signed-in HTTP session, renewed when a generated request ends it."""

    role: str
    base_url: str
    runtime: object
    session: requests.Session = field(default_factory=requests.Session)
    cases: int = 0

    def sign_in(self) -> None:
        # Generated sign-in attempts trip the 127.0.0.1 throttles; they are not this caller's.
        anyio.run(self.runtime.throttle_storage.reset)  # type: ignore[attr-defined]
        account: Account = (
            register(self.base_url)
            if self.role == "patient"
            else staff(self.base_url, self.runtime, self.role)
        )
        self.session = requests.Session()
        self.session.cookies.update(dict(account.client.cookies))
        self.session.headers["X-CSRF-Token"] = account.client.cookies.get("lumen_csrf") or ""
        account.client.close()

    def still_signed_in(self) -> bool:
        return self.session.get(f"{self.base_url}/api/v1/auth/me", timeout=30).status_code == 200


@pytest.fixture(scope="module")
def api_schema(live_server):  # type: ignore[no-untyped-def]
    """The schema the live server serves, as the generated client reads it."""
    return schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")


def _caller(role: str, live_server, small_runtime) -> Iterator[Caller]:  # type: ignore[no-untyped-def]
    found = Caller(role, live_server.url, small_runtime)
    found.sign_in()
    yield found
    print(f"\nschemathesis as {found.role}: {found.cases} generated requests")
    # The run trips sign-in throttles from 127.0.0.1; later tests start from clean ones.
    anyio.run(small_runtime.throttle_storage.reset)


@pytest.fixture(scope="module")
def patient_caller(live_server, small_runtime) -> Iterator[Caller]:  # type: ignore[no-untyped-def]
    """A signed-in patient."""
    yield from _caller("patient", live_server, small_runtime)


@pytest.fixture(scope="module")
def pharma_caller(live_server, small_runtime) -> Iterator[Caller]:  # type: ignore[no-untyped-def]
    """A signed-in pharma user with TOTP."""
    yield from _caller("pharma", live_server, small_runtime)


@pytest.fixture(scope="module")
def admin_caller(live_server, small_runtime) -> Iterator[Caller]:  # type: ignore[no-untyped-def]
    """A signed-in admin with TOTP."""
    yield from _caller("admin", live_server, small_runtime)


bounded = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)


def _run_every_operation(api_schema: schemathesis.BaseSchema, caller: Caller) -> None:
    """Generate requests for every operation as ``caller``; fail listing every operation whose
    answer broke a check (each with schemathesis's reproduction)."""
    failures: list[str] = []
    for found in api_schema.get_all_operations():
        operation = found.ok()

        @bounded
        @given(case=operation.as_strategy())
        def answers_as_documented(case: schemathesis.Case) -> None:
            caller.cases += 1
            case.call_and_validate(base_url=caller.base_url, session=caller.session, checks=CHECKS)
            if not caller.still_signed_in():
                caller.sign_in()

        try:
            answers_as_documented()
        except (Exception, FailureGroup) as exc:  # every operation's failures, then report
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_every_operation_answers_a_patient_as_documented(
    api_schema: schemathesis.BaseSchema, patient_caller: Caller
) -> None:
    _run_every_operation(api_schema, patient_caller)


def test_every_operation_answers_a_pharma_user_as_documented(
    api_schema: schemathesis.BaseSchema, pharma_caller: Caller
) -> None:
    _run_every_operation(api_schema, pharma_caller)


def test_every_operation_answers_an_admin_as_documented(
    api_schema: schemathesis.BaseSchema, admin_caller: Caller
) -> None:
    _run_every_operation(api_schema, admin_caller)


def test_an_undocumented_status_is_a_contract_failure(live_server) -> None:  # type: ignore[no-untyped-def]
    """The checks above can fail: a 401 on an operation whose document lists only 200 is one."""
    document = httpx.get(f"{live_server.url}/openapi.json").json()
    document["paths"]["/api/v1/auth/me"]["get"]["responses"] = {
        "200": document["paths"]["/api/v1/auth/me"]["get"]["responses"]["200"]
    }
    narrowed = schemathesis.openapi.from_dict(document)
    operation = narrowed["/api/v1/auth/me"]["GET"]
    case = operation.Case()
    with pytest.raises(FailureGroup, match="Undocumented status code"):
        case.call_and_validate(base_url=live_server.url, checks=[status_code_conformance])
