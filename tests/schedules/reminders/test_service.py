"""ReminderService on SQLite: validation, status, privacy, stop, snooze and done.

No sleeping: every sweep gets its instant explicitly.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text, update

from schedules.errors import InputError, NotSubscribedError
from schedules.store.db import Database
from schedules.store.schema import subscriptions_table
from schedules.store.userdata import erase_user, export_user
from tests.schedules.reminders.helpers import (
    delivery_rows,
    make,
    utc,
)


async def test_instants_must_be_timezone_aware(db: Database) -> None:
    _, service, _ = make(db)
    with pytest.raises(ValueError):
        await service.subscribe(1, "7:30", "Europe/Berlin", now=datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(Exception, match="timezone-aware"):
        async with db.begin() as conn:
            await conn.execute(
                update(subscriptions_table).values(
                    next_due_utc=datetime(2026, 1, 1)  # noqa: DTZ001
                )
            )


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((1, "25:00", "Europe/Berlin"), {}),
        ((1, "7:30", "Mars/Base"), {}),
        ((1, "7:30", "Europe/Berlin", "carrier pigeon"), {}),
        ((1, "7:30", "Europe/Berlin", "here"), {}),  # a channel id is needed
        ((1, "7:30", "Europe/Berlin", "here", -5), {}),
        ((0, "7:30", "Europe/Berlin"), {}),
        ((True, "7:30", "Europe/Berlin"), {}),
        ((1, "7:30", "Europe/Berlin"), {"nudges": "yes"}),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(
    db: Database, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    _, service, _ = make(db)
    with pytest.raises(InputError) as err:
        await service.subscribe(*args, **kwargs)
    assert err.value.user_message
    async with db.read() as conn:
        for table in ("users", "subscriptions", "deliveries", "snoozes"):
            assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0


async def test_subscribe_and_status(db: Database) -> None:
    _, service, _ = make(db)
    now = utc(2026, 7, 1, 4, 0)  # 06:00 in Berlin
    status = await service.subscribe(5, "7:30am", "berlin", now=now)
    assert status.timezone == "Europe/Berlin" and status.time_text == "07:30"
    assert status.where == "dm" and status.channel_id is None and status.nudges
    assert status.next_due_utc == utc(2026, 7, 1, 5, 30)
    assert status.next_due_local is not None
    assert status.next_due_local.hour == 7 and status.next_due_local.minute == 30
    assert status.next_due_unix == int(utc(2026, 7, 1, 5, 30).timestamp())
    assert (status.targets.week, status.targets.cadence, status.targets.minutes) == (1, 85, 10)
    assert not status.paused
    # later the same morning: the first one is tomorrow
    other = await service.subscribe(6, "7:30", "Europe/Berlin", now=utc(2026, 7, 1, 6, 0))
    assert other.next_due_utc == utc(2026, 7, 2, 5, 30)
    here = await service.subscribe(7, "19:30", "UTC", "here", channel_id=123, guild_id=456, now=now)
    assert (here.where, here.channel_id, here.guild_id) == ("channel", 123, 456)
    assert await service.status(999) is None


async def test_export_and_delete_user_data(db: Database) -> None:
    engine, service, sender = make(db)
    now = utc(2026, 7, 1, 4, 0)
    await service.subscribe(5, "7:30", "Europe/Berlin", now=now)
    await service.subscribe(6, "7:30", "Europe/Berlin", now=now)
    await engine.sweep(utc(2026, 7, 1, 5, 30, 30))
    await service.snooze(5, 30, now=utc(2026, 7, 1, 5, 31))
    data = await export_user(db, 5, "reminders")
    json.dumps(data)  # JSON-ready
    assert data["user"]["timezone"] == "Europe/Berlin"
    assert len(data["subscriptions"]) == 1 and len(data["snoozes"]) == 1
    assert [d["kind"] for d in data["deliveries"]] == ["reminder"]
    engine.forget_user(5)  # what /privacy delete does first
    assert await erase_user(db, 5, "reminders") > 0
    assert await service.status(5) is None
    empty = await export_user(db, 5, "reminders")
    assert empty["user"] is None
    assert {"snoozes", "deliveries", "subscriptions"} <= set(empty)
    assert all(rows == [] for name, rows in empty.items() if name != "user")
    assert await erase_user(db, 5, "reminders") == 0
    assert await service.status(6) is not None  # others untouched
    sender.calls.clear()
    await engine.sweep(utc(2026, 7, 1, 6, 5))  # the snooze went with the data
    await engine.sweep(utc(2026, 7, 2, 5, 30, 30))
    assert [c.user_id for c in sender.calls] == [6]


async def test_unsubscribe_stops_everything(db: Database) -> None:
    engine, service, sender = make(db)
    await service.subscribe(1, "07:30", "UTC", now=utc(2026, 7, 1))
    await engine.sweep(utc(2026, 7, 1, 7, 30, 1))
    await service.snooze(1, 30, now=utc(2026, 7, 1, 7, 31))
    assert await service.unsubscribe(1, now=utc(2026, 7, 1, 7, 32)) is True
    assert await service.unsubscribe(1) is False
    for minutes in range(0, 3 * 24 * 60, 30):
        await engine.sweep(utc(2026, 7, 1, 7, 33) + timedelta(minutes=minutes))
    assert len(sender.calls) == 1
    assert await service.status(1) is None


async def test_snooze_is_one_off_and_does_not_move_the_daily_schedule(db: Database) -> None:
    engine, service, sender = make(db)
    await service.subscribe(1, "07:30", "UTC", now=utc(2026, 7, 1))
    await engine.sweep(utc(2026, 7, 1, 7, 30, 1))
    due = await service.snooze(1, 30, now=utc(2026, 7, 1, 7, 31))
    assert due == utc(2026, 7, 1, 8, 1)
    status = await service.status(1)
    assert status is not None and status.snooze_due_utc == due
    assert status.next_due_utc == utc(2026, 7, 2, 7, 30)
    await engine.sweep(utc(2026, 7, 1, 8, 0, 59))
    assert len(sender.calls) == 1
    await engine.sweep(utc(2026, 7, 1, 8, 1, 1))
    await engine.sweep(utc(2026, 7, 1, 8, 2, 1))
    assert [c.kind for c in sender.calls] == ["reminder", "snooze"]
    await engine.sweep(utc(2026, 7, 2, 7, 30, 1))
    assert [c.kind for c in sender.calls] == ["reminder", "snooze", "reminder"]
    for bad in (0, -5, 10_000, 2.5, "30"):
        with pytest.raises(InputError):
            await service.snooze(1, bad, now=utc(2026, 7, 2, 8, 0))  # type: ignore[arg-type]
    with pytest.raises(NotSubscribedError):
        await service.snooze(2, 30)


async def test_done_acknowledges_the_reminder_and_drops_a_snooze(db: Database) -> None:
    engine, service, sender = make(db)
    await service.subscribe(1, "07:30", "UTC", now=utc(2026, 7, 1))
    assert await service.mark_done(1, now=utc(2026, 7, 1, 7, 0)) is False
    await engine.sweep(utc(2026, 7, 1, 7, 30, 1))
    await service.snooze(1, 30, now=utc(2026, 7, 1, 7, 31))
    assert await service.mark_done(1, now=utc(2026, 7, 1, 7, 40)) is True
    assert await service.mark_done(1, now=utc(2026, 7, 1, 7, 41)) is False  # once
    await engine.sweep(utc(2026, 7, 1, 8, 2))
    assert len(sender.calls) == 1
    (row,) = await delivery_rows(db, 1)
    assert row.acked_at == utc(2026, 7, 1, 7, 40)
