"""Answer feedback in the database: votes, unanswered questions, the report's data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from schedules.feedback.report import format_report
from schedules.feedback.store import (
    UNANSWERED_PER_DAY,
    content_report,
    prune_answers,
    prune_unanswered,
    record_unanswered,
    record_vote,
    remember_answer,
    report_rows,
)
from schedules.store.db import Database
from schedules.store.schema import feedback_table, unanswered_table, users_table
from tests.schedules.journal.test_store import NOW, OTHER, USER, count, db, pg, vote

__all__ = ["db", "pg"]  # the fixtures


# --- votes and questions -------------------------------------------------------------------------


async def test_one_vote_per_person_per_unit_per_day_however_often_reopened(db: Database) -> None:
    later = NOW + timedelta(minutes=1)
    assert await record_vote(db, vote(answer=10, helpful=True), now=NOW) is True
    assert await record_vote(db, vote(answer=10, helpful=False), now=later) is False
    # The same unit reopened (a new answer key) the same day: still one vote, changed.
    for answer in (11, 12, 13):
        assert await record_vote(db, vote(answer=answer, helpful=True), now=later) is False
    assert await record_vote(db, vote(answer=14, unit="posture"), now=NOW) is True
    assert await record_vote(db, vote(answer=10, helpful=True, user=OTHER), now=NOW) is True
    assert await record_vote(db, vote(answer=15, helpful=False), now=NOW + timedelta(days=1))
    f = feedback_table
    async with db.read() as conn:
        rows = (await conn.execute(select(f).order_by(f.c.user_id, f.c.day, f.c.unit_id))).all()
    assert [(r.user_id, r.unit_id, r.answer_id, r.helpful) for r in rows] == [
        (USER, "cadence", 13, True),
        (USER, "posture", 14, True),
        (USER, "cadence", 15, False),
        (OTHER, "cadence", 10, True),
    ]
    assert rows[0].updated_at > rows[0].created_at
    assert "question" not in f.c  # a vote never holds a question


async def test_unanswered_questions_are_capped_per_person_per_day(db: Database) -> None:
    for i in range(UNANSWERED_PER_DAY + 5):
        stored = await record_unanswered(db, f"question {i}", now=NOW, user_id=USER)
        assert stored is (i < UNANSWERED_PER_DAY)
    assert await record_unanswered(db, "someone else", now=NOW, user_id=OTHER) is True
    assert await record_unanswered(db, "tomorrow", now=NOW + timedelta(days=1), user_id=USER)
    assert await count(db, unanswered_table) == UNANSWERED_PER_DAY + 2
    report = await content_report(db, now=NOW)
    assert report.unanswered_people == 2


async def test_unanswered_questions_are_normalised_and_blank_ones_skipped(db: Database) -> None:
    assert await record_unanswered(db, "  Can I\u200b walk   with sciatica?\n", now=NOW) is True
    assert await record_unanswered(db, " \u200b ", now=NOW) is False
    assert await record_unanswered(db, "x" * 5000, now=NOW, user_id=USER) is True
    _, questions = await report_rows(db)
    assert questions[0] == ("Can I walk with sciatica?", None)
    assert len(questions[1][0]) == 300
    assert await count(db, unanswered_table) == 2
    assert await count(db, users_table) == 0  # asking creates no user row


async def test_report_from_the_database(db: Database) -> None:
    for i in range(5):
        await remember_answer(db, 100 + i, "incline", "treadmill?", now=NOW, user_id=OTHER)
        await record_vote(
            db, vote(answer=100 + i, helpful=i == 0, unit="incline", user=USER + i), now=NOW
        )
    for q in ["Can I walk with sciatica?", "can i walk with sciatica", "best shoe brand"]:
        await record_unanswered(db, q, now=NOW)
    report = await content_report(db, now=NOW, min_votes=5)
    text = format_report(report)
    assert "incline" in text and "1 of 5" in text
    assert '"treadmill?"' in text  # joined from the asker's answer while it is remembered
    assert report.top_unanswered[0].count == 2
    await prune_answers(db, now=NOW + timedelta(days=30))
    assert '"treadmill?"' not in format_report(await content_report(db, now=NOW, min_votes=5))
    recent = await content_report(db, now=NOW, since=NOW + timedelta(seconds=1))
    assert recent.votes == 0 and recent.unanswered == 0


async def test_prune_unanswered(db: Database) -> None:
    await record_unanswered(db, "old question", now=NOW - timedelta(days=200))
    await record_unanswered(db, "new question", now=NOW)
    assert await prune_unanswered(db, before=NOW - timedelta(days=180)) == 1
    assert (await report_rows(db))[1] == [("new question", None)]


@pytest.mark.postgres
async def test_report_streams_on_postgres(pg: Database) -> None:
    await test_report_from_the_database(pg)
    for i in range(2500):  # more than one batch of the stream
        await record_unanswered(pg, f"question {i % 3}", now=NOW, user_id=USER + i)
    report = await content_report(pg, now=NOW)
    assert report.unanswered_people == 2500 + 3


async def test_many_answers_are_kept_in_one_write_and_the_first_row_wins(db: Database) -> None:
    from schedules.feedback.store import answer_context, answer_row, remember_answers

    rows = [
        answer_row(101, "posture", "How should I stand?", now=NOW, user_id=USER),
        answer_row(102, "cadence", "how fast", now=NOW, user_id=OTHER),
        answer_row(101, "footwear", "a second row for 101", now=NOW, user_id=USER),
    ]
    assert answer_row(103, "posture", "   ", now=NOW) is None  # blank: nothing to keep
    await remember_answers(db, [r for r in rows if r is not None])
    first = await answer_context(db, 101)
    assert first is not None and (first.unit_id, first.user_id) == ("posture", USER)
    second = await answer_context(db, 102)
    assert second is not None and second.unit_id == "cadence"
    # the one-row form is the same write
    assert await remember_answer(db, 101, "walking", "again", now=NOW) is True
    again = await answer_context(db, 101)
    assert again is not None and again.unit_id == "posture"
