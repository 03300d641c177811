"""Which database errors mean "the database cannot be reached" (503) and which are faults in
Lumen that stay 500s or 409s (``lumen.db.database_unavailable``), on real databases."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import anyio
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from lumen.db import Database, DatabaseUnavailable, database_unavailable
from lumen.settings import Settings
from tests.servers import free_port


def _raised(statements: list[str], path: Path) -> SQLAlchemyError:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    except SQLAlchemyError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("no error")


async def _first_query_error(db: Database) -> Exception:
    try:
        async with db.async_session() as session:
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except Exception as exc:
        return exc
    finally:
        await db.dispose()
    raise AssertionError("no error")


def test_integrity_and_programming_errors_are_not_an_outage(tmp_path: Path) -> None:
    duplicate = _raised(
        ["CREATE TABLE t (id INTEGER PRIMARY KEY)", "INSERT INTO t VALUES (1)",
         "INSERT INTO t VALUES (1)"],
        tmp_path / "a.db",
    )  # fmt: skip
    missing_table = _raised(["SELECT * FROM nowhere"], tmp_path / "b.db")
    assert database_unavailable(duplicate) is None
    assert database_unavailable(missing_table) is None, "SQLite says OperationalError here"


def test_a_postgresql_server_that_refuses_connections_is_a_503_at_once(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/lumen"
    db = Database(Settings(data_dir=tmp_path, database_url=url))
    started = time.monotonic()
    error = anyio.run(_first_query_error, db)
    assert time.monotonic() - started < 2
    problem = database_unavailable(error)
    assert isinstance(problem, DatabaseUnavailable)
    assert problem.status == 503 and problem.headers["Retry-After"] == str(problem.retry_after_s)


def test_a_postgresql_server_that_never_answers_is_a_503_after_the_connect_timeout(
    tmp_path: Path,
) -> None:
    """A black hole: the port accepts TCP connections (the kernel's backlog) and nothing ever
    answers the start-up message. psycopg would wait 130 s by default."""
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(8)
        url = f"postgresql+psycopg://postgres@127.0.0.1:{hole.getsockname()[1]}/lumen"
        db = Database(Settings(data_dir=tmp_path, database_url=url))
        started = time.monotonic()
        error = anyio.run(_first_query_error, db)
        elapsed_s = time.monotonic() - started
    assert 1.5 < elapsed_s < 4, f"{elapsed_s:.2f} s: database_connect_timeout_s is 2"
    assert isinstance(database_unavailable(error), DatabaseUnavailable)


def test_concurrent_requests_reuse_the_pools_postgresql_connections(
    tmp_path: Path, postgres_url: str
) -> None:
    """As many transactions at once as the default pool holds, twice: the second round runs on
    the backends the first one opened. (With SQLAlchemy's default of 5 pooled connections, a
    burst beyond them waited for connections and closed the extra ones after each
    transaction, so every burst started new PostgreSQL backends.)"""
    db = Database(Settings(data_dir=tmp_path, database_url=postgres_url))
    at_once = 20  # about what 50 streaming answers hold at once (bench/results.md, 4b)

    async def burst() -> set[int]:
        pids: set[int] = set()

        async def one() -> None:
            async with db.async_session() as session:
                result = await session.exec(text("SELECT pg_backend_pid()"))  # type: ignore[call-overload]
                pids.add(result.scalar_one())
                await anyio.sleep(0.2)  # every transaction of the burst is open at once

        async with anyio.create_task_group() as group:
            for _ in range(at_once):
                group.start_soon(one)
        return pids

    async def two_bursts() -> tuple[set[int], set[int]]:
        try:
            return await burst(), await burst()
        finally:
            await db.dispose()

    first, second = anyio.run(two_bursts)
    assert len(first) == at_once, "the burst waited for connections"
    assert second == first, "the second burst opened new connections"


def test_answer_transactions_and_other_request_writes_on_sqlite_all_commit_at_once(
    tmp_path: Path,
) -> None:
    """Fifty units of work through ``Database.transaction`` (an answer's rows) and fifty writes
    through the async engine (sign-ins, reads' audit entries) at once, on SQLite's two request
    connections: every one commits and none fails with SQLITE_BUSY, which a patient would see as
    a 503. A unit of work that raises commits nothing of what it wrote."""
    db = Database(Settings(data_dir=tmp_path))
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, via TEXT)"))
    insert = text("INSERT INTO notes (via) VALUES (:via)")

    def answer_rows(session: Session) -> None:
        session.execute(insert, {"via": "transaction"})
        session.execute(insert, {"via": "transaction"})

    def refused(session: Session) -> None:
        session.execute(insert, {"via": "refused"})
        raise ValueError("the audit entry could not be written")

    async def request_write() -> None:
        async with db.async_session() as session:
            await session.exec(insert, params={"via": "async"})  # type: ignore[call-overload]
            await session.commit()

    async def at_once() -> None:
        try:
            async with anyio.create_task_group() as group:
                for _ in range(50):
                    group.start_soon(db.transaction, answer_rows)
                    group.start_soon(request_write)
            with pytest.raises(ValueError):
                await db.transaction(refused)
        finally:
            await db.dispose()

    anyio.run(at_once)
    with db.engine.connect() as connection:
        counts = dict(
            connection.execute(text("SELECT via, count(*) FROM notes GROUP BY via")).all()
        )
    db.engine.dispose()
    assert counts == {"transaction": 100, "async": 50}
