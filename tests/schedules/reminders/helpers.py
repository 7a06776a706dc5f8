"""Shared by the reminder tests: a recording Sender, test settings, a fixed clock, bulk seeding."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from schedules.plan.progression import ProgressionPlan
from schedules.reminders.delivery import Outgoing, SendOutcome, TokenBucket
from schedules.reminders.engine import ReminderEngine
from schedules.reminders.service import ReminderService
from schedules.reminders.timecalc import get_zone
from schedules.settings import ReminderSettings
from schedules.store.db import Database
from schedules.store.schema import deliveries_table, subscriptions_table, users_table

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


class FakeMonotonic:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 1e-6)
        await asyncio.sleep(0)


class GatedSender(RecordingSender):
    """Sets ``started`` at its first send and holds every send until ``gate`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.started = asyncio.Event()

    async def send(self, item: Outgoing) -> SendOutcome:
        self.started.set()
        await self.gate.wait()
        return await super().send(item)
