"""The engine under faults: a database that stops answering, an erase from another process, an
outcome arriving after a stop (issue 11, faults)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection

from schedules.reminders.delivery import Outgoing, SendOutcome
from schedules.reminders.engine import lifecycle
from schedules.reminders.engine.jobs import Item, SweepReport
from schedules.reminders.engine.recorder import Recorder
from schedules.reminders.engine.send import ClaimCheck
from schedules.store.db import Database
from schedules.store.schema import deliveries_table
from schedules.store.userdata import erase_user
from tests.schedules.reminders.helpers import (
    RecordingSender,
    delivery_rows,
    make,
    seed,
    utc,
)


class Flaky:
    """A Database whose next ``failures`` transactions fail, as during an outage."""

    def __init__(self, db: Database, failures: int) -> None:
        self.db = db
        self.failures = failures
        self.attempts = 0

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def _fail(self) -> None:
        self.attempts += 1
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionResetError("connection lost")

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        self._fail()
        async with self.db.begin() as conn:
            yield conn

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        self._fail()
        async with self.db.read() as conn:
            yield conn


async def test_a_batch_that_failed_to_write_is_kept_and_written_later(db: Database) -> None:
    engine, _, sender = make(db)
    await seed(db, [1, 2, 3], utc(2026, 7, 1, 7, 30))
    flaky = Flaky(db, failures=0)
    recorder_db: Any = flaky
    # the sweep claims normally; the recorder's first three writes fail
    real_recorder = Recorder

    def failing_recorder(_db: Database, **kw: Any) -> Recorder:
        flaky.failures = 3
        return real_recorder(recorder_db, retry_delays=(0.01,), **kw)

    original = lifecycle.Recorder
    lifecycle.Recorder = failing_recorder  # type: ignore[assignment,misc]
    try:
        report = await engine.sweep(utc(2026, 7, 1, 7, 30, 1))
    finally:
        lifecycle.Recorder = original  # type: ignore[misc]
    assert report.sent == 3 and flaky.attempts >= 4
    rows = await delivery_rows(db)
    assert [r.status for r in rows] == ["sent"] * 3
    assert all(r.lease_owner is None and r.message_id is not None for r in rows)
    # nothing left claimed: a later sweep sends nothing again
    again = await engine.sweep(utc(2026, 7, 1, 7, 40))
    assert again.retried == 0 and len(sender.calls) == 3


async def test_the_recorder_gives_up_only_at_close_after_its_timeout(db: Database) -> None:
    flaky = Flaky(db, failures=10**6)
    recorder = Recorder(flaky, retry_delays=(0.01,), close_timeout=0.3)  # type: ignore[arg-type]
    recorder.start()
    recorder.pause(1, "dms_blocked", utc(2026, 7, 1))
    assert not await recorder.settle(lambda: flaky.attempts >= 5)  # still pending, retried
    assert flaky.attempts >= 5
    await recorder.close()  # returns despite the outage


async def test_an_outcome_never_overwrites_a_row_that_is_no_longer_claimed(db: Database) -> None:
    engine, _, _ = make(db)
    await seed(db, [1], utc(2026, 7, 1, 7, 30))
    jobs, _ = await engine._claim(utc(2026, 7, 1, 7, 30, 1), _report())
    (item,) = [it for job in jobs for it in job.items]
    async with db.begin() as conn:  # another process: /reminders stop marked it skipped
        await conn.execute(
            update(deliveries_table)
            .where(deliveries_table.c.id == item.delivery_id)
            .values(status="skipped", lease_owner=None, lease_until=None)
        )
    recorder = Recorder(db)
    recorder.start()
    recorder.sent(item, SendOutcome.ok(42), utc(2026, 7, 1, 7, 30, 2))
    await recorder.close()
    (row,) = await delivery_rows(db, 1)
    assert row.status == "skipped" and row.message_id is None


def _report() -> SweepReport:
    return SweepReport()


async def test_an_erase_in_another_process_stops_claims_in_flight(db: Database) -> None:
    engine, _, _ = make(db, max_in_flight=1)
    engine.claim_fresh_seconds = 0  # every claim is checked, however recent
    erased: list[int] = []

    class ErasingSender(RecordingSender):
        async def send(self, item: Outgoing) -> SendOutcome:
            if not erased:  # meanwhile, another process runs /privacy delete for the other user
                erased.append(2 if item.user_id == 1 else 1)
                await erase_user(db, erased[0])  # no forget_user here: that process is elsewhere
            return await super().send(item)

    sender = ErasingSender()
    engine.sender = sender
    await seed(db, [1, 2], utc(2026, 7, 1, 7, 30))
    report = await engine.sweep(utc(2026, 7, 1, 7, 30, 1))
    assert [c.user_id for c in sender.calls] == [3 - erased[0]]
    assert report.sent == 1
    assert await delivery_rows(db, erased[0]) == []


async def test_concurrent_claim_checks_share_one_query(db: Database) -> None:
    engine, _, _ = make(db)
    await seed(db, list(range(1, 21)), utc(2026, 7, 1, 7, 30))
    jobs, _ = await engine._claim(utc(2026, 7, 1, 7, 30, 1), _report())
    check = ClaimCheck(db, engine.owner, lambda: utc(2026, 7, 1, 7, 30, 2))
    results = await asyncio.gather(*(check.alive(job.items) for job in jobs))
    assert sum(len(r) for r in results) == 20
    assert check.queries == 1
    # another owner's claim, or an older attempt, is not ours to send
    stale = Item(jobs[0].items[0].delivery_id, jobs[0].items[0].out, attempts=7)
    assert await check.alive([stale]) == []
    assert await ClaimCheck(db, "someone-else", check.clock).alive(jobs[1].items) == []


async def test_no_send_while_the_claim_check_cannot_reach_the_database(db: Database) -> None:
    engine, _, sender = make(db)
    await seed(db, [1], utc(2026, 7, 1, 7, 30))
    jobs, _ = await engine._claim(utc(2026, 7, 1, 7, 30, 1), _report())
    flaky = Flaky(db, failures=3)
    check = ClaimCheck(
        flaky,
        engine.owner,
        lambda: utc(2026, 7, 1, 7, 30, 2),
        retry_delays=(0.01,),
        fresh_seconds=0,
    )  # type: ignore[arg-type]
    live = await check.confirm(jobs[0], lambda: False)
    assert live is not None and len(live) == len(jobs[0].items) and flaky.attempts == 4
    down = Flaky(db, failures=10**6)
    check = ClaimCheck(down, engine.owner, check.clock, retry_delays=(0.01,), fresh_seconds=0)  # type: ignore[arg-type]
    assert await check.confirm(jobs[0], lambda: down.attempts >= 3) is None
    assert sender.calls == []


async def test_a_claim_just_made_is_sent_without_a_check(db: Database) -> None:
    """A catch-up sends thousands of claims made a moment ago: no query per round for those."""
    engine, _, sender = make(db)
    await seed(db, list(range(1, 41)), utc(2026, 7, 1, 7, 30))
    checks: list[int] = []
    real = ClaimCheck._query

    async def counted(self: ClaimCheck) -> None:
        checks.append(1)
        await real(self)

    ClaimCheck._query = counted  # type: ignore[method-assign]
    try:
        report = await engine.sweep(utc(2026, 7, 1, 7, 30, 1))
    finally:
        ClaimCheck._query = real  # type: ignore[method-assign]
    assert report.sent == 40 and len(sender.calls) == 40
    assert checks == []
    engine.claim_fresh_seconds = 0
    await seed(db, list(range(41, 61)), utc(2026, 7, 1, 7, 31))
    ClaimCheck._query = counted  # type: ignore[method-assign]
    try:
        await engine.sweep(utc(2026, 7, 1, 7, 31, 1))
    finally:
        ClaimCheck._query = real  # type: ignore[method-assign]
    assert checks  # with no window, every round is checked
