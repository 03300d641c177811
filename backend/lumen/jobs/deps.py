"""Request dependencies of the jobs domain: its service and who may follow jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lumen.auth.principal import Principal
from lumen.auth.roles import Role
from lumen.deps import provide, reader
from lumen.jobs.service import JobService

JobsDep = Annotated[JobService, Depends(provide(JobService))]
# Any signed-in user, and the local operator (``lumen ingest`` follows its job); no API token.
JobReader = Annotated[Principal, Depends(reader("jobs"))]
# Admins' sessions and the local operator (cancellation).
JobAdmin = Annotated[Principal, Depends(reader("jobs", roles=(Role.ADMIN,)))]
