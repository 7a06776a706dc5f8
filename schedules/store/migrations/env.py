"""Alembic environment for WalkWell's schema.

Normally run programmatically by :func:`schedules.store.db.upgrade_schema` inside one transaction on the
application's own async engine (the connection arrives in ``config.attributes["connection"]``).
Without one (e.g. ``python -m schedules.cli revision``), it opens ``DATABASE_URL`` itself.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from schedules.store.schema import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTER needs table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_own_engine() -> None:
    from schedules.settings import DatabaseSettings
    from schedules.store.db import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url") or DatabaseSettings())
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True
    )
    with context.begin_transaction():
        context.run_migrations()
elif (conn := config.attributes.get("connection")) is not None:
    _run(conn)
else:
    asyncio.run(_run_own_engine())
