"""Fixtures shared by every test folder: real data, the real embedder, real PostgreSQL."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import pytest

if TYPE_CHECKING:
    from lumen.db import Database
    from lumen.settings import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(name: str, reason: str) -> None:
    """Skip with a visible reason when a service is absent; under CI=true, fail instead."""
    message = f"{name} is not available: {reason}"
    if IN_CI:
        pytest.fail(message + " (CI=true: a missing service is a failure)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout (MedQuAD, SPL labels); skips when absent."""
    if not SHARED_DATA.is_dir():
        require_service("shared data", f"{SHARED_DATA} does not exist")
    return SHARED_DATA


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real all-MiniLM-L6-v2 embedder, loaded once per test session."""
    from lumen.knowledge.embeddings import Embedder

    return Embedder(torch_threads=2)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of the PostgreSQL server on 127.0.0.1:5432 (skip/fail when absent)."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        require_service("PostgreSQL on 127.0.0.1:5432", str(exc).strip())
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    name = f"lumen_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Settings, Database]]:
    """``(Settings, Database)`` over a fresh database of each kind (SQLite under ``tmp_path``,
    then PostgreSQL), migrated to head; disposed afterwards."""
    import anyio

    from lumen.db import Database
    from lumen.migrate import upgrade_to_head
    from lumen.settings import Settings

    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    settings = Settings(data_dir=tmp_path, database_url=url)
    upgrade_to_head(settings.sqlalchemy_url)
    db = Database(settings)
    yield settings, db
    anyio.run(db.dispose)


class ServedFolder(NamedTuple):
    """A folder on a local HTTP server: a file put in ``folder`` downloads from
    ``{url}/{name}``; ``server.shutdown()`` takes it offline (a later download must not need it)."""

    folder: Path
    url: str
    server: ThreadingHTTPServer


@pytest.fixture
def served_folder(tmp_path: Path) -> Iterator[ServedFolder]:
    """An empty folder served over HTTP on a free loopback port, for loaders given a URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ServedFolder(folder, f"http://127.0.0.1:{server.server_address[1]}", server)
    server.shutdown()
    thread.join()
    server.server_close()


# --- a real Lumen server on a small real index (SPL labels + a slice of MedQuAD) -------------

MEDQUAD_SLICE_DOCUMENTS = 60


@pytest.fixture(scope="session")
def small_runtime(tmp_path_factory: pytest.TempPathFactory, shared_data: Path, embedder):  # type: ignore[no-untyped-def]
    """A server runtime over a fresh data dir holding the 5 SPL labels and 60 MedQuAD pages."""
    from lumen.knowledge.loaders.medquad import open_medquad
    from lumen.knowledge.loaders.spl import open_spl
    from lumen.migrate import upgrade_to_head
    from lumen.runtime import build_server
    from lumen.settings import Settings

    data_dir = tmp_path_factory.mktemp("lumen-var")
    # Many accounts register from 127.0.0.1 in one session; the limits have their own tests.
    settings = Settings(
        data_dir=data_dir, register_rate_limit="10000/hour", chat_rate_limit="10000/minute"
    )
    upgrade_to_head(settings.sqlalchemy_url)
    runtime = build_server(settings, embedder)
    runtime.ingestor.ingest(open_spl(shared_data / "drug_labels" / "spl"))
    medquad = open_medquad(shared_data / "medquad" / "MedQuAD-master.zip", data_dir / "downloads")
    # The drug pages MedQuAD names without answers come first in its archive: they give the
    # vocabulary its drug names; the slice counts documents with text.
    runtime.ingestor.ingest(_first_documents(medquad, MEDQUAD_SLICE_DOCUMENTS))
    yield runtime
    import anyio

    anyio.run(runtime.aclose)


def _first_documents(items, count):  # type: ignore[no-untyped-def]
    """Every item until ``count`` documents with text have passed (unheld foci included)."""
    from lumen.knowledge.schemas import SourceDocument

    seen = 0
    for item in items:
        yield item
        seen += isinstance(item, SourceDocument)
        if seen == count:
            return


class LiveServer:
    """uvicorn serving an app in a thread, on a free loopback port."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        import socket
        import threading

        import uvicorn

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
            )
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        import time

        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


@pytest.fixture(scope="session")
def live_server(small_runtime):  # type: ignore[no-untyped-def]
    """The real app over ``small_runtime``, served by uvicorn on loopback."""
    from lumen.app import create_app

    server = LiveServer(create_app(small_runtime.settings, runtime=small_runtime))
    yield server
    server.stop()


@pytest.fixture
def patient(live_server):  # type: ignore[no-untyped-def]
    """A freshly registered, signed-in patient on ``live_server``."""
    from tests.accounts import register

    account = register(live_server.url)
    yield account
    account.client.close()


@pytest.fixture
def pharma(live_server, small_runtime):  # type: ignore[no-untyped-def]
    """A signed-in pharma user (TOTP enrolled) on ``live_server``."""
    from tests.accounts import staff

    account = staff(live_server.url, small_runtime, "pharma")
    yield account
    account.client.close()


@pytest.fixture
def admin(live_server, small_runtime):  # type: ignore[no-untyped-def]
    """A signed-in admin (TOTP enrolled) on ``live_server``."""
    from tests.accounts import staff

    account = staff(live_server.url, small_runtime, "admin")
    yield account
    account.client.close()
