"""Request dependencies of the knowledge domain: its service and who may read what."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lumen.auth.principal import Principal
from lumen.auth.roles import Role
from lumen.deps import provide, reader
from lumen.knowledge.service import KnowledgeService

KnowledgeDep = Annotated[KnowledgeService, Depends(provide(KnowledgeService))]
# /search is for pharma, admins and diagnostics (DESIGN.md); documents for every reader.
Searcher = Annotated[Principal, Depends(reader("search", (Role.PHARMA, Role.ADMIN)))]
DocumentReader = Annotated[Principal, Depends(reader("drugs"))]
