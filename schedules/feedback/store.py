"""Answer feedback in the database: the questions behind answers, votes, unanswered questions.

- Answers (``answers``): a feedback button carries the unit id and the answer's key in its custom
  id (so it works after a restart); the question itself is too long for a custom id and is not
  shown in a public answer, so it is kept here, keyed by the answer: the id of the interaction
  (``/ask``, ``/guide``) or of the user's message (a mention or DM) the answer replied to. Rows are
  kept for :data:`KEEP_DAYS` days (:func:`prune_answers`). The question lives only here, with
  the asker.
- Votes (``feedback``): :func:`record_vote`, one per person per unit per (UTC) day, however often
  the unit is reopened; voting again that day changes it. A vote names the voter, the unit, the
  answer key and yes/no, never the question.
- Unanswered questions (``unanswered``): :func:`record_unanswered` (at most
  :data:`UNANSWERED_PER_DAY` per person per UTC day), :func:`prune_unanswered`.
- The content report's data: :func:`content_report` streams the rows into the tallies of
  :mod:`schedules.feedback.report`: votes joined to the asker's ``answers`` row (while it exists)
  for the questions a unit was unhelpful for, unanswered questions counted by distinct people.

The tables are in :mod:`schedules.store.schema`; this module answers for them in ``/privacy``
(:mod:`schedules.store.userdata`): a user's export holds their votes, their unanswered questions
and their remembered answers, nothing of anyone else; erasing removes all three, and other
people's votes on that user's answers then join to no question. Bad input raises
:class:`~schedules.errors.InputError` before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from schedules.checks import aware
from schedules.checks import snowflake as _snowflake
from schedules.checks import user_id as _user_id
from schedules.feedback.report import (
    QuestionTally,
    Report,
    Vote,
    VoteTally,
    normalise_question,
    report_from,
)
from schedules.store.db import Database, dialect_insert
from schedules.store.schema import answers_table, feedback_table, unanswered_table
from schedules.store.userdata import delete_rows, register
from schedules.store.users import ensure_user

__all__ = [
    "KEEP_DAYS",
    "UNANSWERED_PER_DAY",
    "StoredAnswer",
    "StoredVote",
    "answer_context",
    "content_report",
    "prune_answers",
    "prune_unanswered",
    "record_unanswered",
    "record_vote",
    "answer_row",
    "remember_answer",
    "remember_answers",
    "report_rows",
]

#: How long an answer's question is kept for its feedback buttons.
KEEP_DAYS = 14
#: Rows fetched at a time while ``walkwell report`` streams a table.
STREAM_BATCH = 1000
#: At most this many unanswered questions are kept per person per UTC day (the rest are dropped).
UNANSWERED_PER_DAY = 20


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


def answer_row(
    answer_id: int,
    unit_id: str,
    question: str,
    *,
    now: datetime,
    user_id: int | None = None,
) -> dict[str, Any] | None:
    """The ``answers`` row that keeps the question an answer was given for; None when the
    question is blank. Bad input raises :class:`~schedules.errors.InputError`."""
    answer_id = _snowflake(answer_id, "answer")
    uid = None if user_id is None else _user_id(user_id)
    text = normalise_question(question) if isinstance(question, str) else ""
    if not text:
        return None
    return {
        "answer_id": answer_id,
        "user_id": uid,
        "unit_id": str(unit_id)[:32],
        "question": text,
        "created_at": aware(now).astimezone(UTC),
    }


async def remember_answers(db: Database, rows: list[dict[str, Any]]) -> None:
    """Keep many answers' rows (from :func:`answer_row`) in one transaction. An ``answer_id``
    already kept, or given twice, keeps its first row."""
    if not rows:
        return
    async with db.begin() as conn:
        await conn.execute(
            dialect_insert(conn, answers_table).on_conflict_do_nothing(
                index_elements=["answer_id"]
            ),
            rows,
        )


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
    row = answer_row(answer_id, unit_id, question, now=now, user_id=user_id)
    if row is None:
        return False
    await remember_answers(db, [row])
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
    """Store a vote: one per person per unit per UTC day (however often the unit is reopened);
    voting again that day changes it (and the answer it names). True when it was a new vote."""
    if not isinstance(vote, Vote):
        raise TypeError("vote must be a feedback.Vote")
    now = aware(now).astimezone(UTC)
    day = now.date()
    f = feedback_table
    async with db.begin() as conn:
        await ensure_user(conn, vote.user_id, now=now)
        existing = (
            await conn.execute(
                select(f.c.id).where(
                    f.c.user_id == vote.user_id, f.c.unit_id == vote.unit_id, f.c.day == day
                )
            )
        ).first()
        await conn.execute(
            dialect_insert(conn, f)
            .values(**vote.model_dump(), day=day, created_at=now, updated_at=now)
            .on_conflict_do_update(
                index_elements=["user_id", "unit_id", "day"],
                set_={"helpful": vote.helpful, "answer_id": vote.answer_id, "updated_at": now},
            )
        )
    return existing is None


async def record_unanswered(
    db: Database,
    question: str,
    *,
    now: datetime,
    user_id: int | None = None,
    per_day: int = UNANSWERED_PER_DAY,
) -> bool:
    """Remember a question the guide could not answer. False (nothing stored) when it is blank,
    or when this person already has ``per_day`` questions recorded this UTC day."""
    text = normalise_question(question) if isinstance(question, str) else ""
    if not text:
        return False
    uid = None if user_id is None else _user_id(user_id)
    now = aware(now).astimezone(UTC)
    u = unanswered_table
    async with db.begin() as conn:
        if uid is not None:
            day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
            today = select(func.count()).where(u.c.user_id == uid, u.c.created_at >= day_start)
            if int((await conn.execute(today)).scalar_one()) >= per_day:
                return False
        await conn.execute(u.insert().values(user_id=uid, question=text, created_at=now))
    return True


async def prune_unanswered(db: Database, *, before: datetime) -> int:
    """Delete unanswered questions recorded before ``before``; returns how many."""
    u = unanswered_table
    async with db.begin() as conn:
        return _rowcount(await conn.execute(delete(u).where(u.c.created_at < aware(before))))


# -- the content report -------------------------------------------------------------------------


async def report_rows(
    db: Database, *, since: datetime | None = None
) -> tuple[list[StoredVote], list[tuple[str, int | None]]]:
    """The votes (each with the asker's question while their answer is remembered, else blank)
    and the ``(question, asker)`` pairs of unanswered questions, as lists (for tests and small
    tables; :func:`content_report` streams the same queries)."""
    async with db.read() as conn:
        votes = [_vote(r) for r in (await conn.execute(_votes_query(since))).all()]
        rows = (await conn.execute(_unanswered_query(since))).all()
    return votes, [(r.question, r.user_id) for r in rows]


def _votes_query(since: datetime | None) -> Any:
    f, a = feedback_table, answers_table
    joined = f.outerjoin(a, and_(a.c.answer_id == f.c.answer_id, a.c.unit_id == f.c.unit_id))
    q = select(f.c.unit_id, f.c.helpful, a.c.question).select_from(joined)
    return q if since is None else q.where(f.c.updated_at >= aware(since))


def _unanswered_query(since: datetime | None) -> Any:
    u = unanswered_table
    q = select(u.c.question, u.c.user_id)
    return q if since is None else q.where(u.c.created_at >= aware(since))


def _vote(row: Any) -> StoredVote:
    return StoredVote(row.unit_id, bool(row.helpful), row.question or "")


async def content_report(
    db: Database,
    *,
    now: datetime,
    since: datetime | None = None,
    min_votes: int = 5,
    limit: int = 10,
) -> Report:
    """The ``walkwell report`` data (format it with :func:`schedules.feedback.report.format_report`).

    The rows stream through the tallies; none are held in a list."""
    votes, questions = VoteTally(), QuestionTally()
    async with db.read() as conn:
        async for part in (
            await conn.stream(_votes_query(since).execution_options(yield_per=STREAM_BATCH))
        ).partitions():
            for row in part:
                votes.add(_vote(row))
        async for part in (
            await conn.stream(_unanswered_query(since).execution_options(yield_per=STREAM_BATCH))
        ).partitions():
            for row in part:
                questions.add(row.question, row.user_id)
    return report_from(votes, questions, now=now, min_votes=min_votes, limit=limit)


# -- privacy ------------------------------------------------------------------------------------


async def _erase(conn: AsyncConnection, user_id: int) -> int:
    """The user's votes, unanswered questions and remembered questions. Other people's votes on
    this user's answers stay (they are theirs); they hold no question, and now join to none."""
    return sum([await delete_rows(conn, t, user_id) for t in (answers_table, *_VOTES)])


_VOTES = (feedback_table, unanswered_table)

register("feedback", *_VOTES, answers_table, erase=_erase)
