"""Database engines and sessions: SQLite by default, PostgreSQL when ``LUMEN_DATABASE_URL`` says.

Request paths use the async engine (aiosqlite / psycopg async); the CLI, migrations and
background jobs use the sync engine on the same database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session, create_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.settings import Settings


def utcnow() -> datetime:
    """Timezone-aware now, UTC: the one clock of every stored timestamp."""
    return datetime.now(UTC)


def async_url(sync_url: str) -> str:
    """The async-driver form of a sync SQLAlchemy URL (sqlite → aiosqlite, psycopg stays)."""
    if sync_url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + sync_url.removeprefix("sqlite:///")
    if sync_url.startswith("postgresql://"):
        return "postgresql+psycopg://" + sync_url.removeprefix("postgresql://")
    return sync_url


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets the request path read while a background job writes; foreign keys are off by
    # default in SQLite. synchronous=NORMAL in WAL mode syncs at checkpoints, not at every
    # commit (FULL allowed ~800 commits/s here, NORMAL ~14,000): the database stays
    # consistent through any crash, and an operating-system crash or power cut can undo the
    # last commits, each change with its audit entry (https://www.sqlite.org/pragma.html#pragma_synchronous).
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_immediate_transactions(dbapi_connection: object, _record: object) -> None:
    # The driver's own BEGIN is off, so that ``_begin_immediate`` can say BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _begin_immediate(connection: Connection) -> None:
    """Request transactions take SQLite's write lock when they begin. A deferred transaction
    that reads, then writes, fails at once with SQLITE_BUSY when another connection committed
    in between (the sealer, a job): that was a 500 under concurrent load. Nearly every request
    transaction writes (each access is audited in it), so taking the lock first costs nothing.
    https://www.sqlite.org/lang_transaction.html; SQLAlchemy's pysqlite/aiosqlite recipe."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The sync and async engines of one database URL."""

    def __init__(self, settings: Settings) -> None:
        url = settings.sqlalchemy_url
        if url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.url = url
        sqlite = url.startswith("sqlite")
        self.engine: Engine = create_engine(url, pool_pre_ping=not sqlite)
        # SQLite has one writer at a time. The request path gets one connection, so its
        # transactions queue in-process (on the pool) instead of in SQLite's busy handler,
        # which sleeps up to 100 ms per retry (issue 11). A file needs no pre-ping.
        self.async_engine: AsyncEngine = (
            create_async_engine(async_url(url), pool_size=1, max_overflow=0, pool_timeout=30)
            if sqlite
            else create_async_engine(async_url(url), pool_pre_ping=True)
        )
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.async_engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.async_engine.sync_engine, "connect", _sqlite_immediate_transactions)
            event.listen(self.async_engine.sync_engine, "begin", _begin_immediate)
        self._async_sessions = async_sessionmaker(
            self.async_engine, class_=AsyncSession, expire_on_commit=False
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A sync session; commits are the caller's."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @asynccontextmanager
    async def async_session(self) -> AsyncIterator[AsyncSession]:
        """An async session for request paths; commits are the caller's."""
        async with self._async_sessions() as session:
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection of both engines."""
        await self.async_engine.dispose()
        self.engine.dispose()
