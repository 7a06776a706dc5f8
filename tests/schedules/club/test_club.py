"""The walking club's store, sweep and call content, on a fixed clock (no real week passes)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest

from schedules.club.calls import (
    ClubCall,
    club_day_of,
    club_focus,
    needs_summary,
    next_call,
    week_figures,
    week_start,
)
from schedules.club.store import ClubStore
from schedules.club.sweep import ClubSweeper
from schedules.errors import InputError
from schedules.reminders.delivery import FOCUS_TOPICS, SendOutcome
from schedules.settings import ReminderSettings
from schedules.store import userdata
from schedules.store.db import Database
from tests.schedules.journal.test_store import pg

__all__ = ["pg"]  # the PostgreSQL fixture

GUILD, CHANNEL, ROLE = 900, 901, 902


class FakeSender:
    def __init__(self) -> None:
        self.calls: list[ClubCall] = []
        self.outcome = SendOutcome.ok(5000)

    async def post_call(self, call: ClubCall) -> SendOutcome:
        self.calls.append(call)
        if self.outcome.status == "ok":
            return SendOutcome.ok(5000 + len(self.calls))
        return self.outcome


def sweeper(db: Database, sender: FakeSender, owner: str = "a") -> ClubSweeper:
    return ClubSweeper(db, sender, settings=ReminderSettings.defaults(), owner=owner)


# Monday 2026-03-02, 07:00 in Berlin is 06:00 UTC.
MONDAY = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)


def test_days_weeks_and_focus() -> None:
    assert club_day_of(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "Europe/Berlin") == date(
        2026, 3, 2
    )
    assert week_start(date(2026, 3, 8)) == date(2026, 3, 2)
    seen = {club_focus(GUILD, date(2026, 3, 1) + timedelta(days=i)) for i in range(8)}
    assert seen == set(FOCUS_TOPICS)
    assert needs_summary(date(2026, 3, 9), date(2026, 3, 8))
    assert not needs_summary(date(2026, 3, 10), date(2026, 3, 9))
    assert not needs_summary(date(2026, 3, 9), None)
    # spring forward in New York: 02:30 fires once, at 03:30 EDT
    due, day = next_call(time(2, 30), "America/New_York", datetime(2026, 3, 8, 5, 0, tzinfo=UTC))
    assert day == date(2026, 3, 8) and due == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_week_figures_count_people_days_and_the_best_day() -> None:
    start = date(2026, 3, 2)
    presses = [
        (1, start),
        (2, start),
        (1, start + timedelta(days=2)),
        (3, start + timedelta(days=2)),
        (4, start + timedelta(days=2)),
        (9, start - timedelta(days=1)),
    ]
    fig = week_figures(start, presses)
    assert (fig.walkers, fig.walks, fig.days) == (4, 5, 2)
    assert fig.best_day == start + timedelta(days=2) and fig.best_count == 3
    assert week_figures(start, []).empty


async def test_setup_rejects_bad_input_and_stores_nothing(db: Database) -> None:
    store = ClubStore(db)
    for t, z in (("25:99", "Europe/Berlin"), ("7:00", "Mars/Olympus")):
        with pytest.raises(InputError):
            await store.setup(GUILD, CHANNEL, None, t, z, MONDAY)
    assert await store.status(GUILD, MONDAY) is None


async def test_a_call_goes_out_once_per_club_day_across_sweepers(db: Database) -> None:
    store = ClubStore(db)
    status = await store.setup(GUILD, CHANNEL, ROLE, "7:00", "berlin", MONDAY)
    assert status.next_due_utc == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    sender = FakeSender()
    at = datetime(2026, 3, 2, 6, 0, 1, tzinfo=UTC)
    first = await sweeper(db, sender, "a").sweep(at)
    second = await sweeper(db, sender, "b").sweep(at + timedelta(seconds=30))
    assert (first.sent, second.sent) == (1, 0)
    (call,) = sender.calls
    assert call.role_id == ROLE and call.channel_id == CHANNEL
    assert call.club_day == date(2026, 3, 2) and call.topic in FOCUS_TOPICS
    assert call.summary is None and not call.late
    # setting up again the same day keeps today's call done
    await store.setup(GUILD, CHANNEL, ROLE, "7:05", "Europe/Berlin", at + timedelta(minutes=1))
    await sweeper(db, sender).sweep(datetime(2026, 3, 2, 6, 6, tzinfo=UTC))
    assert len(sender.calls) == 1
    assert (await store.call_message(GUILD, date(2026, 3, 2))) == (CHANNEL, 5001)


async def test_presses_count_once_and_erase_lowers_the_count(db: Database) -> None:
    store = ClubStore(db)
    await store.setup(GUILD, CHANNEL, None, "7:00", "Europe/Berlin", MONDAY)
    day = date(2026, 3, 2)
    assert await store.press(GUILD, day, 1, MONDAY) is None  # no call yet: nothing to press
    await sweeper(db, FakeSender()).sweep(datetime(2026, 3, 2, 6, 0, 1, tzinfo=UTC))
    now = datetime(2026, 3, 2, 6, 5, tzinfo=UTC)
    results = [await store.press(GUILD, day, u, now) for u in (1, 2, 3, 2)]
    assert [(r.new, r.count) for r in results if r] == [(True, 1), (True, 2), (True, 3), (False, 3)]
    exported = await userdata.export_user(db, 2)
    assert [p["club_day"] for p in exported["club_presses"]] == ["2026-03-02"]
    assert await userdata.erase_user(db, 2) == 1
    assert await store.count(GUILD, day) == 2
    assert (await userdata.export_user(db, 2))["club_presses"] == []


async def test_first_call_of_a_week_carries_last_weeks_summary(db: Database) -> None:
    store = ClubStore(db)
    sender = FakeSender()
    start = datetime(2026, 3, 6, 5, 0, tzinfo=UTC)  # Friday
    await store.setup(GUILD, CHANNEL, None, "7:00", "Europe/Berlin", start)
    for offset, users in ((0, (1, 2)), (1, (1,)), (2, ())):  # Fri, Sat, Sun
        at = datetime(2026, 3, 6, 6, 0, 1, tzinfo=UTC) + timedelta(days=offset)
        await sweeper(db, sender).sweep(at)
        for u in users:
            await store.press(GUILD, at.date(), u, at)
    await sweeper(db, sender).sweep(datetime(2026, 3, 9, 6, 0, 1, tzinfo=UTC))  # Monday
    assert [c.summary is not None for c in sender.calls] == [False, False, False, True]
    summary = sender.calls[-1].summary
    assert summary is not None
    assert (summary.walkers, summary.walks, summary.days) == (2, 3, 2)
    assert summary.best_day == date(2026, 3, 6)
    assert sender.calls[1].week.walks == 2  # Saturday's call shows the week so far
    # a week with nobody: the next Monday's summary is empty
    for offset in range(1, 8):
        await sweeper(db, sender).sweep(
            datetime(2026, 3, 9, 6, 0, 1, tzinfo=UTC) + timedelta(days=offset)
        )
    last = sender.calls[-1]
    assert last.club_day == date(2026, 3, 16) and last.summary is not None and last.summary.empty


async def test_a_forbidden_channel_pauses_the_club_without_retries(db: Database) -> None:
    store = ClubStore(db)
    sender = FakeSender()
    sender.outcome = SendOutcome.channel_unavailable("404 10003")
    await store.setup(GUILD, CHANNEL, None, "7:00", "Europe/Berlin", MONDAY)
    report = await sweeper(db, sender).sweep(datetime(2026, 3, 2, 6, 0, 1, tzinfo=UTC))
    assert report.paused == 1
    status = await store.status(GUILD, MONDAY)
    assert status is not None and status.paused_reason == "channel_unavailable"
    assert status.next_due_utc is None
    for hours in (1, 24, 48):
        await sweeper(db, sender).sweep(
            datetime(2026, 3, 2, 6, 0, tzinfo=UTC) + timedelta(hours=hours)
        )
    assert len(sender.calls) == 1
    # an admin sets it up again: calls resume the next day
    await store.setup(GUILD, CHANNEL, None, "7:00", "Europe/Berlin", MONDAY + timedelta(hours=3))
    sender.outcome = SendOutcome.ok(1)
    await sweeper(db, sender).sweep(datetime(2026, 3, 3, 6, 0, 1, tzinfo=UTC))
    assert len(sender.calls) == 2


async def test_stop_and_removal_stop_calls(db: Database) -> None:
    store = ClubStore(db)
    sender = FakeSender()
    await store.setup(GUILD, CHANNEL, None, "7:00", "Europe/Berlin", MONDAY)
    assert await store.stop(GUILD, MONDAY)
    assert not await store.stop(GUILD, MONDAY)
    await sweeper(db, sender).sweep(datetime(2026, 3, 2, 6, 0, 1, tzinfo=UTC))
    await store.setup(GUILD, CHANNEL, None, "7:00", "Europe/Berlin", MONDAY)
    assert await store.pause("bot_removed", MONDAY, guild_id=GUILD) == 1
    await sweeper(db, sender).sweep(datetime(2026, 3, 2, 6, 0, 1, tzinfo=UTC))
    assert sender.calls == []
    status = await store.status(GUILD, MONDAY)
    assert status is not None and status.paused_reason == "bot_removed"


async def test_a_call_after_long_downtime_is_skipped_then_the_next_day_is_sent(
    db: Database,
) -> None:
    store = ClubStore(db)
    sender = FakeSender()
    await store.setup(GUILD, CHANNEL, None, "7:00", "Europe/Berlin", MONDAY)
    report = await sweeper(db, sender).sweep(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert report.skipped == 1 and sender.calls == []
    await sweeper(db, sender).sweep(datetime(2026, 3, 3, 6, 10, tzinfo=UTC))
    assert [c.late for c in sender.calls] == [True]


@pytest.mark.postgres
async def test_on_postgres_four_sweepers_post_once_and_concurrent_presses_count_once(
    pg: Database,
) -> None:
    store = ClubStore(pg)
    await store.setup(GUILD, CHANNEL, ROLE, "7:00", "Europe/Berlin", MONDAY)
    sender = FakeSender()
    at = datetime(2026, 3, 2, 6, 0, 1, tzinfo=UTC)
    reports = await asyncio.gather(*(sweeper(pg, sender, f"p{i}").sweep(at) for i in range(4)))
    assert sum(r.sent for r in reports) == 1 and len(sender.calls) == 1
    day = date(2026, 3, 2)
    users = list(range(1, 201)) + list(range(1, 21))  # 200 people, 20 of them twice
    results = await asyncio.gather(*(store.press(GUILD, day, u, at) for u in users))
    assert sum(1 for r in results if r is not None and r.new) == 200
    assert await store.count(GUILD, day) == 200
