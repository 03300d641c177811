"""Liveness and readiness (DESIGN.md: ``/healthz``, ``/readyz`` report DB, index, LLM, jobs)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlmodel import col, func, select

from lumen.deps import RuntimeDep
from lumen.jobs.models import Job
from lumen.knowledge.models import Document

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Readiness: 200 when the database and the index answer, else 503.

    Body: ``{status, database, index: {points}, knowledge: {documents}, llm: {state, breaker},
    sessions: {store, state}, jobs: [{kind, status, done, total, unit}]}``. An LLM that is
    down does not make Lumen unready: answers degrade to the extractive engine. A session
    store that does not answer does: nobody could sign in.
    """
    body: dict[str, Any] = {"status": "ready"}
    ok = True
    try:
        async with runtime.db.async_session() as session:
            await session.exec(select(text("1")))
            documents = (
                await session.exec(
                    select(func.count()).select_from(Document).where(Document.status == "indexed")
                )
            ).one()
            jobs = (
                await session.exec(select(Job).where(col(Job.status).in_(("queued", "running"))))
            ).all()
        body["database"] = "up"
        body["knowledge"] = {"documents": documents}
        body["jobs"] = [
            {"kind": j.kind, "status": j.status, "done": j.done, "total": j.total, "unit": j.unit}
            for j in jobs
        ]
    except Exception as exc:  # readiness reports failures, it does not raise them
        ok = False
        body["database"] = f"down ({type(exc).__name__})"
    try:
        body["index"] = {"points": runtime.index.count()}
    except Exception as exc:
        ok = False
        body["index"] = f"down ({type(exc).__name__})"
    if runtime.llm is None:
        body["llm"] = {"state": "not configured", "engine": "extractive"}
    else:
        body["llm"] = {"state": await runtime.llm.probe(), "engine": "openai"}
        if runtime.breaker is not None:
            since = runtime.breaker.since
            body["llm"]["breaker"] = {
                "state": runtime.breaker.state,
                "since": since.isoformat() if since else None,
            }
    if runtime.access is not None:
        # Without its session store nobody can sign in: Redis down makes Lumen unready.
        store_up = await runtime.access.sessions.store.ping()
        body["sessions"] = {
            "store": "redis" if runtime.settings.redis_url else "in-process",
            "state": "up" if store_up else "down",
        }
        ok = ok and store_up
    if not ok:
        body["status"] = "unready"
    return JSONResponse(body, status_code=200 if ok else 503)
