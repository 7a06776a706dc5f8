"""Migration 0005_trust on a database with votes: the copied question goes, one vote per person
per unit per day stays (the latest), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from schedules.store.db import _alembic_config, create_engine
from tests.schedules.store.test_postgres import PG_URL, schema

__all__ = ["schema"]  # the fixture: a fresh PostgreSQL schema

OLD_VOTES = [
    # id, user, answer, unit, question, helpful, updated_at
    (1, 10, 100, "posture", "alice's words", True, datetime(2026, 3, 1, 8, tzinfo=UTC)),
    (2, 10, 101, "posture", "alice's words", False, datetime(2026, 3, 1, 23, tzinfo=UTC)),
    (3, 10, 102, "posture", "alice's words", True, datetime(2026, 3, 2, 0, 30, tzinfo=UTC)),
    (4, 20, 100, "posture", "alice's words", True, datetime(2026, 3, 1, 8, 30, tzinfo=UTC)),
]


def _instant(engine: AsyncEngine, value: datetime) -> datetime:
    """As the schema's UTCDateTime binds it: naive UTC text on SQLite, aware on PostgreSQL."""
    return value.replace(tzinfo=None) if engine.dialect.name == "sqlite" else value


def _upgrade(connection: Connection, to: str) -> None:
    from alembic import command

    command.upgrade(_alembic_config(connection), to)


async def _migrate_with_votes(engine: AsyncEngine) -> list[Any]:
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, "0003_answers")
        for uid in (10, 20):
            await conn.execute(
                text("INSERT INTO users (user_id, created_at) VALUES (:u, :t)"),
                {"u": uid, "t": _instant(engine, OLD_VOTES[0][6])},
            )
        for row in OLD_VOTES:
            await conn.execute(
                text(
                    "INSERT INTO feedback (id, user_id, answer_id, unit_id, question, helpful, "
                    "created_at, updated_at) VALUES (:i, :u, :a, :n, :q, :h, :t, :t)"
                ),
                dict(zip("iuanqht", (*row[:6], _instant(engine, row[6])), strict=True)),
            )
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, "head")
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT * FROM feedback ORDER BY id"))).all()
    return rows


def _check(rows: list[Any]) -> None:
    assert all("question" not in r._mapping for r in rows)
    assert [(r.id, r.user_id, r.answer_id, str(r.day)) for r in rows] == [
        (2, 10, 101, "2026-03-01"),
        (3, 10, 102, "2026-03-02"),
        (4, 20, 100, "2026-03-01"),
    ]


async def test_migration_drops_questions_and_keeps_one_vote_per_day_sqlite(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        _check(await _migrate_with_votes(engine))
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_migration_drops_questions_and_keeps_one_vote_per_day_postgres(
    schema: str,
) -> None:
    engine = create_engine(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        _check(await _migrate_with_votes(engine))
    finally:
        await engine.dispose()
