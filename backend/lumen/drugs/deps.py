"""Request dependencies of the drugs domain: who may read drug labels.

Drugs has no tables or service of its own: labels are knowledge documents, read through
``lumen.knowledge.deps.KnowledgeDep``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lumen.auth.principal import Principal
from lumen.deps import reader

# Every signed-in role, and API tokens with scope ``drugs``.
DrugReader = Annotated[Principal, Depends(reader("drugs"))]
