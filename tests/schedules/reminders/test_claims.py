"""Claiming (engine/claims.py): daylight saving, restarts, downtime and leases, nudges, many users.

No sleeping: every sweep gets its instant explicitly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from schedules.plan.progression import ProgressionPlan
from schedules.reminders.delivery import make_nonce
from schedules.reminders.engine import SweepReport
from schedules.reminders.timecalc import get_zone
from schedules.store.db import Database
from schedules.store.schema import deliveries_table
from tests.schedules.reminders.helpers import (
    delivery_rows,
    make,
    seed,
    utc,
)

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
