"""Answer feedback in the database: votes, unanswered questions, the report's data."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from schedules.feedback.report import format_report
from schedules.feedback.store import (
    content_report,
    prune_unanswered,
    record_unanswered,
    record_vote,
    report_rows,
)
from schedules.store.db import Database
from schedules.store.schema import feedback_table, unanswered_table, users_table
from tests.schedules.journal.test_store import NOW, OTHER, USER, count, db, vote

__all__ = ["db"]  # the fixture


# --- votes and questions -------------------------------------------------------------------------


async def test_one_vote_per_person_per_answer_and_revote_updates(db: Database) -> None:
    assert await record_vote(db, vote(answer=10, helpful=True), now=NOW) is True
    assert (
        await record_vote(db, vote(answer=10, helpful=False), now=NOW + timedelta(minutes=1))
        is False
    )
    assert await record_vote(db, vote(answer=11, helpful=True), now=NOW) is True
    assert await record_vote(db, vote(answer=10, helpful=True, user=OTHER), now=NOW) is True
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(feedback_table).order_by(
                    feedback_table.c.user_id, feedback_table.c.answer_id
                )
            )
        ).all()
    assert [(r.user_id, r.answer_id, r.helpful) for r in rows] == [
        (USER, 10, False),
        (USER, 11, True),
        (OTHER, 10, True),
    ]
    assert rows[0].updated_at > rows[0].created_at


async def test_unanswered_questions_are_normalised_and_blank_ones_skipped(db: Database) -> None:
    assert await record_unanswered(db, "  Can I\u200b walk   with sciatica?\n", now=NOW) is True
    assert await record_unanswered(db, " \u200b ", now=NOW) is False
    assert await record_unanswered(db, "x" * 5000, now=NOW, user_id=USER) is True
    _, questions = await report_rows(db)
    assert questions[0] == "Can I walk with sciatica?"
    assert len(questions[1]) == 300
    assert await count(db, unanswered_table) == 2
    assert await count(db, users_table) == 0  # asking creates no user row


async def test_report_from_the_database(db: Database) -> None:
    for i in range(5):
        await record_vote(
            db, vote(answer=100 + i, helpful=i == 0, unit="incline", q="treadmill?"), now=NOW
        )
    for q in ["Can I walk with sciatica?", "can i walk with sciatica", "best shoe brand"]:
        await record_unanswered(db, q, now=NOW)
    report = await content_report(db, now=NOW, min_votes=5)
    text = format_report(report)
    assert "incline" in text and "1 of 5" in text
    assert report.top_unanswered[0].count == 2
    recent = await content_report(db, now=NOW, since=NOW + timedelta(seconds=1))
    assert recent.votes == 0 and recent.unanswered == 0


async def test_prune_unanswered(db: Database) -> None:
    await record_unanswered(db, "old question", now=NOW - timedelta(days=200))
    await record_unanswered(db, "new question", now=NOW)
    assert await prune_unanswered(db, before=NOW - timedelta(days=180)) == 1
    assert (await report_rows(db))[1] == ["new question"]
