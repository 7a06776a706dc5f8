"""The send policy (engine/send.py): outcomes, retries, pacing, and a user who stops mid-sweep.

No sleeping: every sweep gets its instant explicitly.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from schedules.errors import NotSubscribedError
from schedules.reminders.delivery import Outgoing, SendOutcome, TokenBucket
from schedules.reminders.engine import ReminderEngine
from schedules.store.db import Database
from tests.schedules.reminders.helpers import (
    FakeMonotonic,
    RecordingSender,
    delivery_rows,
    make,
    seed,
    settings,
    utc,
)


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
    assert notice == "dms_blocked"
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
    assert notice == "channel_unavailable"


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


async def test_pause_notices_asked_together_are_read_together_and_told_once(
    db: Database,
) -> None:
    """After every command: the commands that finish together share one read."""
    sender = RecordingSender(lambda item: SendOutcome.blocked_dm())
    engine, service, _ = make(db, sender)
    await service.subscribe(1, "07:30", "Europe/Berlin", now=utc(2026, 7, 1, 4, 0))
    await service.subscribe(2, "07:30", "Europe/Berlin", now=utc(2026, 7, 1, 4, 0))
    await engine.sweep(utc(2026, 7, 1, 5, 30, 5))  # both paused: DMs blocked
    users = [1, 2, 3, 1, 2]  # 3 has no reminders; 1 and 2 ask twice at once
    notices = await asyncio.gather(*(service.pop_pause_notice(u) for u in users))
    assert sorted(n for n in notices if n) == ["dms_blocked", "dms_blocked"]  # once each
    assert [n for u, n in zip(users, notices, strict=True) if u == 3] == [None]
    assert service._notices is not None and sum(service._notices.runs) == len(users)
    assert len(service._notices.runs) < len(users)
    assert await service.pop_pause_notice(1) is None
