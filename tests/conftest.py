"""Fixtures shared by every test folder: real data, the real embedder, real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

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
