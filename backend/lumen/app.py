"""The FastAPI application factory: routers, error handlers, lifespan, the static frontend."""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from lumen.account.endpoints import router as account_router
from lumen.admin.endpoints import router as admin_router
from lumen.admin.knowledge.endpoints import router as knowledge_admin_router
from lumen.audit.endpoints import router as audit_router
from lumen.auth.endpoints import router as auth_router
from lumen.auth.oidc import STATE_COOKIE, STATE_MAX_AGE_S
from lumen.auth.two_factor_endpoints import router as two_factor_router
from lumen.chat.endpoints import router as chat_router
from lumen.db import DATABASE_ERRORS, database_unavailable
from lumen.deps import csrf_protect
from lumen.drugs.endpoints import router as drugs_router
from lumen.fhir.endpoints import router as fhir_router
from lumen.jobs.endpoints import router as jobs_router
from lumen.knowledge.endpoints import router as knowledge_router
from lumen.knowledge.tasks import schedule_seeding
from lumen.knowledge.uploads.endpoints import router as uploads_router
from lumen.migrate import upgrade_to_head
from lumen.observability.health import router as health_router
from lumen.observability.logging import configure_logging, configure_sentry
from lumen.observability.metrics import AnswerMetrics, Metrics
from lumen.problems import install_problem_handlers, install_translation
from lumen.runtime import Server, build_server
from lumen.security.encryption import load_key_ring
from lumen.settings import Settings, get_settings

logger = logging.getLogger(__name__)

FRONTEND_DIR = Path(__file__).resolve().parents[2] / "frontend" / "out"
SERVER_FILE = "server.json"


def create_app(
    settings: Settings | None = None,
    *,
    seed: bool = False,
    runtime: Server | None = None,
    on_ready: Callable[[], None] | None = None,
) -> FastAPI:
    """Build the app. ``seed`` queues the first-run knowledge-base load; ``runtime`` lets a
    caller (tests, benchmarks) share an already built runtime instead of building one;
    ``on_ready`` runs once the app can serve."""
    settings = settings or get_settings()
    configure_logging(settings)
    configure_sentry(settings)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        if owned:
            await anyio.to_thread.run_sync(upgrade_to_head, settings.sqlalchemy_url)
        active = (
            runtime
            if runtime is not None
            else await anyio.to_thread.run_sync(build_server, settings)
        )
        app.state.services = {**active.services(), AnswerMetrics: metrics.answers}
        metrics.server.bind(active.jobs, active.breaker, active.audit_watch)
        app.state.operator_token = secrets.token_urlsafe(32)
        server_file = _write_server_file(settings, app.state.operator_token)
        if seed:
            for job in schedule_seeding(active.worker, settings):
                logger.info("queued %s from %s", job.kind, job.source)
        try:
            # Answers a dead process left streaming are stopped before this one serves.
            async with active.chat.watching_streams():
                if on_ready is not None:
                    on_ready()
                yield
        finally:
            metrics.server.unbind()
            server_file.unlink(missing_ok=True)
            if owned:
                await active.aclose()

    app = FastAPI(
        title="Lumen API",
        version="1",
        summary="Medical question answering with cited, streamed answers",
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
    )
    install_problem_handlers(app)
    # A database that is down or restarting: 503 with Retry-After, not a 500 (lumen.db).
    install_translation(app, DATABASE_ERRORS, database_unavailable)
    if settings.oidc_issuer:
        # authlib keeps the OIDC transaction (state, nonce, PKCE verifier) in this signed
        # cookie; SameSite=Lax so that it returns with the provider's redirect.
        app.add_middleware(
            SessionMiddleware,
            secret_key=load_key_ring(settings).derive(b"lumen/oidc-state").hex(),
            session_cookie=STATE_COOKIE,
            max_age=STATE_MAX_AGE_S,
            same_site="lax",
            https_only=settings.environment == "production",
        )
    app.include_router(health_router)
    app.include_router(auth_router)
    app.include_router(two_factor_router)
    app.include_router(account_router)
    app.include_router(admin_router)
    app.include_router(knowledge_admin_router)
    app.include_router(uploads_router)
    app.include_router(audit_router)
    app.include_router(chat_router)
    app.include_router(knowledge_router)
    app.include_router(drugs_router)
    app.include_router(jobs_router)
    app.include_router(fhir_router)
    metrics.install(app)  # after the middleware, before the frontend's catch-all mount
    if FRONTEND_DIR.is_dir():
        app.mount("/", StaticFiles(directory=FRONTEND_DIR, html=True), name="frontend")
    return app


def _write_server_file(settings: Settings, operator_token: str) -> Path:
    """Tell local CLI processes where this server listens and its operator token (0600)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = settings.data_dir / SERVER_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(
            {
                "pid": os.getpid(),
                "url": f"http://{settings.host}:{settings.port}",
                "operator_token": operator_token,
            },
            handle,
        )
    return path
