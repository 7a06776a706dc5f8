"""Issue 5's storage pieces: answers for feedback, the log-following planner, target history,
privacy erase of answers, and ``walkwell report``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from schedules.errors import InputError
from schedules.feedback.report import Vote
from schedules.feedback.store import (
    answer_context,
    prune_answers,
    record_unanswered,
    record_vote,
    remember_answer,
)
from schedules.journal.store import log_walk
from schedules.journal.texts import default_texts
from schedules.journal.walklog import validate_walk
from schedules.plan.planner import JournalPlanner, target_history
from schedules.plan.progression import ProgressionPlan
from schedules.reminders.delivery import Outgoing, SendOutcome, TokenBucket
from schedules.reminders.engine import ReminderEngine
from schedules.reminders.service import ReminderService
from schedules.settings import ReminderSettings
from schedules.store.db import Database
from schedules.store.userdata import erase_user, export_user

ALICE = 111111111111111111
BOB = 222222222222222222
START = datetime(2026, 7, 1, 7, 30, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'walkwell.db'}")
    yield database
    await database.close()


# -- answers ---------------------------------------------------------------------------------------


async def test_an_answer_keeps_its_question_once_and_is_pruned(db: Database) -> None:
    now = START
    assert await remember_answer(db, 5001, "posture", "  how should I\u200b stand? ", now=now)
    assert await remember_answer(db, 5001, "cadence", "something else", now=now)  # first stays
    got = await answer_context(db, 5001)
    assert got is not None and (got.unit_id, got.question) == ("posture", "how should I stand?")
    assert not await remember_answer(db, 5002, "posture", " \u200b ", now=now)  # blank: nothing
    assert await answer_context(db, 5002) is None
    with pytest.raises(InputError):
        await remember_answer(db, 0, "posture", "q", now=now)
    assert await prune_answers(db, now=now + timedelta(days=13)) == 0
    assert await prune_answers(db, now=now + timedelta(days=15)) == 1
    assert await answer_context(db, 5001) is None


async def test_erasing_the_asker_blanks_the_question_in_other_peoples_votes(db: Database) -> None:
    await remember_answer(db, 7001, "posture", "my secret question", now=START, user_id=ALICE)
    await remember_answer(db, 7002, "posture", "bob's own question", now=START, user_id=BOB)
    for answer, question in ((7001, "my secret question"), (7002, "bob's own question")):
        vote = Vote(
            user_id=BOB, answer_id=answer, unit_id="posture", question=question, helpful=False
        )
        await record_vote(db, vote, now=START)
    alices = (await export_user(db, ALICE, "feedback"))["answers"]
    assert [a["question"] for a in alices] == ["my secret question"]
    assert await erase_user(db, ALICE, "feedback") == 1
    assert (await export_user(db, ALICE, "feedback"))["answers"] == []
    bobs = await export_user(db, BOB)
    questions = sorted(v["question"] for v in bobs["feedback"])
    assert questions == ["", "bob's own question"]  # bob keeps his votes, alice's words go


# -- the planner -----------------------------------------------------------------------------------


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
    from bot.ui.texts import Texts
    from knowledge.loader import default_library

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


# -- walkwell report -------------------------------------------------------------------------------


async def test_walkwell_report_prints_unanswered_and_least_helpful(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from schedules.cli import report_main

    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    db = await Database.open(url)
    try:
        for i in range(3):
            await record_unanswered(db, "Is swimming better?", now=START, user_id=ALICE + i)
        await record_unanswered(db, "best pizza", now=START)
        for i in range(2):
            vote = Vote(
                user_id=BOB + i, answer_id=1, unit_id="footwear", question="shoes?", helpful=False
            )
            await record_vote(db, vote, now=START)
    finally:
        await db.close()
    monkeypatch.setenv("DATABASE_URL", url)

    args = argparse.Namespace(days=None, min_votes=2, limit=10)
    assert await asyncio.to_thread(report_main, args) == 0  # asyncio.run needs its own thread
    out = capsys.readouterr().out
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if "Is swimming better?" in line)
    assert "3 x" in lines[first]
    assert first < next(i for i, line in enumerate(lines) if "best pizza" in line)
    assert any("footwear" in line and "0 of 2" in line for line in lines)
