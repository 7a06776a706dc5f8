"""Recent answers, so a "Was this helpful?" vote knows which question it is about (issue 5).

A feedback button carries the unit id and the answer's key in its custom id (so it works after a
restart); the question itself is too long for a custom id and is not shown in a public answer, so
it is kept here, keyed by the answer: the id of the interaction (``/ask``, ``/guide``) or of the
user's message (a mention or DM) the answer replied to.

``answers``
    ``answer_id`` (unique), ``unit_id``, ``question`` (normalised, at most 300 characters),
    ``user_id`` (who asked; no foreign key, like ``unanswered``, so asking creates no ``users``
    row, and ``/privacy`` can export and erase it), ``created_at`` (indexed, for pruning).

Rows are kept for :data:`KEEP_DAYS` days (:func:`prune_answers`); a vote on an older answer is
stored without its question. Bad input raises :class:`~schedules.errors.InputError` before
anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    select,
    update,
)

from schedules.checks import aware
from schedules.checks import snowflake as _snowflake
from schedules.feedback.report import normalise_question
from schedules.store.db import Database, dialect_insert
from schedules.store.schema import UTCDateTime, metadata

__all__ = [
    "KEEP_DAYS",
    "StoredAnswer",
    "answer_context",
    "answers_table",
    "delete_user_answers",
    "export_user_answers",
    "prune_answers",
    "remember_answer",
]

#: How long an answer's question is kept for its feedback buttons.
KEEP_DAYS = 14

_BigId = BigInteger().with_variant(Integer(), "sqlite")

answers_table = Table(
    "answers",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("answer_id", BigInteger, nullable=False),
    Column("user_id", BigInteger, nullable=True, index=True),
    Column("unit_id", String(32), nullable=False),
    Column("question", String(300), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    UniqueConstraint("answer_id"),
)


@dataclass(frozen=True)
class StoredAnswer:
    answer_id: int
    unit_id: str
    question: str
    user_id: int | None
    created_at: datetime


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
    uid = None if user_id is None else _snowflake(user_id, "Discord user")
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
        result = await conn.execute(
            delete(answers_table).where(answers_table.c.created_at < before)
        )
    return int(cast(Any, result).rowcount or 0)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def export_user_answers(db: Database, user_id: int) -> list[dict[str, Any]]:
    """The questions this user asked that are still remembered, JSON-ready, oldest first."""
    user_id = _snowflake(user_id, "Discord user")
    a = answers_table
    async with db.read() as conn:
        rows = (await conn.execute(select(a).where(a.c.user_id == user_id).order_by(a.c.id))).all()
    return [{k: _jsonable(v) for k, v in r._mapping.items()} for r in rows]


async def delete_user_answers(db: Database, user_id: int) -> int:
    """Forget every question this user asked; returns how many.

    Other people's votes on those answers stay (they are theirs), but lose the question's text:
    nothing this user wrote is left.
    """
    from schedules.journal.store import feedback_table

    user_id = _snowflake(user_id, "Discord user")
    a, f = answers_table, feedback_table
    asked = select(a.c.answer_id).where(a.c.user_id == user_id)
    async with db.begin() as conn:
        await conn.execute(update(f).where(f.c.answer_id.in_(asked)).values(question=""))
        result = await conn.execute(delete(a).where(a.c.user_id == user_id))
    return int(cast(Any, result).rowcount or 0)
