"""Request dependencies of the FHIR domain: its service, and who may export (patients: the
role with conversations of its own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lumen.auth.principal import Principal
from lumen.auth.roles import Role
from lumen.deps import provide, require_role
from lumen.fhir.service import FhirService

FhirDep = Annotated[FhirService, Depends(provide(FhirService))]
PatientUser = Annotated[Principal, Depends(require_role(Role.PATIENT))]
