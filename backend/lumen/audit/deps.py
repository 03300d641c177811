"""Request dependencies of the audit domain: the review service and the view's filter."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query

from lumen.audit.schemas import AuditFilter
from lumen.audit.service import AuditReview
from lumen.deps import provide

AuditReviewDep = Annotated[AuditReview, Depends(provide(AuditReview))]


async def audit_filter(
    actor_id: Annotated[
        str | None,
        Query(max_length=254, description="A user id, or an e-mail address (resolved to its id)"),
    ] = None,
    action: Annotated[str | None, Query(max_length=48)] = None,
    object_type: Annotated[str | None, Query(max_length=32)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditFilter:
    """The filter from the query string (times ISO 8601, inclusive). The review resolves an
    e-mail address in ``actor_id`` to the account's id."""
    return AuditFilter(actor_id, action, object_type, object_id, since, until)


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]
