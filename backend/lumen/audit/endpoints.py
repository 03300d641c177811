"""Audit review routes (DESIGN.md: ``/api/v1/admin/audit``, ``/verify``, ``/export``).

Every read of the log is itself audited (issue 5: "every admin read of the audit log").
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from lumen.audit.actions import AuditAction
from lumen.audit.chain import canonical_time
from lumen.audit.models import AuditEntry
from lumen.audit.service import AuditFilter
from lumen.deps import AccessDep, AdminUser, AuditDep, ClientDep

router = APIRouter(prefix="/api/v1/admin/audit", tags=["audit"])
EXPORT_FIELDS = (
    "seq", "at", "actor_id", "actor_role", "action", "object_type", "object_id", "outcome",
    "reason", "ip", "user_agent", "prev_hash", "hash",
)  # fmt: skip


class AuditEntryOut(BaseModel):
    """An entry, with the actor's e-mail resolved now (``None`` once the account is gone)."""

    seq: int
    at: datetime
    actor_id: str | None
    actor_email: str | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    reason: str | None
    ip: str | None
    user_agent: str | None
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    """A page of entries, newest first, and the number matching the filter."""

    items: list[AuditEntryOut]
    total: int


class ActionList(BaseModel):
    """Every action name the log uses."""

    items: list[str]


class VerifyOut(BaseModel):
    """The chain check: ``first_broken_seq`` names the first entry that fails."""

    ok: bool
    entries_checked: int
    first_broken_seq: int | None
    problem: str | None


async def audit_filter(
    access: AccessDep,
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
    """The filter from the query string (times ISO 8601, inclusive). An e-mail address in
    ``actor_id`` is resolved to the account's id; one without an account matches nothing."""
    if actor_id and "@" in actor_id:
        actor_id = await access.users.id_of(actor_id) or actor_id
    return AuditFilter(actor_id, action, object_type, object_id, since, until)


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


async def _out(entries: Sequence[AuditEntry], access: AccessDep) -> list[AuditEntryOut]:
    emails = await access.users.emails_of({e.actor_id for e in entries if e.actor_id})
    return [
        AuditEntryOut(**e.model_dump(), actor_email=emails.get(e.actor_id) if e.actor_id else None)
        for e in entries
    ]


@router.get("")
async def list_entries(
    where: FilterDep,
    admin: AdminUser,
    log: AuditDep,
    access: AccessDep,
    client: ClientDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    """Entries matching the filter, newest first, paginated by ``limit``/``offset``."""
    await log.record(admin.audit_event(AuditAction.AUDIT_READ, client, "audit_log"))
    rows, total = await log.entries(where, limit, offset)
    return AuditPage(items=await _out(rows, access), total=total)


@router.get("/actions")
async def list_actions(admin: AdminUser) -> ActionList:
    """The action names, for the filter's choices."""
    return ActionList(items=sorted(a.value for a in AuditAction))


@router.get("/verify")
async def verify(admin: AdminUser, log: AuditDep, client: ClientDep) -> VerifyOut:
    """Check the whole hash chain; names the first broken entry (edited, inserted, deleted)."""
    report = await anyio.to_thread.run_sync(log.verify)
    verdict = "ok" if report.ok else "broken"
    await log.record(
        admin.audit_event(AuditAction.AUDIT_VERIFY, client, "audit_log", reason=verdict)
    )
    return VerifyOut(
        ok=report.ok,
        entries_checked=report.entries_checked,
        first_broken_seq=report.first_broken_seq,
        problem=report.problem,
    )


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
async def export(
    where: FilterDep,
    admin: AdminUser,
    log: AuditDep,
    client: ClientDep,
    format: Literal["csv", "json"] = "csv",
) -> Response:
    """The filtered view as a CSV (RFC 4180) or JSON file, oldest first, with hashes so the
    export can be checked offline."""
    await log.record(
        admin.audit_event(AuditAction.AUDIT_EXPORT, client, "audit_log", reason=format)
    )
    rows = [_export_row(e) for e in await log.all_entries(where)]
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
