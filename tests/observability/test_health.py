"""``/readyz`` merges what each service reports; one that cannot serve makes it 503."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lumen.db import Database
from lumen.jobs.service import JobService
from lumen.jobs.worker import JobWorker
from lumen.knowledge.index.factory import open_index
from lumen.knowledge.retrieval import Retriever
from lumen.knowledge.service import KnowledgeService
from lumen.knowledge.sparse import Bm25Encoder
from lumen.observability.health import router
from lumen.observability.readiness import ReadinessChecks
from lumen.settings import Settings


def test_readiness_reports_every_service_part(live_server) -> None:  # type: ignore[no-untyped-def]
    response = httpx.get(f"{live_server.url}/readyz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ready"
    assert body["database"] == "up" and body["index"]["points"] > 0
    assert body["knowledge"]["documents"] > 0
    assert body["jobs"] == []
    assert set(body) == {"status", "database", "index", "knowledge", "llm", "sessions", "jobs"}


@pytest.fixture
def unmigrated(tmp_path: Path, embedder) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """The health routes over a database without Lumen's tables and an empty index."""
    settings = Settings(data_dir=tmp_path)
    db, index = Database(settings), open_index(settings)
    worker = JobWorker(db, {})
    app = FastAPI()
    app.include_router(router)
    knowledge = KnowledgeService(db, Retriever(embedder, Bm25Encoder(), index), index)
    app.state.services = {ReadinessChecks: ReadinessChecks([knowledge, JobService(db, worker)])}
    with TestClient(app) as client:
        yield client
    worker.stop()
    index.close()


def test_a_database_that_does_not_answer_makes_lumen_unready(unmigrated: TestClient) -> None:
    response = unmigrated.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unready",
        "database": "down (OperationalError)",
        "index": {"points": 0},
    }
