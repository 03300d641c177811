"""Database engines and sessions: SQLite by default, PostgreSQL when ``LUMEN_DATABASE_URL`` says.

Request paths use the async engine (aiosqlite / psycopg async); on SQLite their short, hot write
transactions run whole on a worker thread instead (``Database.transaction``). The CLI,
migrations and background jobs use the sync engine on the same database.

A database that is down or does not answer fails a request fast: connecting gives up after
``database_connect_timeout_s``, waiting for a pooled connection after
``database_pool_timeout_s``, and ``database_unavailable`` tells the app's error handler which
errors mean "the database cannot be reached" (503 ``DatabaseUnavailable``, with Retry-After)
rather than a fault in Lumen (500). The pool pings a connection before lending it, so
connections a restarted server dropped are replaced: service resumes without restarting Lumen.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import TypeVar, cast

import anyio
import psycopg
from sqlalchemy import Connection, Engine, Table, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session, SQLModel, create_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from lumen.problems import ServiceUnavailable
from lumen.settings import Settings

# The exception types whose instances ``database_unavailable`` may turn into a 503: what
# SQLAlchemy raises (its pool timeout included), psycopg's own errors, and socket errors that
# escape a driver unwrapped.
DATABASE_ERRORS: tuple[type[Exception], ...] = (sa_exc.SQLAlchemyError, psycopg.Error, OSError)
# SQLite result codes that mean "not now" rather than a fault in the statement
# (https://www.sqlite.org/rescode.html): another writer holds the lock, the file cannot be
# opened or read, the disk is full.
_SQLITE_UNAVAILABLE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
)
_DRIVER_MODULES = ("sqlalchemy.", "psycopg", "aiosqlite", "sqlite3")

T = TypeVar("T")


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached or refuses connections now (down, restarting, out of
    connections); nothing of the request was stored."""

    title = "Database unavailable"


def database_unavailable(exc: Exception) -> DatabaseUnavailable | None:
    """The 503 an exception from the database layer stands for, or ``None`` for a fault that
    retrying will not cure (an integrity or programming error stays a 409 or a 500).

    Connection-level: a ``DBAPIError`` whose connection was invalidated; SQLAlchemy's
    ``OperationalError``, ``InterfaceError``, ``DisconnectionError`` and pool ``TimeoutError``;
    psycopg's ``OperationalError`` and ``InterfaceError`` (PostgreSQL classes 08, 53, 57:
    connection failure, insufficient resources, shutdown and start-up); an ``OSError`` raised
    from inside the driver or SQLAlchemy. SQLite raises ``OperationalError`` for a missing
    table too: of its errors only the result codes in ``_SQLITE_UNAVAILABLE`` count.
    """
    if _connection_level(exc):
        return DatabaseUnavailable("The database is not answering. Try again in a few seconds.")
    return None


def _connection_level(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        cause = exc.orig
        if isinstance(cause, sqlite3.Error):
            return (cause.sqlite_errorname or "").startswith(_SQLITE_UNAVAILABLE)
        return True
    if isinstance(exc, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    if isinstance(exc, OSError):
        return _raised_in_driver(exc)
    return False


def _raised_in_driver(exc: BaseException) -> bool:
    """Whether ``exc`` was raised from inside SQLAlchemy or a database driver."""
    frame = exc.__traceback__
    while frame is not None:
        module = str(frame.tb_frame.f_globals.get("__name__", ""))
        if module.startswith(_DRIVER_MODULES):
            return True
        frame = frame.tb_next
    return False


def utcnow() -> datetime:
    """Timezone-aware now, UTC: the one clock of every stored timestamp."""
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """The table of a SQLModel model, for Core statements. A write to the table skips the ORM's
    bulk paths (key resolution through the mapper, copying new values into the session's
    objects), which cost about a tenth of the server's CPU per answer at 50 streams when no
    loaded object needed them (issue 11)."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


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
        # psycopg's default connect timeout is 130 s: a database that does not answer would
        # hold every request that long.
        server = {} if sqlite else {"connect_timeout": settings.database_connect_timeout_s}
        self.engine: Engine = create_engine(url, pool_pre_ping=not sqlite, connect_args=server)
        # SQLite has one writer at a time. The request path gets one connection, so its
        # transactions queue in-process (on the pool) instead of in SQLite's busy handler,
        # which sleeps up to 100 ms per retry (issue 11). A file needs no pre-ping.
        self.async_engine: AsyncEngine = (
            create_async_engine(async_url(url), pool_size=1, max_overflow=0, pool_timeout=30)
            if sqlite
            else create_async_engine(
                async_url(url),
                pool_pre_ping=True,
                pool_size=settings.database_pool_size,
                max_overflow=settings.database_max_overflow,
                pool_timeout=settings.database_pool_timeout_s,
                connect_args=server,
            )
        )
        # SQLite: ``transaction``'s connection, used by one transaction at a time (the
        # limiter), so that those transactions queue in-process too.
        self._writer: Engine | None = create_engine(url) if sqlite else None
        self._writers = anyio.CapacityLimiter(1)
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            for immediate in (self.async_engine.sync_engine, self._writer):
                event.listen(immediate, "connect", _sqlite_pragmas)
                event.listen(immediate, "connect", _sqlite_immediate_transactions)
                event.listen(immediate, "begin", _begin_immediate)
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

    async def transaction(self, work: Callable[[Session], T]) -> T:
        """Run ``work(session)`` on a sync session and commit; what ``work`` returns. For the
        request path's short write transactions that run for every answer (a new
        conversation, a question stored, an answer ended).

        SQLite: as one call on a worker thread, on a connection of its own that takes the
        write lock at BEGIN, one such transaction at a time (a caller waiting its turn holds
        no thread). Through aiosqlite every statement is three or four hops to the driver's
        thread and back, each waiting its turn on a busy event loop, and the one request
        connection stays lent across all of them: at 50 streams a transaction held it 6.7 ms
        on average and the connection was never free, so answers queued for it (issue 11).
        Here a transaction costs one hop and holds the write lock only while it runs. Writes
        through the async engine meanwhile wait in SQLite's busy handler (``busy_timeout``).
        PostgreSQL: on the async engine (``AsyncSession.run_sync``), whose pool lends many
        connections and whose driver waits on the socket, not on a thread.

        The thread is not abandoned when the caller is cancelled: the transaction commits or
        fails whole. Raises what ``work`` or the commit raise, nothing committed then.
        """
        if self._writer is None:
            async with self.async_session() as session:
                # sqlmodel's AsyncSession lends its own Session class, typed as SQLAlchemy's.
                result = await session.run_sync(lambda sync: work(cast(Session, sync)))
                await session.commit()
                return result
        return await anyio.to_thread.run_sync(self._transact, work, limiter=self._writers)

    def _transact(self, work: Callable[[Session], T]) -> T:
        with Session(self._writer, expire_on_commit=False) as session:
            result = work(session)
            session.commit()
            return result

    async def dispose(self) -> None:
        """Close every pooled connection of the engines."""
        await self.async_engine.dispose()
        self.engine.dispose()
        if self._writer is not None:
            self._writer.dispose()
