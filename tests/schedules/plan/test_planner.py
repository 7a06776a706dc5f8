"""The weekly nudge follows the walk log (:class:`JournalPlanner` in the reminder engine), and the
target history shows what was really announced."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from knowledge.texts import default_texts
from schedules.journal.store import log_walk
from schedules.journal.walklog import validate_walk
from schedules.plan.planner import JournalPlanner
from schedules.plan.progression import ProgressionPlan
from schedules.plan.targets import target_history
from schedules.reminders.delivery import Outgoing, SendOutcome, TokenBucket
from schedules.reminders.engine import ReminderEngine
from schedules.reminders.service import ReminderService
from schedules.settings import ReminderSettings
from schedules.store.db import Database

START = datetime(2026, 7, 1, 7, 30, tzinfo=UTC)


class Sender:
    def __init__(self) -> None:
        self.calls: list[Outgoing] = []

    async def send(self, item: Outgoing) -> SendOutcome:
        self.calls.append(item)
        return SendOutcome.ok(10_000 + len(self.calls), dm_channel_id=900_000 + item.user_id)


def make(db: Database) -> tuple[ReminderEngine, ReminderService, Sender]:
    sender = Sender()
    settings = ReminderSettings(grace_minutes=120, late_after_minutes=5)
    engine = ReminderEngine(
        db,
        sender,
        settings=settings,
        bucket=TokenBucket(1e9, 10**9),
        planner=JournalPlanner(ProgressionPlan()),
    )
    return engine, ReminderService(db, engine=engine), sender


async def walk(db: Database, user: int, day: date, minutes: int, **kw: Any) -> None:
    now = datetime(day.year, day.month, day.day, 18, tzinfo=UTC)
    await log_walk(db, user, validate_walk(minutes, now=now, zone="UTC", **kw))


async def run_two_weeks(db: Database, logs: dict[int, list[tuple[int, dict[str, Any]]]]) -> Any:
    """Users subscribe on 1 July; walks are logged (day offset, fields); sweeps run daily."""
    engine, service, sender = make(db)
    for user in logs:
        await service.subscribe(user, "07:30", "UTC", now=START - timedelta(hours=1))
    for offset in range(8):
        day = START + timedelta(days=offset, seconds=5)
        await engine.sweep(day)
        for user, entries in logs.items():
            for when, fields in entries:
                if when == offset:
                    await walk(db, user, day.date(), **fields)
    return {c.user_id: c for c in sender.calls if c.kind == "nudge"}, service


async def test_the_nudge_follows_the_log(db: Database) -> None:
    texts = default_texts()
    met = [(d, {"minutes": 15, "cadence": 95, "pain": 2}) for d in range(7)]
    painful = [(0, {"minutes": 15, "pain": 2}), (3, {"minutes": 10, "pain": 8})]
    nudges, service = await run_two_weeks(db, {1: met, 2: painful, 3: []})

    up = nudges[1]
    assert up.details["decision"] == "step_up"
    assert up.targets is not None and (up.targets.cadence, up.targets.minutes) == (90, 15)
    assert texts.get("nudge.step_up") in up.details["text"]

    held = nudges[2]
    assert held.details["decision"] == "hold" and held.details["see_professional"]
    assert held.targets is not None and (held.targets.cadence, held.targets.minutes) == (85, 10)
    assert texts.get("nudge.reasons.see_professional") in held.details["text"]
    assert texts.get("nudge.reasons.pain_high", pain=8) in held.details["text"]
    status = await service.status(2)
    assert status is not None and status.targets.cadence == 85  # held in the plan too

    kept = nudges[3]
    assert kept.details["decision"] == "keep"
    assert kept.targets is not None and kept.targets.cadence == 90  # the plan carries on
    assert texts.get("nudge.keep") in kept.details["text"]


async def test_the_nudge_renders_the_planners_text(db: Database) -> None:
    from bot.exts.reminders.cog import reminder_reply
    from knowledge.content import default_library
    from knowledge.texts import Texts

    nudges, _ = await run_two_weeks(db, {2: [(2, {"minutes": 10, "pain": 9})]})
    reply = reminder_reply(default_library(), Texts(), nudges[2])
    assert reply.embed is not None and reply.embed.description is not None
    assert default_texts().get("nudge.reasons.see_professional") in reply.embed.description


async def test_target_history_is_what_was_announced(db: Database) -> None:
    plan = ProgressionPlan()
    assert await target_history(db, 9, date(2026, 7, 1), plan) == (None, [])
    painful = [(3, {"minutes": 10, "pain": 8})]
    await run_two_weeks(db, {2: painful})
    started, changes = await target_history(db, 2, date(2026, 7, 9), plan)
    assert started == date(2026, 7, 1)
    assert [(d, t.cadence, t.minutes) for d, t in changes] == [
        (date(2026, 7, 1), 85, 10),
        (date(2026, 7, 8), 85, 10),  # held, not the plan's 90
    ]
