"""The engine's life (engine/lifecycle.py): stop, the scheduler, the tick, shared budget, the hook.

No sleeping: every sweep gets its instant explicitly.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update

from schedules.reminders.delivery import Outgoing, TokenBucket
from schedules.reminders.engine import ReminderEngine, SweepReport
from schedules.reminders.service import ReminderService
from schedules.store.db import Database
from schedules.store.schema import subscriptions_table
from tests.schedules.reminders.helpers import (
    Clock,
    GatedSender,
    RecordingSender,
    fast_bucket,
    make,
    seed,
    settings,
    utc,
)


async def test_stop_mid_sweep_sends_nothing_more_and_releases_unsent_claims(db: Database) -> None:
    sender = GatedSender()
    gate, started = sender.gate, sender.started
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
    clock = Clock(utc(2026, 7, 1, 7, 30, 1))
    sender = GatedSender()
    gate, started = sender.gate, sender.started
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
