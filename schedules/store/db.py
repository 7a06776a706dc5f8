"""Storage: the async engine, SQLite tuning, and schema migrations (Alembic, run in-process).

Usage::

    db = await Database.open()                 # DATABASE_URL (or the default SQLite file), migrated
    db = await Database.open("postgresql+asyncpg://postgres@127.0.0.1:5432/walkwell")
    async with db.begin() as conn: ...         # one transaction (SQLAlchemy Core)
    await db.close()

SQLite (the default) runs in WAL mode with ``busy_timeout`` and foreign keys on, and every
write transaction (``db.begin()``, ``engine.begin()``) starts with ``BEGIN IMMEDIATE``: writers
queue on the busy timeout instead of failing with "database is locked" when two of them upgrade a
read lock at once. ``db.read()`` opens a plain read transaction. PostgreSQL uses asyncpg.

Migrations: Alembic, with the scripts inside the package (``schedules/store/migrations/versions``), run
programmatically on the application's own async engine by :func:`upgrade_schema` — at start-up
(``Database.open``) and by ``walkwell db upgrade``. All pending revisions run in one transaction;
on PostgreSQL it first takes an advisory lock, so processes starting together migrate once.
Adding a table is one more file in ``versions/``: see ``schedules/store/migrations/README.md``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from schedules.settings import DatabaseSettings, normalise_database_url

__all__ = [
    "Database",
    "create_engine",
    "current_revision",
    "dialect_insert",
    "head_revision",
    "upgrade_schema",
]

log = logging.getLogger(__name__)

SCRIPT_LOCATION = "schedules.store:migrations"
#: Key of the PostgreSQL advisory lock held while migrating ("walkwell" in ASCII, as a number).
MIGRATION_LOCK_KEY = 0x77616C6B77656C6C
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: PostgreSQL: seconds to open a connection, to run one statement, and to wait for a pooled
#: connection. A database that hangs fails a handler or a sweep after these, instead of hanging
#: it (the sweep retries, the recorder keeps its batch).
PG_CONNECT_TIMEOUT = 5.0
PG_COMMAND_TIMEOUT = 30.0
PG_POOL_TIMEOUT = 10.0
#: Execution option marking a read-only transaction (a plain deferred BEGIN on SQLite).
READ_ONLY = "walkwell_read_only"


def _url_of(target: DatabaseSettings | str | None) -> str:
    if target is None:
        return DatabaseSettings().database_url
    if isinstance(target, DatabaseSettings):
        return target.database_url
    return normalise_database_url(target)


def create_engine(target: DatabaseSettings | str | None = None, **kwargs: Any) -> AsyncEngine:
    """An async engine for a URL or settings, with WalkWell's connection set-up.

    For a SQLite file, its folder is created (``./data`` by default). ``kwargs`` go to
    ``create_async_engine`` (e.g. ``connect_args`` for a PostgreSQL ``search_path`` in tests).
    Statement parameters (walk notes, pain, questions) never appear in an error's text or a log:
    ``hide_parameters`` is on.
    """
    url = make_url(_url_of(target))
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_timeout", PG_POOL_TIMEOUT)
    kwargs["connect_args"] = {
        "timeout": PG_CONNECT_TIMEOUT,
        "command_timeout": PG_COMMAND_TIMEOUT,
        **kwargs.get("connect_args", {}),
    }
    return create_async_engine(url, **kwargs)


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below); the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # readers never block in WAL mode
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """The newest migration shipped with this code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None before the first migration)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def upgrade_schema(engine: AsyncEngine) -> str | None:
    """Apply every pending migration in one transaction; returns the revision now current."""
    from alembic import command

    def run(connection: Connection) -> str | None:
        before = _current(connection)
        command.upgrade(_alembic_config(connection), "head")
        after = _current(connection)
        if before != after:
            log.info("database schema upgraded from %s to %s", before or "empty", after)
        return after

    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        return await conn.run_sync(run)


def dialect_insert(conn: AsyncConnection, table: Any) -> Any:
    """An INSERT with ``on_conflict_do_nothing/do_update`` for the connection's backend."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


class Database:
    """An engine plus the few things every caller needs. Create with :meth:`open`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    async def open(
        cls,
        target: DatabaseSettings | str | None = None,
        *,
        upgrade: bool = True,
        **engine_kwargs: Any,
    ) -> Database:
        """Connect (``DATABASE_URL`` when ``target`` is None) and, by default, migrate."""
        db = cls(create_engine(target, **engine_kwargs))
        if upgrade:
            try:
                await upgrade_schema(db.engine)
            except BaseException:
                await db.close()
                raise
        return db

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction: committed when the block ends, rolled back on an exception.
        (On SQLite it takes the write lock up front: ``BEGIN IMMEDIATE``.)"""
        async with self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """One read-only transaction (on SQLite it takes no write lock)."""
        async with self.engine.connect() as conn:
            await conn.execution_options(**{READ_ONLY: True})
            async with conn.begin():
                yield conn

    async def close(self) -> None:
        await self.engine.dispose()
