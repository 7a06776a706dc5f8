"""/privacy's registry: every table with a user id is covered, export and erase span all features."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Table

from schedules.feedback.report import Vote
from schedules.feedback.store import record_unanswered, record_vote, remember_answer
from schedules.journal.store import log_walk
from schedules.journal.walklog import MAX_NOTE, validate_walk
from schedules.reminders.service import ReminderService
from schedules.store import userdata
from schedules.store.db import Database
from schedules.store.schema import club_presses_table, metadata, walks_table
from schedules.store.userdata import erase_user, export_user
from tests.schedules.journal.test_store import pg

__all__ = ["pg"]  # the PostgreSQL fixture

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ALICE = 111111111111111111
BOB = 222222222222222222


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'walkwell.db'}")
    yield database
    await database.close()


def _holds_user_ids(table: Table) -> bool:
    return any(c.name == "user_id" or c.name.endswith("user_id") for c in table.columns)


def test_every_table_with_a_user_id_is_covered_by_a_registration() -> None:
    covered = {t.name for entry in userdata.registrations() for t in entry.tables}
    with_user_ids = {t.name for t in metadata.tables.values() if _holds_user_ids(t)}
    assert with_user_ids, "the schema has per-user tables"
    missing = with_user_ids - covered
    assert not missing, f"no /privacy registration covers {sorted(missing)}"
    assert [entry.feature for entry in userdata.registrations()] == list(userdata.FEATURES)


def test_registrations_are_checked() -> None:
    with pytest.raises(ValueError):
        userdata.register("clubs", walks_table)
    with pytest.raises(ValueError):
        userdata.registrations("clubs")


def test_the_walk_note_column_fits_the_longest_note() -> None:
    assert walks_table.c.note.type.length == MAX_NOTE  # type: ignore[attr-defined]


def test_jsonable_converts_dates_and_instants_recursively() -> None:
    value = {"a": [NOW, NOW.date()], "b": (NOW.time(),), "c": 1, "d": None}
    assert userdata.jsonable(value) == {
        "a": ["2026-03-02T09:00:00+00:00", "2026-03-02"],
        "b": ["09:00:00"],
        "c": 1,
        "d": None,
    }


async def _fill(db: Database, user: int, answer: int) -> None:
    await ReminderService(db).subscribe(user, "7:30", "Europe/Berlin", now=NOW)
    walk = validate_walk(30, None, None, "by the river", now=NOW, zone="Europe/Berlin")
    await log_walk(db, user, walk, zone="Europe/Berlin")
    await remember_answer(db, answer, "posture", "how should I stand?", now=NOW, user_id=user)
    vote = Vote(user_id=user, answer_id=answer, unit_id="posture", helpful=True)
    await record_vote(db, vote, now=NOW)
    await record_unanswered(db, "can I walk with a cold", now=NOW, user_id=user)
    async with db.begin() as conn:  # a walking club "I walked" press
        await conn.execute(
            club_presses_table.insert().values(
                guild_id=77, club_day=NOW.date(), user_id=user, pressed_at=NOW
            )
        )


KEYS = [
    "user",
    "snoozes",
    "deliveries",
    "subscriptions",
    "walks",
    "feedback",
    "unanswered",
    "answers",
    "club_presses",
]


async def test_export_and_erase_cover_every_feature_and_spare_others(db: Database) -> None:
    await _fill(db, ALICE, 9001)
    await _fill(db, BOB, 9002)
    data = await export_user(db, ALICE)
    json.dumps(data)
    assert list(data) == KEYS  # /privacy export's document, in this order
    assert data["user"]["user_id"] == ALICE
    for name in ("subscriptions", "walks", "feedback", "unanswered", "answers", "club_presses"):
        assert [row["user_id"] for row in data[name]] == [ALICE], name

    assert await erase_user(db, ALICE) > 0
    empty = await export_user(db, ALICE)
    assert list(empty) == KEYS
    assert empty["user"] is None
    assert all(rows == [] for name, rows in empty.items() if name != "user")
    assert await erase_user(db, ALICE) == 0

    bobs = await export_user(db, BOB)
    assert bobs["user"]["user_id"] == BOB
    assert all(len(bobs[name]) == 1 for name in KEYS[3:])


async def test_one_zone_rule_per_caller(db: Database) -> None:
    """A walk fills a missing zone and never replaces one; /reminders start replaces it."""
    walk = validate_walk(30, None, None, None, now=NOW, zone="Asia/Tokyo")
    await log_walk(db, ALICE, walk, zone="Asia/Tokyo")
    await ReminderService(db).subscribe(ALICE, "7:30", "Europe/Berlin", now=NOW)
    assert (await export_user(db, ALICE, "reminders"))["user"]["timezone"] == "Europe/Berlin"
    await log_walk(db, ALICE, walk, zone="Asia/Tokyo")
    assert (await export_user(db, ALICE, "reminders"))["user"]["timezone"] == "Europe/Berlin"
    vote = Vote(user_id=BOB, answer_id=1, unit_id="posture", helpful=True)
    await record_vote(db, vote, now=NOW)
    assert (await export_user(db, BOB, "reminders"))["user"]["timezone"] is None


@pytest.mark.postgres
async def test_export_and_erase_on_postgres(pg: Database) -> None:
    await test_export_and_erase_cover_every_feature_and_spare_others(pg)
