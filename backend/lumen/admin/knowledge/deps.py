"""Request dependencies of the admin knowledge routes: their service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lumen.admin.knowledge.service import KnowledgeAdmin
from lumen.deps import provide

KnowledgeAdminDep = Annotated[KnowledgeAdmin, Depends(provide(KnowledgeAdmin))]
