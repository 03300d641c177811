"""Liveness and readiness (DESIGN.md: ``/healthz``, ``/readyz`` report DB, index, LLM, jobs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from lumen.deps import provide
from lumen.observability.readiness import ReadinessChecks

router = APIRouter(tags=["health"])
ChecksDep = Annotated[ReadinessChecks, Depends(provide(ReadinessChecks))]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=None,
    responses={
        503: {
            "description": "Not ready: the same body, with status unready",
            "content": {"application/json": {"schema": {}}},
        }
    },
)
async def readyz(checks: ChecksDep) -> JSONResponse:
    """Readiness: 200 when every service Lumen cannot serve without answers, else 503.

    Body: ``{status, database, index: {points}, knowledge: {documents}, llm: {state, breaker},
    sessions: {store, state}, jobs: [{kind, status, done, total, unit}]}``, each part from the
    service that owns it (``ReadinessCheck``). An LLM that is down does not make Lumen
    unready: answers degrade to the extractive engine. A session store that does not answer
    does: nobody could sign in.
    """
    body: dict[str, Any] = {"status": "ready"}
    ready = True
    for check in checks.checks:
        readiness = await check.readiness()
        body.update(readiness.report)
        ready = ready and readiness.ready
    if not ready:
        body["status"] = "unready"
    return JSONResponse(body, status_code=200 if ready else 503)
