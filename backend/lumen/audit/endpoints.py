"""Audit review routes (DESIGN.md: ``/api/v1/admin/audit``, ``/verify``, ``/export``).

Every read of the log is itself audited, by the review service (issue 5: "every admin read of
the audit log").
"""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from lumen.audit.actions import AuditAction
from lumen.audit.chain import canonical_time
from lumen.audit.deps import AuditReviewDep, FilterDep
from lumen.audit.models import AuditEntry
from lumen.audit.schemas import ActionList, AuditPage, VerifyOut
from lumen.deps import AdminUser, ClientDep, Offset
from lumen.problems import problem_responses

router = APIRouter(prefix="/api/v1/admin/audit", tags=["audit"])
EXPORT_FIELDS = (
    "id", "seq", "at", "actor_id", "actor_role", "action", "object_type", "object_id", "outcome",
    "reason", "ip", "user_agent", "prev_hash", "hash",
)  # fmt: skip


@router.get("", responses=problem_responses(401, 403, 503))
async def list_entries(
    where: FilterDep,
    admin: AdminUser,
    review: AuditReviewDep,
    client: ClientDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> AuditPage:
    """Entries matching the filter, newest first, paginated by ``limit``/``offset``. 503 when
    the read cannot be recorded."""
    return await review.page(admin, client, where, limit, offset)


@router.get("/actions", responses=problem_responses(401, 403))
async def list_actions(admin: AdminUser) -> ActionList:
    """The action names, for the filter's choices."""
    return ActionList(items=sorted(a.value for a in AuditAction))


@router.get("/verify", responses=problem_responses(401, 403, 503))
async def verify(admin: AdminUser, review: AuditReviewDep, client: ClientDep) -> VerifyOut:
    """Check the whole hash chain; names the first broken entry (edited, inserted, deleted).
    503 when the check cannot be recorded."""
    report = await review.verify(admin, client)
    return VerifyOut(
        ok=report.ok,
        entries_checked=report.entries_checked,
        first_broken_seq=report.first_broken_seq,
        problem=report.problem,
    )


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}, "application/json": {}}},
        **problem_responses(401, 403, 503),
    },
)
async def export(
    where: FilterDep,
    admin: AdminUser,
    review: AuditReviewDep,
    client: ClientDep,
    format: Literal["csv", "json"] = "csv",
) -> Response:
    """The filtered view as a CSV (RFC 4180) or JSON file, oldest first, with hashes so the
    export can be checked offline. 503 when the export cannot be recorded."""
    rows = [_export_row(e) for e in await review.export(admin, client, where, format)]
    if format == "json":
        body = json.dumps(rows, ensure_ascii=False, indent=1)
        media = "application/json"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
        body, media = buffer.getvalue(), "text/csv; charset=utf-8"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="lumen-audit.{format}"'},
    )


def _export_row(entry: AuditEntry) -> dict[str, object]:
    row = {name: getattr(entry, name) for name in EXPORT_FIELDS}
    row["at"] = canonical_time(entry.at)
    return row
