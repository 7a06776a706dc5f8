"""Answer feedback in the database: the questions behind answers, votes, unanswered questions.

- Answers (``answers``): a feedback button carries the unit id and the answer's key in its custom
  id (so it works after a restart); the question itself is too long for a custom id and is not
  shown in a public answer, so it is kept here, keyed by the answer: the id of the interaction
  (``/ask``, ``/guide``) or of the user's message (a mention or DM) the answer replied to. Rows are
  kept for :data:`KEEP_DAYS` days (:func:`prune_answers`); a vote on an older answer is stored
  without its question.
- Votes (``feedback``): :func:`record_vote`, one per person per answer; voting again changes it.
- Unanswered questions (``unanswered``): :func:`record_unanswered`, :func:`prune_unanswered`.
- The content report's data: :func:`report_rows`, :func:`content_report` (built and formatted by
  :mod:`schedules.feedback.report`).

The tables are in :mod:`schedules.store.schema`; this module answers for them in ``/privacy``
(:mod:`schedules.store.userdata`): erasing a user also blanks the question in other people's
votes on answers that user asked for, so nothing they wrote is left. Bad input raises
:class:`~schedules.errors.InputError` before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from schedules.checks import aware
from schedules.checks import snowflake as _snowflake
from schedules.checks import user_id as _user_id
from schedules.feedback.report import Report, Vote, build_report, normalise_question
from schedules.store.db import Database, dialect_insert
from schedules.store.schema import answers_table, feedback_table, unanswered_table
from schedules.store.userdata import delete_rows, register
from schedules.store.users import ensure_user

__all__ = [
    "KEEP_DAYS",
    "StoredAnswer",
    "StoredVote",
    "answer_context",
    "content_report",
    "prune_answers",
    "prune_unanswered",
    "record_unanswered",
    "record_vote",
    "remember_answer",
    "report_rows",
]

#: How long an answer's question is kept for its feedback buttons.
KEEP_DAYS = 14


@dataclass(frozen=True)
class StoredAnswer:
    answer_id: int
    unit_id: str
    question: str
    user_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class StoredVote:
    """A vote as the report needs it (satisfies :class:`schedules.feedback.report.VoteLike`)."""

    unit_id: str
    helpful: bool
    question: str


def _rowcount(result: Any) -> int:
    return int(cast(Any, result).rowcount or 0)


# -- answers ------------------------------------------------------------------------------------


async def remember_answer(
    db: Database,
    answer_id: int,
    unit_id: str,
    question: str,
    *,
    now: datetime,
    user_id: int | None = None,
) -> bool:
    """Keep the question an answer was given for. False (nothing stored) when it is blank.

    Remembering the same ``answer_id`` again keeps the first row.
    """
    answer_id = _snowflake(answer_id, "answer")
    uid = None if user_id is None else _user_id(user_id)
    text = normalise_question(question) if isinstance(question, str) else ""
    if not text:
        return False
    async with db.begin() as conn:
        await conn.execute(
            dialect_insert(conn, answers_table)
            .values(
                answer_id=answer_id,
                user_id=uid,
                unit_id=str(unit_id)[:32],
                question=text,
                created_at=aware(now).astimezone(UTC),
            )
            .on_conflict_do_nothing(index_elements=["answer_id"])
        )
    return True


async def answer_context(db: Database, answer_id: int) -> StoredAnswer | None:
    """The remembered answer, or None (never remembered, or pruned)."""
    answer_id = _snowflake(answer_id, "answer")
    a = answers_table
    async with db.read() as conn:
        row = (await conn.execute(select(a).where(a.c.answer_id == answer_id))).first()
    if row is None:
        return None
    return StoredAnswer(row.answer_id, row.unit_id, row.question, row.user_id, row.created_at)


async def prune_answers(db: Database, *, now: datetime, keep_days: int = KEEP_DAYS) -> int:
    """Forget answers older than ``keep_days``; returns how many."""
    before = aware(now).astimezone(UTC) - timedelta(days=keep_days)
    async with db.begin() as conn:
        return _rowcount(
            await conn.execute(delete(answers_table).where(answers_table.c.created_at < before))
        )


# -- votes and unanswered questions -------------------------------------------------------------


async def record_vote(db: Database, vote: Vote, *, now: datetime) -> bool:
    """Store a vote; voting again on the same answer changes it. True when it was a new vote."""
    if not isinstance(vote, Vote):
        raise TypeError("vote must be a feedback.Vote")
    now = aware(now).astimezone(UTC)
    f = feedback_table
    async with db.begin() as conn:
        await ensure_user(conn, vote.user_id, now=now)
        existing = (
            await conn.execute(
                select(f.c.id).where(f.c.user_id == vote.user_id, f.c.answer_id == vote.answer_id)
            )
        ).first()
        await conn.execute(
            dialect_insert(conn, f)
            .values(**vote.model_dump(), created_at=now, updated_at=now)
            .on_conflict_do_update(
                index_elements=["user_id", "answer_id"],
                set_={"helpful": vote.helpful, "updated_at": now},
            )
        )
    return existing is None


async def record_unanswered(
    db: Database, question: str, *, now: datetime, user_id: int | None = None
) -> bool:
    """Remember a question the guide could not answer. False (nothing stored) when it is blank."""
    text = normalise_question(question) if isinstance(question, str) else ""
    if not text:
        return False
    uid = None if user_id is None else _user_id(user_id)
    async with db.begin() as conn:
        await conn.execute(
            unanswered_table.insert().values(
                user_id=uid, question=text, created_at=aware(now).astimezone(UTC)
            )
        )
    return True


async def prune_unanswered(db: Database, *, before: datetime) -> int:
    """Delete unanswered questions recorded before ``before``; returns how many."""
    u = unanswered_table
    async with db.begin() as conn:
        return _rowcount(await conn.execute(delete(u).where(u.c.created_at < aware(before))))


# -- the content report -------------------------------------------------------------------------


async def report_rows(
    db: Database, *, since: datetime | None = None
) -> tuple[list[StoredVote], list[str]]:
    """The votes and unanswered questions the report needs (optionally only those since)."""
    f, u = feedback_table, unanswered_table
    votes_q = select(f.c.unit_id, f.c.helpful, f.c.question)
    questions_q = select(u.c.question)
    if since is not None:
        votes_q = votes_q.where(f.c.updated_at >= aware(since))
        questions_q = questions_q.where(u.c.created_at >= since)
    async with db.read() as conn:
        votes = [
            StoredVote(r.unit_id, bool(r.helpful), r.question)
            for r in (await conn.execute(votes_q)).all()
        ]
        questions = [r.question for r in (await conn.execute(questions_q)).all()]
    return votes, questions


async def content_report(
    db: Database,
    *,
    now: datetime,
    since: datetime | None = None,
    min_votes: int = 5,
    limit: int = 10,
) -> Report:
    """The ``walkwell report`` data (format it with :func:`schedules.feedback.report.format_report`)."""
    votes, questions = await report_rows(db, since=since)
    return build_report(votes, questions, now=now, min_votes=min_votes, limit=limit)


# -- privacy ------------------------------------------------------------------------------------


async def _erase(conn: AsyncConnection, user_id: int) -> int:
    """The user's votes, unanswered questions and remembered questions; other people's votes on
    answers this user asked for stay (they are theirs) but lose the question's text."""
    a, f = answers_table, feedback_table
    asked = select(a.c.answer_id).where(a.c.user_id == user_id)
    await conn.execute(update(f).where(f.c.answer_id.in_(asked)).values(question=""))
    return sum([await delete_rows(conn, t, user_id) for t in (answers_table, *_VOTES)])


_VOTES = (feedback_table, unanswered_table)

register("feedback", *_VOTES, answers_table, erase=_erase)
