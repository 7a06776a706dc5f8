"""The walk log in the database, and /privacy over walks and votes (votes, unanswered questions and
the report on their own: tests/schedules/feedback/test_store.py)."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from schedules.errors import InputError
from schedules.feedback.report import Vote
from schedules.feedback.store import (
    record_unanswered,
    record_vote,
)
from schedules.journal.progress import summarize
from schedules.journal.store import MAX_DAY_MINUTES, log_walk, user_timezone, walks_between
from schedules.journal.walklog import WalkInputError, validate_walk
from schedules.store.db import Database
from schedules.store.schema import feedback_table, users_table, walks_table
from schedules.store.userdata import erase_user, export_user

NOW = datetime(2025, 6, 18, 18, 0, tzinfo=UTC)
USER = 123456789012345678
OTHER = 223456789012345678
PG_URL = os.environ.get("WALKWELL_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'walkwell.db'}")
    yield database
    await database.close()


async def count(db: Database, table: Any) -> int:
    async with db.read() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


def entry(minutes: int = 20, days_ago: int = 0, **kw: Any) -> Any:
    now = NOW - timedelta(days=days_ago)
    return validate_walk(
        minutes, kw.get("cadence"), kw.get("pain"), kw.get("note"), now=now, zone="Europe/Berlin"
    )


def vote(
    answer: int = 1,
    helpful: bool = True,
    user: int = USER,
    unit: str = "cadence",
) -> Vote:
    return Vote(user_id=user, answer_id=answer, unit_id=unit, helpful=helpful)


# --- walks ----------------------------------------------------------------------------------------


async def test_log_walk_round_trip(db: Database) -> None:
    stored = await log_walk(
        db, USER, entry(25, cadence=95, pain=3, note="hills"), zone="Europe/Berlin"
    )
    assert stored.id > 0 and stored.local_date == date(2025, 6, 18)
    await log_walk(db, USER, entry(10, days_ago=2), zone="Europe/Berlin")
    await log_walk(db, OTHER, entry(99), zone="UTC")
    walks = await walks_between(db, USER, date(2025, 6, 1), date(2025, 6, 30))
    assert [(w.minutes, w.cadence, w.pain, w.note) for w in walks] == [
        (10, None, None, None),
        (25, 95, 3, "hills"),
    ]
    assert walks[1].logged_at == NOW and walks[1].logged_at.tzinfo is not None
    assert await walks_between(db, USER, date(2025, 6, 17), date(2025, 6, 17)) == []


async def test_the_first_zone_is_remembered_and_not_overwritten(db: Database) -> None:
    assert await user_timezone(db, USER) is None
    await log_walk(db, USER, entry(), zone="Pacific/Auckland")
    await log_walk(db, USER, entry(), zone="Europe/Berlin")
    assert await user_timezone(db, USER) == "Pacific/Auckland"


async def test_a_day_over_24_hours_is_refused_and_stores_nothing(db: Database) -> None:
    for _ in range(MAX_DAY_MINUTES // 300):
        await log_walk(db, USER, entry(300))
    total = 300 * (MAX_DAY_MINUTES // 300)
    with pytest.raises(WalkInputError) as info:
        await log_walk(db, USER, entry(MAX_DAY_MINUTES - total + 1))
    assert "24 hours" in info.value.user_message
    assert await count(db, walks_table) == MAX_DAY_MINUTES // 300
    await log_walk(db, USER, entry(MAX_DAY_MINUTES - total))  # exactly 24 hours is allowed
    await log_walk(db, USER, entry(300, days_ago=1))  # another day is separate


async def test_the_database_refuses_out_of_range_values_too(db: Database) -> None:
    await log_walk(db, USER, entry())
    for values in ({"minutes": 0}, {"minutes": 10_000}, {"pain": 11}, {"cadence": 5}):
        row = {"user_id": USER, "local_date": date(2025, 6, 18), "minutes": 20, "logged_at": NOW}
        with pytest.raises(IntegrityError):
            async with db.begin() as conn:
                await conn.execute(walks_table.insert().values(**{**row, **values}))
    assert await count(db, walks_table) == 1


@pytest.mark.parametrize("user", [0, -1, 2**63, True, "123"])
async def test_bad_user_ids_are_refused(db: Database, user: Any) -> None:
    with pytest.raises(InputError):
        await log_walk(db, user, entry())
    with pytest.raises(InputError):
        await walks_between(db, user, date(2025, 1, 1), date(2025, 1, 2))
    assert await count(db, users_table) == 0


async def test_stored_walks_feed_progress(db: Database) -> None:
    for d in range(3):
        await log_walk(db, USER, entry(20 + d, days_ago=d, cadence=90), zone="Europe/Berlin")
    walks = await walks_between(db, USER, date(2025, 5, 1), date(2025, 6, 30))
    s = summarize(walks, zone="Europe/Berlin", now=NOW, weeks=1)
    assert s.streak == 3 and sum(p.minutes for p in s.series) == 63


# --- privacy --------------------------------------------------------------------------------------


async def _fill(db: Database, user: int) -> None:
    await log_walk(db, user, entry(30, note="by the river"), zone="Europe/Berlin")
    await record_vote(db, vote(answer=5, user=user), now=NOW)
    await record_unanswered(db, "can I walk with a cold", now=NOW, user_id=user)


async def test_export_is_json_and_holds_only_the_callers_rows(db: Database) -> None:
    await _fill(db, USER)
    await _fill(db, OTHER)
    data = await export_user(db, USER, "journal", "feedback")
    json.dumps(data)
    assert [len(data[k]) for k in ("walks", "feedback", "unanswered")] == [1, 1, 1]
    assert data["answers"] == []
    assert all(row["user_id"] == USER for rows in data.values() for row in rows)
    assert data["walks"][0]["note"] == "by the river"
    assert data["walks"][0]["local_date"] == "2025-06-18"


async def test_delete_leaves_nothing_and_spares_others(db: Database) -> None:
    await _fill(db, USER)
    await _fill(db, OTHER)
    assert await erase_user(db, USER, "journal", "feedback") == 3
    assert await export_user(db, USER, "journal", "feedback") == {
        "walks": [],
        "feedback": [],
        "unanswered": [],
        "answers": [],
    }
    others = await export_user(db, OTHER, "journal", "feedback")
    assert [len(others[k]) for k in ("walks", "feedback", "unanswered")] == [1, 1, 1]
    assert await erase_user(db, USER, "journal", "feedback") == 0


async def test_deleting_the_user_row_cascades_to_walks_and_votes(db: Database) -> None:
    await _fill(db, USER)
    assert await erase_user(db, USER, "reminders") > 0  # the users row
    data = await export_user(db, USER, "journal", "feedback")
    assert data["walks"] == [] and data["feedback"] == []
    assert len(data["unanswered"]) == 1  # no foreign key: the feedback erase removes these
    await erase_user(db, USER)
    assert await export_user(db, USER, "journal", "feedback") == {
        "walks": [],
        "feedback": [],
        "unanswered": [],
        "answers": [],
    }


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.fixture
async def pg() -> AsyncIterator[Database]:
    admin = await Database.open(PG_URL, upgrade=False)
    try:
        async with admin.begin() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        await admin.close()
        message = f"PostgreSQL at {PG_URL} is unreachable ({type(exc).__name__})"
        if os.environ.get("WALKWELL_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(f"{message}; set WALKWELL_REQUIRE_POSTGRES=1 to make this a failure")
    schema = f"ww_journal_{uuid.uuid4().hex[:10]}"
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = await Database.open(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        yield db
    finally:
        await db.close()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.close()


@pytest.mark.postgres
async def test_postgres_concurrent_votes_keep_one_row(pg: Database) -> None:
    await asyncio.gather(
        *(record_vote(pg, vote(answer=7, helpful=i % 2 == 0), now=NOW) for i in range(12))
    )
    assert await count(pg, feedback_table) == 1
    await _fill(pg, OTHER)
    await log_walk(pg, USER, entry(20), zone="UTC")
    assert await erase_user(pg, USER, "reminders") > 0
    assert (await export_user(pg, USER, "journal"))["walks"] == []
    assert await count(pg, feedback_table) == 1  # OTHER's vote
