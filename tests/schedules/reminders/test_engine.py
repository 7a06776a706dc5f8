"""The reminder engine and service on SQLite, with an injectable clock and a recording Sender.

No sleeping: every sweep gets its instant explicitly.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text, update

from schedules.errors import InputError, NotSubscribedError
from schedules.plan.progression import ProgressionPlan
from schedules.reminders.delivery import Outgoing, SendOutcome, TokenBucket, make_nonce
from schedules.reminders.engine import ReminderEngine, SweepReport
from schedules.reminders.service import ReminderService
from schedules.reminders.timecalc import get_zone
from schedules.settings import ReminderSettings
from schedules.store.db import Database, current_revision, head_revision
from schedules.store.schema import deliveries_table, metadata, subscriptions_table, users_table
from schedules.store.userdata import erase_user, export_user

Script = Callable[[Outgoing], SendOutcome | None]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


class RecordingSender:
    """Records every send; ``script`` may answer an item with another outcome than ok."""

    def __init__(self, script: Script | None = None) -> None:
        self.calls: list[Outgoing] = []
        self.script = script

    async def send(self, item: Outgoing) -> SendOutcome:
        self.calls.append(item)
        await asyncio.sleep(0)  # let other tasks interleave, as a network call would
        if self.script is not None:
            outcome = self.script(item)
            if outcome is not None:
                return outcome
        return SendOutcome.ok(10_000 + len(self.calls), dm_channel_id=900_000 + item.user_id)

    def keys(self) -> Counter[tuple[int, str, datetime]]:
        return Counter((c.user_id, c.kind, c.due_utc) for c in self.calls)


def settings(**overrides: Any) -> ReminderSettings:
    values: dict[str, Any] = {
        "grace_minutes": 120,
        "late_after_minutes": 5,
        "lease_seconds": 120,
        "max_attempts": 3,
        "send_rate": 40.0,
        "send_burst": 5,
        "max_in_flight": 8,
        "batch_size": 50,
    }
    values.update(overrides)
    return ReminderSettings(**values)


def fast_bucket() -> TokenBucket:
    return TokenBucket(1e9, 10**9)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def db(tmp_path: Path) -> Any:
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'walkwell.db'}")
    yield database
    await database.close()


def make(
    db: Database,
    sender: RecordingSender | None = None,
    clock: Clock | None = None,
    plan: ProgressionPlan | None = None,
    **overrides: Any,
) -> tuple[ReminderEngine, ReminderService, RecordingSender]:
    sender = sender or RecordingSender()
    clock = clock or Clock(utc(2026, 1, 1))
    engine = ReminderEngine(
        db, sender, settings=settings(**overrides), clock=clock, bucket=fast_bucket(), plan=plan
    )
    service = ReminderService(db, engine=engine, clock=clock, plan=plan)
    return engine, service, sender


async def seed(db: Database, user_ids: range | list[int], due: datetime, zone: str = "UTC") -> None:
    """Bulk-insert subscribers all due at ``due`` (faster than one subscribe each)."""
    tz = get_zone(zone)
    local = due.astimezone(tz)
    async with db.begin() as conn:
        await conn.execute(
            users_table.insert(),
            [{"user_id": u, "timezone": zone, "created_at": due} for u in user_ids],
        )
        await conn.execute(
            subscriptions_table.insert(),
            [
                {
                    "user_id": u,
                    "local_time": local.time().replace(second=0, microsecond=0, tzinfo=None),
                    "timezone": zone,
                    "destination": "dm",
                    "nudges": True,
                    "active": True,
                    "pause_notice": False,
                    "next_due_utc": due,
                    "next_local_date": local.date(),
                    "plan_started_on": local.date(),
                    "plan_week": 1,
                    "cadence_target": 85,
                    "minutes_target": 10,
                    "created_at": due,
                    "updated_at": due,
                }
                for u in user_ids
            ],
        )


async def delivery_rows(db: Database, user_id: int | None = None) -> list[Any]:
    query = select(deliveries_table).order_by(deliveries_table.c.due_utc, deliveries_table.c.kind)
    if user_id is not None:
        query = query.where(deliveries_table.c.user_id == user_id)
    async with db.read() as conn:
        return list((await conn.execute(query)).all())


# -- storage and migrations -----------------------------------------------------------------------


async def test_fresh_database_is_migrated_to_head_and_matches_the_models(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert await current_revision(db.engine) == head_revision()
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), metadata
            )
        )
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    assert diff == []
    assert (mode, fks) == ("wal", 1) and timeout and timeout >= 1000


async def test_reopening_runs_no_migration_and_keeps_data(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'dir' / 'w.db'}"  # folders are created
    first = await Database.open(url)
    _, service, _ = make(first)
    await service.subscribe(1, "7:30", "Europe/Berlin", now=utc(2026, 1, 1))
    await first.close()
    again = await Database.open(url)
    try:
        _, service, _ = make(again)
        assert (await service.status(1)) is not None
    finally:
        await again.close()


def test_walkwell_db_upgrade(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from schedules.cli import db_upgrade_main, report_main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert db_upgrade_main(None) == 0
    assert str(head_revision()) in capsys.readouterr().out
    assert db_upgrade_main(None) == 0  # idempotent
    monkeypatch.setenv("DATABASE_URL", "mysql://u:hunter2@h/db")
    assert db_upgrade_main(None) == 2
    err = capsys.readouterr().err
    assert "DATABASE_URL" in err and "hunter2" not in err and len(err.strip().splitlines()) == 1
    assert report_main(None) == 2  # the same clear line, no traceback
    err = capsys.readouterr().err
    assert "DATABASE_URL" in err and "hunter2" not in err and len(err.strip().splitlines()) == 1


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


# -- the service: validation, status, privacy ---------------------------------------------------------


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


# -- daylight saving: minute-by-minute sweeps over the transition days ----------------------------------

# zone, transition date (local); local times straddling every transition
TRANSITIONS = [
    ("America/New_York", date(2026, 3, 8)),  # spring forward 02:00 -> 03:00
    ("America/New_York", date(2026, 11, 1)),  # fall back 02:00 -> 01:00
    ("Europe/Berlin", date(2026, 3, 29)),  # spring forward 02:00 -> 03:00
    ("Europe/Berlin", date(2026, 10, 25)),  # fall back 03:00 -> 02:00
    ("Australia/Lord_Howe", date(2026, 4, 5)),  # DST ends 02:00 -> 01:30 (30 minutes)
    ("Australia/Lord_Howe", date(2026, 10, 4)),  # DST starts 02:00 -> 02:30 (30 minutes)
]
WALLS = [time(h, m) for h, m in [(0, 30), (1, 0), (1, 30), (1, 45), (2, 0), (2, 15), (2, 30),
                                  (2, 45), (3, 0), (3, 30), (4, 0)]]  # fmt: skip


def expected_due(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """Reference, by brute force over UTC minutes: the first instant showing ``wall`` on ``day``;
    for a wall time skipped by a gap, the instant showing ``wall + gap length``."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC) - timedelta(hours=3)
    minutes = [start + timedelta(minutes=i) for i in range(12 * 60)]
    hits = [
        m for m in minutes if m.astimezone(zone).date() == day and m.astimezone(zone).time() == wall
    ]
    if hits:
        return hits[0]
    # a gap: find it, and shift forward by its length
    for a, b in zip(minutes, minutes[1:], strict=False):
        jump = b.astimezone(zone).replace(tzinfo=None) - a.astimezone(zone).replace(tzinfo=None)
        if jump > timedelta(minutes=1) and b.astimezone(zone).date() == day:
            gap = jump - timedelta(minutes=1)
            shifted = (datetime.combine(day, wall) + gap).time()
            return next(m for m in minutes if m.astimezone(zone).time() == shifted)
    raise AssertionError("no instant found")


def sweep_instants(zone: ZoneInfo, day: date) -> Iterator[datetime]:
    """Every minute (plus 20 s) while the local wall clock is between 00:00 and 05:00 on the
    transition day; every 10 minutes in that band the day before and after; hourly otherwise."""
    t = datetime.combine(day - timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=2), time(0), tzinfo=zone).astimezone(UTC)
    while t < end:
        yield t + timedelta(seconds=20)
        local = t.astimezone(zone)
        if local.hour >= 5:
            t += timedelta(hours=1)
        elif local.date() == day:
            t += timedelta(minutes=1)
        else:
            t += timedelta(minutes=10)


@pytest.mark.parametrize(("zone_name", "day"), TRANSITIONS)
async def test_dst_transition_days_get_exactly_one_reminder_each(
    db: Database, zone_name: str, day: date
) -> None:
    zone = get_zone(zone_name)
    engine, service, sender = make(db, late_after_minutes=30)
    start = datetime.combine(day - timedelta(days=2), time(12), tzinfo=zone).astimezone(UTC)
    users = {100 + i: wall for i, wall in enumerate(WALLS)}
    for user_id, wall in users.items():
        await service.subscribe(user_id, wall, zone, nudges=False, now=start)
    sent_at: dict[tuple[int, date], list[datetime]] = {}
    for instant in sweep_instants(zone, day):
        before = len(sender.calls)
        await engine.sweep(instant)
        for call in sender.calls[before:]:
            sent_at.setdefault((call.user_id, call.local_date), []).append(instant)
    days = [day - timedelta(days=1), day, day + timedelta(days=1)]
    for user_id, wall in users.items():
        for d in days:
            sends = sent_at.get((user_id, d), [])
            assert len(sends) == 1, (zone_name, wall, d, sends)
            due = expected_due(d, wall, zone)
            window = timedelta(seconds=60) if d == day else timedelta(minutes=10)
            assert due <= sends[0] < due + window, (zone_name, wall, d, sends[0], due)
    assert all(not c.late for c in sender.calls)
    assert len(sender.calls) == len(users) * len(days)
    assert max(sender.keys().values()) == 1


# -- restarts, downtime, leases ----------------------------------------------------------------------


async def test_restart_sends_no_second_reminder_that_day(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'w.db'}"
    first_db = await Database.open(url)
    engine, service, first = make(first_db)
    await service.subscribe(1, "07:30", "Europe/Berlin", now=utc(2026, 7, 1, 4, 0))
    await engine.sweep(utc(2026, 7, 1, 5, 30, 1))
    assert len(first.calls) == 1
    await engine.stop()
    await first_db.close()

    second_db = await Database.open(url)  # a new process on the same database
    try:
        engine2, _, second = make(second_db)
        for minutes in range(0, 25 * 60, 7):
            await engine2.sweep(utc(2026, 7, 1, 5, 30, 1) + timedelta(minutes=minutes))
        assert [c.local_date for c in second.calls] == [date(2026, 7, 2)]
    finally:
        await second_db.close()


async def test_changing_the_time_after_todays_reminder_waits_until_tomorrow(db: Database) -> None:
    engine, service, sender = make(db)
    await service.subscribe(1, "07:30", "Europe/Berlin", now=utc(2026, 7, 1, 4, 0))
    await engine.sweep(utc(2026, 7, 1, 5, 30, 1))
    status = await service.subscribe(1, "20:00", "Europe/Berlin", now=utc(2026, 7, 1, 6, 0))
    assert status.next_due_utc == utc(2026, 7, 2, 18, 0)
    # stop and start again the same day: still tomorrow
    assert await service.unsubscribe(1, now=utc(2026, 7, 1, 6, 1)) is True
    status = await service.subscribe(1, "20:00", "Europe/Berlin", now=utc(2026, 7, 1, 6, 2))
    assert status.next_due_utc == utc(2026, 7, 2, 18, 0)
    await engine.sweep(utc(2026, 7, 1, 18, 0, 30))
    assert len(sender.calls) == 1


async def test_downtime_within_grace_sends_one_late_reminder(db: Database) -> None:
    engine, service, sender = make(db)
    await service.subscribe(1, "07:30", "Europe/Berlin", now=utc(2026, 7, 1, 4, 0))
    # the process was down from 07:00 to 08:45 local time; it starts and sweeps
    report = await engine.sweep(utc(2026, 7, 1, 6, 45))
    assert (report.sent, report.late, report.skipped) == (1, 1, 0)
    assert sender.calls[0].late is True and sender.calls[0].kind == "reminder"
    await engine.sweep(utc(2026, 7, 1, 6, 46))
    assert len(sender.calls) == 1
    status = await service.status(1)
    assert status is not None and status.next_due_utc == utc(2026, 7, 2, 5, 30)


async def test_downtime_beyond_grace_skips_and_reschedules_without_a_burst(db: Database) -> None:
    engine, service, sender = make(db)
    for user_id in range(1, 21):
        await service.subscribe(user_id, "07:30", "Europe/Berlin", now=utc(2026, 7, 1, 4, 0))
    # down for three days: back at 10:00 local on July 3rd
    report = await engine.sweep(utc(2026, 7, 3, 8, 0))
    assert report.sent == 0 and report.skipped == 20
    assert sender.calls == []
    rows = await delivery_rows(db, 1)
    assert [(r.status, r.local_date) for r in rows] == [("skipped", date(2026, 7, 1))]
    status = await service.status(1)
    assert status is not None and status.next_due_utc == utc(2026, 7, 4, 5, 30)
    await engine.sweep(utc(2026, 7, 4, 5, 30, 5))
    assert len(sender.calls) == 20 and not any(c.late for c in sender.calls)


async def test_a_crashed_claim_is_retried_once_after_its_lease(db: Database) -> None:
    crashed, service, _ = make(db)
    await service.subscribe(1, "07:30", "Europe/Berlin", now=utc(2026, 7, 1, 4, 0))
    due_at = utc(2026, 7, 1, 5, 30)
    jobs, touched = await crashed._claim(due_at + timedelta(seconds=5), SweepReport())
    assert touched == 1 and len(jobs) == 1  # claimed and committed... then the process died

    survivor, _, sender = make(db)
    await survivor.sweep(due_at + timedelta(seconds=65))  # lease (120 s) not over yet
    assert sender.calls == []
    report = await survivor.sweep(due_at + timedelta(seconds=130))
    assert report.retried == 1 and report.sent == 1
    assert sender.calls[0].nonce == make_nonce(1, "reminder", due_at)  # Discord dedupes on it
    for seconds in (200, 400, 4000):
        await survivor.sweep(due_at + timedelta(seconds=seconds))
    assert len(sender.calls) == 1
    (row,) = await delivery_rows(db, 1)
    assert (row.status, row.attempts) == ("sent", 2)


async def test_a_crashed_claim_found_after_the_grace_window_is_skipped(db: Database) -> None:
    crashed, service, _ = make(db)
    await service.subscribe(1, "07:30", "Europe/Berlin", now=utc(2026, 7, 1, 4, 0))
    await crashed._claim(utc(2026, 7, 1, 5, 30, 5), SweepReport())
    survivor, _, sender = make(db)
    report = await survivor.sweep(utc(2026, 7, 1, 9, 0))
    assert sender.calls == [] and report.skipped == 1


# -- outcomes: blocked DMs, lost channels, rate limits, errors -------------------------------------------


async def test_blocked_dms_pause_without_retry_and_the_user_is_told_once(db: Database) -> None:
    sender = RecordingSender(lambda item: SendOutcome.blocked_dm())
    engine, service, _ = make(db, sender)
    await service.subscribe(1, "07:30", "Europe/Berlin", now=utc(2026, 7, 1, 4, 0))
    report = await engine.sweep(utc(2026, 7, 1, 5, 30, 5))
    assert (report.paused, report.failed, report.sent) == (1, 1, 0)
    for day in range(1, 6):
        for minutes in (0, 3, 200):
            await engine.sweep(utc(2026, 7, 1, 5, 30, 5) + timedelta(days=day, minutes=minutes))
    assert len(sender.calls) == 1  # never retried
    status = await service.status(1)
    assert status is not None and status.paused_reason == "dms_blocked"
    assert status.next_due_utc is None
    notice = await service.pop_pause_notice(1)
    assert notice is not None and "DM" in notice
    assert await service.pop_pause_notice(1) is None
    with pytest.raises(NotSubscribedError):
        await service.snooze(1, now=utc(2026, 7, 3, 8, 0))
    # starting again resumes
    status = await service.subscribe(1, "07:30", "Europe/Berlin", now=utc(2026, 7, 9, 4, 0))
    assert not status.paused and status.next_due_utc == utc(2026, 7, 9, 5, 30)


async def test_a_lost_channel_gets_one_dm_fallback_then_pauses(db: Database) -> None:
    def script(item: Outgoing) -> SendOutcome | None:
        return SendOutcome.channel_unavailable() if item.where == "channel" else None

    sender = RecordingSender(script)
    engine, service, _ = make(db, sender)
    await service.subscribe(
        1, "07:30", "Europe/Berlin", "here", channel_id=55, guild_id=66, now=utc(2026, 7, 1, 4, 0)
    )
    report = await engine.sweep(utc(2026, 7, 1, 5, 30, 5))
    assert [(c.where, c.fallback) for c in sender.calls] == [("channel", False), ("dm", True)]
    assert sender.calls[0].nonce != sender.calls[1].nonce
    assert report.sent == 1 and report.paused == 1
    for day in range(1, 4):
        await engine.sweep(utc(2026, 7, 1, 5, 30, 5) + timedelta(days=day))
    assert len(sender.calls) == 2
    status = await service.status(1)
    assert status is not None and status.paused_reason == "channel_unavailable"
    notice = await service.pop_pause_notice(1)
    assert notice is not None and "channel" in notice


async def test_a_lost_channel_and_blocked_dms_pause_after_two_tries(db: Database) -> None:
    def script(item: Outgoing) -> SendOutcome:
        if item.where == "channel":
            return SendOutcome.channel_unavailable()
        return SendOutcome.blocked_dm()

    sender = RecordingSender(script)
    engine, service, _ = make(db, sender)
    await service.subscribe(1, "07:30", "UTC", "channel", channel_id=55, now=utc(2026, 7, 1))
    report = await engine.sweep(utc(2026, 7, 1, 7, 30, 5))
    assert report.failed == 1 and report.paused == 1 and len(sender.calls) == 2
    await engine.sweep(utc(2026, 7, 2, 7, 30, 5))
    assert len(sender.calls) == 2


async def test_a_rate_limit_releases_the_claim_and_it_is_sent_after_retry_after(
    db: Database,
) -> None:
    answers = [SendOutcome.rate_limited(2.5, is_global=True)]
    sender = RecordingSender(lambda item: answers.pop() if answers else None)
    engine, service, _ = make(db, sender)
    fake = FakeMonotonic()
    engine.bucket = TokenBucket(40, 5, clock=fake.clock, sleep=fake.sleep)
    await service.subscribe(1, "07:30", "UTC", now=utc(2026, 7, 1))
    due = utc(2026, 7, 1, 7, 30)
    report = await engine.sweep(due + timedelta(seconds=1))
    assert report.deferred == 1 and report.sent == 0
    assert engine.bucket._blocked_until == pytest.approx(2.5)  # a global 429 pauses the bucket
    await engine.sweep(due + timedelta(seconds=2))  # before retry_after: nothing
    assert len(sender.calls) == 1
    report = await engine.sweep(due + timedelta(seconds=4))
    assert report.sent == 1 and len(sender.calls) == 2
    (row,) = await delivery_rows(db, 1)
    assert (row.status, row.attempts) == ("sent", 1)  # a rate limit does not use an attempt


async def test_transient_errors_are_retried_a_bounded_number_of_times(db: Database) -> None:
    sender = RecordingSender(lambda item: SendOutcome.error("HTTP 503"))
    engine, service, _ = make(db, sender, max_attempts=3)
    await service.subscribe(1, "07:30", "UTC", now=utc(2026, 7, 1))
    due = utc(2026, 7, 1, 7, 30)
    for minutes in range(0, 100):
        await engine.sweep(due + timedelta(minutes=minutes, seconds=1))
    assert len(sender.calls) == 3
    (row,) = await delivery_rows(db, 1)
    assert row.status == "failed" and "503" in row.error
    status = await service.status(1)
    assert status is not None and not status.paused  # tomorrow is another day
    await engine.sweep(due + timedelta(days=1, seconds=1))
    assert len(sender.calls) == 4


async def test_a_sender_that_raises_is_treated_as_a_transient_error(db: Database) -> None:
    def script(item: Outgoing) -> SendOutcome:
        raise RuntimeError("boom")

    engine, service, sender = make(db, RecordingSender(script))
    await service.subscribe(1, "07:30", "UTC", now=utc(2026, 7, 1))
    report = await engine.sweep(utc(2026, 7, 1, 7, 30, 1))
    assert report.deferred == 1
    (row,) = await delivery_rows(db, 1)
    assert row.status == "claimed" and "boom" in row.error


async def test_the_dm_channel_id_is_cached_so_a_reminder_costs_one_request(db: Database) -> None:
    engine, service, sender = make(db)
    await service.subscribe(1, "07:30", "UTC", now=utc(2026, 7, 1))
    await engine.sweep(utc(2026, 7, 1, 7, 30, 1))
    await engine.sweep(utc(2026, 7, 2, 7, 30, 1))
    assert [c.dm_channel_id for c in sender.calls] == [None, 900_001]


# -- pacing, stopping, the scheduler ---------------------------------------------------------------------


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 1e-6)
        await asyncio.sleep(0)


async def test_every_send_is_paced_by_one_token_bucket(db: Database) -> None:
    fake = FakeMonotonic()
    stamps: list[float] = []

    def script(item: Outgoing) -> None:
        stamps.append(fake.now)

    sender = RecordingSender(script)
    engine = ReminderEngine(
        db,
        sender,
        settings=settings(max_in_flight=16, batch_size=40),
        bucket=TokenBucket(40, 5, clock=fake.clock, sleep=fake.sleep),
    )
    await seed(db, range(1, 301), utc(2026, 7, 1, 7, 30))
    report = await engine.sweep(utc(2026, 7, 1, 7, 30, 1))
    assert report.sent == 300 and len(stamps) == 300
    stamps.sort()
    j = 0
    for i, stamp in enumerate(stamps):
        while stamps[j] < stamp - 1.0:
            j += 1
        assert i - j + 1 <= 45  # never more than rate + burst in one second
    assert engine.bucket.granted == 300


async def test_stop_mid_sweep_sends_nothing_more_and_releases_unsent_claims(db: Database) -> None:
    gate = asyncio.Event()
    started = asyncio.Event()

    class SlowSender(RecordingSender):
        async def send(self, item: Outgoing) -> SendOutcome:
            started.set()
            await gate.wait()
            return await super().send(item)

    sender = SlowSender()
    engine, service, _ = make(db, sender, max_in_flight=2, batch_size=100)
    due = utc(2026, 7, 1, 7, 30)
    await seed(db, range(1, 51), due)
    sweep = asyncio.create_task(engine.sweep(due + timedelta(seconds=1)))
    await started.wait()
    stopping = asyncio.create_task(engine.stop())
    await asyncio.sleep(0)
    gate.set()
    await stopping
    await sweep
    in_flight = len(sender.calls)
    assert 1 <= in_flight <= 2  # only what was already being sent
    assert (await engine.sweep(due + timedelta(seconds=2))).sent == 0
    assert len(sender.calls) == in_flight

    # the released claims go to the next process at once, each exactly once
    successor, _, other = make(db)
    await successor.sweep(due + timedelta(seconds=3))
    assert len(other.calls) == 50 - in_flight
    everyone = Counter(c.user_id for c in sender.calls + other.calls)
    assert set(everyone) == set(range(1, 51)) and max(everyone.values()) == 1


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


async def test_a_user_who_stops_while_claimed_is_not_sent(db: Database) -> None:
    engine, service, _ = make(db, max_in_flight=1)
    stopped: list[int] = []

    class StoppingSender(RecordingSender):
        async def send(self, item: Outgoing) -> SendOutcome:
            if not stopped:  # while sending the first, the other user runs /reminders stop
                stopped.append(2 if item.user_id == 1 else 1)
                await service.unsubscribe(stopped[0])
            return await super().send(item)

    sender = StoppingSender()
    engine.sender = sender
    await seed(db, [1, 2], utc(2026, 7, 1, 7, 30))
    report = await engine.sweep(utc(2026, 7, 1, 7, 30, 1))
    assert len(sender.calls) == 1 and sender.calls[0].user_id != stopped[0]
    assert report.sent == 1 and report.skipped == 1
    (row,) = await delivery_rows(db, stopped[0])
    assert row.status == "skipped"


async def test_the_scheduler_runs_one_minute_sweep_job_and_stops(db: Database) -> None:
    delivered = asyncio.Event()

    def script(item: Outgoing) -> None:
        delivered.set()

    sender = RecordingSender(script)
    engine = ReminderEngine(db, sender, settings=settings(), bucket=fast_bucket())
    service = ReminderService(db, engine=engine)
    real_now = datetime.now(UTC)
    await service.subscribe(1, time(0, 0), "UTC", now=real_now - timedelta(days=1, minutes=30))
    async with db.begin() as conn:  # make it due a minute ago, in real time
        await conn.execute(
            update(subscriptions_table).values(next_due_utc=real_now - timedelta(minutes=1))
        )
    await engine.start()
    try:
        jobs = engine._scheduler.get_jobs()
        assert len(jobs) == 1
        job = jobs[0]
        assert job.trigger.interval == timedelta(minutes=1)
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time >= 300
        # aligned to the minute (reminders are due on the minute), half a second after it
        assert (job.next_run_time.second, job.next_run_time.microsecond) == (0, 500_000)
        await asyncio.wait_for(delivered.wait(), timeout=20)  # the start-up sweep
    finally:
        await engine.stop()
    assert engine._scheduler is None and not engine.running
    assert [c.user_id for c in sender.calls] == [1]


# -- snooze, done, weekly nudges ---------------------------------------------------------------------------


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


async def test_weekly_nudges_step_targets_up_on_every_seventh_day(db: Database) -> None:
    engine, service, sender = make(db)
    await service.subscribe(1, "07:30", "Europe/Berlin", now=utc(2026, 7, 1, 4, 0))  # day 0
    await service.subscribe(2, "07:30", "Europe/Berlin", nudges=False, now=utc(2026, 7, 1, 4, 0))
    for day in range(0, 22):
        await engine.sweep(utc(2026, 7, 1, 5, 30, 5) + timedelta(days=day))
    nudges = [c for c in sender.calls if c.kind == "nudge"]
    assert [(n.user_id, n.local_date) for n in nudges] == [
        (1, date(2026, 7, 8)),
        (1, date(2026, 7, 15)),
        (1, date(2026, 7, 22)),
    ]
    assert [(n.targets.week, n.targets.cadence, n.targets.minutes) for n in nudges] == [  # type: ignore[union-attr]
        (2, 90, 15),
        (3, 95, 20),
        (4, 100, 25),
    ]
    assert nudges[0].previous is not None and nudges[0].previous.cadence == 85
    # the nudge goes right after that day's reminder
    own = [c for c in sender.calls if c.user_id == 1]
    i = own.index(nudges[0])
    assert own[i - 1].kind == "reminder" and own[i - 1].local_date == nudges[0].local_date
    assert sum(1 for c in sender.calls if c.kind == "reminder") == 44
    # nudges off: no message, the plan still moves on
    quiet = await service.status(2)
    assert quiet is not None and quiet.targets.week == 4 and quiet.targets.cadence == 100


async def test_nudges_suggest_an_incline_once_cadence_reaches_120(db: Database) -> None:
    plan = ProgressionPlan(cadence_start=110)
    engine, service, sender = make(db, plan=plan)
    await service.subscribe(1, "07:30", "UTC", now=utc(2026, 7, 1))
    for day in range(0, 29):
        await engine.sweep(utc(2026, 7, 1, 7, 30, 5) + timedelta(days=day))
    nudges = [c.targets for c in sender.calls if c.kind == "nudge"]
    assert [(t.cadence, t.incline) for t in nudges if t] == [
        (115, False),
        (120, True),
        (120, True),
        (120, True),
    ]


async def test_a_missed_nudge_day_is_caught_up_by_the_next_reminder(db: Database) -> None:
    engine, service, sender = make(db)
    await service.subscribe(1, "07:30", "UTC", now=utc(2026, 7, 1))
    for day in range(0, 7):
        await engine.sweep(utc(2026, 7, 1, 7, 30, 5) + timedelta(days=day))
    # down all of day 7 (the nudge day); back on day 8
    await engine.sweep(utc(2026, 7, 9, 7, 30, 5))
    kinds = [(c.kind, c.local_date) for c in sender.calls[-2:]]
    assert kinds == [("reminder", date(2026, 7, 9)), ("nudge", date(2026, 7, 9))]


async def test_many_users_in_one_sweep_each_once(db: Database) -> None:
    engine, service, sender = make(db, batch_size=7, max_in_flight=3)
    await seed(db, range(1, 61), utc(2026, 7, 1, 7, 30))
    report = await engine.sweep(utc(2026, 7, 1, 7, 30, 5))
    assert report.sent == 60 and report.claimed == 60
    assert sender.keys() == Counter(
        {(u, "reminder", utc(2026, 7, 1, 7, 30)): 1 for u in range(1, 61)}
    )
    async with db.read() as conn:
        sent = (
            await conn.execute(select(func.count()).where(deliveries_table.c.status == "sent"))
        ).scalar()
    assert sent == 60


async def test_engines_sending_at_once_split_the_global_send_budget(db: Database) -> None:
    from schedules.store.schema import sweepers_table

    t = utc(2026, 7, 1, 7, 30)
    for i, user_id in enumerate(range(1, 6)):
        await seed(db, [user_id], t + timedelta(seconds=20 * i))
    first = ReminderEngine(db, RecordingSender(), settings=settings(), bucket=TokenBucket(40, 6))
    second = ReminderEngine(db, RecordingSender(), settings=settings(), bucket=TokenBucket(40, 6))
    await first.sweep(t + timedelta(seconds=1))
    assert (first.bucket.rate, first.bucket.burst) == (40, 6)  # alone
    await second.sweep(t + timedelta(seconds=21))
    assert (second.bucket.rate, second.bucket.burst) == (20, 3)  # two engines: half each
    await first.sweep(t + timedelta(seconds=41))
    assert (first.bucket.rate, first.bucket.burst) == (20, 3)
    await second.stop()  # its heartbeat goes with it
    await first.sweep(t + timedelta(seconds=61))
    assert first.bucket.rate == 40
    async with db.begin() as conn:  # an engine that died five minutes ago no longer counts
        await conn.execute(
            sweepers_table.insert().values(owner="dead", seen_at=t - timedelta(minutes=5))
        )
    await first.sweep(t + timedelta(seconds=81))
    assert first.bucket.rate == 40
    assert len(first.sender.calls) + len(second.sender.calls) == 5  # type: ignore[attr-defined]
    # idle sweeps do not write a heartbeat
    await first.sweep(t + timedelta(hours=2))
    async with db.read() as conn:
        seen = (
            await conn.execute(
                select(sweepers_table.c.seen_at).where(sweepers_table.c.owner == first.owner)
            )
        ).scalar_one()
    assert seen == t + timedelta(seconds=81)


async def test_a_tick_during_a_long_sweep_makes_it_go_round_again(db: Database) -> None:
    gate = asyncio.Event()
    started = asyncio.Event()

    class GatedSender(RecordingSender):
        async def send(self, item: Outgoing) -> SendOutcome:
            started.set()
            await gate.wait()
            return await super().send(item)

    clock = Clock(utc(2026, 7, 1, 7, 30, 1))
    sender = GatedSender()
    engine, _, _ = make(db, sender, clock=clock)
    sweeps = 0
    real_sweep = engine.sweep

    async def counting_sweep(now: datetime | None = None) -> SweepReport:
        nonlocal sweeps
        sweeps += 1
        return await real_sweep(now)

    engine.sweep = counting_sweep  # type: ignore[method-assign]
    await seed(db, [1], utc(2026, 7, 1, 7, 30))
    await engine._tick()  # the minute's tick starts a sweep, which is busy sending
    await started.wait()
    await seed(db, [2], utc(2026, 7, 1, 7, 30, 1))  # due while that sweep is busy
    clock.now = utc(2026, 7, 1, 7, 31, 0, 500_000)
    await engine._tick()  # the next minute's tick: not dropped
    gate.set()
    assert engine._sweeper is not None
    await engine._sweeper
    assert sweeps == 2
    assert sorted(c.user_id for c in sender.calls) == [1, 2]
    await engine.stop()


async def test_a_week_planner_decides_the_nudge_and_a_failing_one_falls_back(
    db: Database,
) -> None:
    from schedules.plan.progression import WeeklyTargets

    seen: list[tuple[int, date, int, int]] = []

    class HoldingPlanner:
        async def plan_week(
            self, conn: Any, user_id: int, today: date, current: WeeklyTargets, week: int
        ) -> tuple[WeeklyTargets, dict[str, Any]]:
            seen.append((user_id, today, current.week, week))
            if user_id == 2:
                raise RuntimeError("log unavailable")
            held = ProgressionPlan().hold(current, week)
            return held, {"decision": "hold", "reasons": ["pain_rose"]}

    engine, service, sender = make(db)
    engine.planner = HoldingPlanner()
    for user_id in (1, 2):
        await service.subscribe(user_id, "07:30", "UTC", now=utc(2026, 7, 1))
    for day in range(0, 8):
        await engine.sweep(utc(2026, 7, 1, 7, 30, 5) + timedelta(days=day))
    nudges = {c.user_id: c for c in sender.calls if c.kind == "nudge"}
    assert sorted(seen) == [(1, date(2026, 7, 8), 1, 2), (2, date(2026, 7, 8), 1, 2)]
    held = nudges[1]
    assert held.targets is not None and (held.targets.cadence, held.targets.week) == (85, 2)
    assert held.details == {"decision": "hold", "reasons": ["pain_rose"]}
    hash(held)  # still hashable
    fallback = nudges[2]
    assert fallback.targets is not None and fallback.targets.cadence == 90
    assert fallback.details is None
    status = await service.status(1)
    assert status is not None and status.targets.cadence == 85 and status.targets.week == 2


async def test_every_sweep_reports_to_its_hook_and_a_failing_hook_stops_nothing(
    db: Database,
) -> None:
    engine, service, sender = make(db)
    seen: list[tuple[int, float, bool]] = []

    def hook(report: SweepReport, seconds: float) -> None:
        seen.append((report.sent, seconds, engine.sweeping_since is None))
        raise RuntimeError("a broken metrics exporter")

    engine.on_sweep = hook
    await service.subscribe(1, "07:30", "Europe/Berlin", now=utc(2026, 7, 1, 4, 0))
    await engine.sweep(utc(2026, 7, 1, 5, 30))
    await engine.sweep(utc(2026, 7, 1, 5, 31))  # nothing due: still reported
    assert [(sent, idle) for sent, _, idle in seen] == [(1, True), (0, True)]
    assert all(seconds >= 0 for _, seconds, _ in seen)
    assert len(sender.calls) == 1
