"""A hung PostgreSQL fails a caller after a bounded time instead of hanging it (issue 11)."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from schedules.store.db import (
    PG_COMMAND_TIMEOUT,
    PG_CONNECT_TIMEOUT,
    PG_POOL_TIMEOUT,
    Database,
)
from tests.schedules.store.test_postgres import PG_URL, schema

__all__ = ["schema"]  # the fixture, re-used


async def test_a_database_that_accepts_but_never_answers_fails_the_caller_in_time() -> None:
    held: list[asyncio.StreamWriter] = []

    async def hang(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept, then say nothing: a hung server

    server = await asyncio.start_server(hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    db = await Database.open(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test", upgrade=False)
    started = time.monotonic()
    try:
        with pytest.raises((TimeoutError, OSError)):
            async with db.read() as conn:  # without a connect timeout: asyncpg's 60 s
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 30)
        assert time.monotonic() - started < PG_CONNECT_TIMEOUT + 5
    finally:
        await db.close()
        for writer in held:
            writer.close()
        server.close()


@pytest.mark.postgres
async def test_statements_and_the_pool_have_timeouts(schema: str) -> None:
    db = await Database.open(
        PG_URL, upgrade=False, connect_args={"server_settings": {"search_path": schema}}
    )
    try:
        assert db.engine.pool.timeout() == PG_POOL_TIMEOUT  # type: ignore[attr-defined]
        async with db.read() as conn:
            raw = await conn.get_raw_connection()
            asyncpg_conn = raw.driver_connection
            assert asyncpg_conn._config.command_timeout == PG_COMMAND_TIMEOUT  # type: ignore[union-attr]
            # the caller's own connect_args are kept
            path = (await conn.execute(text("SHOW search_path"))).scalar_one()
            assert schema in path
    finally:
        await db.close()
