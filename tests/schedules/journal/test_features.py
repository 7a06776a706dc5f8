"""Answer feedback in storage: answers kept for votes, privacy erase of answers, and
``walkwell report``."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime, timedelta
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
from schedules.store.db import Database
from schedules.store.userdata import erase_user, export_user

ALICE = 111111111111111111
BOB = 222222222222222222
START = datetime(2026, 7, 1, 7, 30, tzinfo=UTC)


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


async def test_a_vote_on_someone_elses_answer_exports_nothing_of_their_question(
    db: Database,
) -> None:
    await remember_answer(db, 7001, "posture", "my secret question", now=START, user_id=ALICE)
    await remember_answer(db, 7002, "cadence", "bob's own question", now=START, user_id=BOB)
    for answer, unit in ((7001, "posture"), (7002, "cadence")):
        await record_vote(
            db, Vote(user_id=BOB, answer_id=answer, unit_id=unit, helpful=False), now=START
        )
    alices = (await export_user(db, ALICE, "feedback"))["answers"]
    assert [a["question"] for a in alices] == ["my secret question"]
    before = json.dumps(await export_user(db, BOB))
    assert "secret" not in before and len(json.loads(before)["feedback"]) == 2
    assert await erase_user(db, ALICE, "feedback") == 1
    assert (await export_user(db, ALICE, "feedback"))["answers"] == []
    after = await export_user(db, BOB)
    assert "secret" not in json.dumps(after)
    assert len(after["feedback"]) == 2  # bob keeps his votes


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
            vote = Vote(user_id=BOB + i, answer_id=1, unit_id="footwear", helpful=False)
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
