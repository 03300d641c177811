"""Request dependencies of the admin's document routes: their service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from lumen.deps import provide
from lumen.knowledge.uploads.service import UploadService

UploadsDep = Annotated[UploadService, Depends(provide(UploadService))]
