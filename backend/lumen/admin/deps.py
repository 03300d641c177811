"""Request dependencies of the admin domain: its services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lumen.admin.service import BreakGlassService, UserAdminService
from lumen.deps import provide

UserAdminDep = Annotated[UserAdminService, Depends(provide(UserAdminService))]
BreakGlassDep = Annotated[BreakGlassService, Depends(provide(BreakGlassService))]
