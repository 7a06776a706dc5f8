"""The walk log and answer feedback in the database (issue 5): tables and async repository functions.

Tables (created by migration ``0002_journal``; defined here on :data:`schedules.store.schema.metadata`
so migrations and models stay comparable):

``walks``
    One row per logged walk: ``user_id`` (-> ``users``, ``ON DELETE CASCADE``), ``local_date`` (the
    user's local day it counts for), ``minutes``, ``cadence``, ``pain``, ``note``, ``logged_at``
    (UTC). Indexed by ``(user_id, local_date)``. CHECK constraints repeat the validation's ranges.
``feedback``
    "Was this helpful?" votes: ``user_id`` (-> ``users``, cascade), ``answer_id`` (the answer
    message's id), ``unit_id``, ``question`` (normalised, at most 300 characters), ``helpful``,
    ``created_at``, ``updated_at``. UNIQUE ``(user_id, answer_id)``: one vote per person per
    answer; voting again changes the vote.
``unanswered``
    Questions the guide could not answer, for the content report: ``question``, ``created_at``
    (indexed, for pruning), and ``user_id`` (no foreign key: nobody gets a ``users`` row just for
    asking) so ``/privacy`` can export and erase a person's questions too. The report never shows
    who asked.

Every function takes the :class:`~schedules.store.db.Database`; bad input raises
:class:`~schedules.errors.InputError` before anything is written. Deleting the ``users`` row (what
``ReminderService.delete_user_data`` does) cascades to ``walks`` and ``feedback``; call
:func:`delete_user_journal` as well so the user's ``unanswered`` rows go too (it also deletes the
walks and feedback itself, so it is complete on its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)

from schedules.checks import aware as _aware
from schedules.checks import user_id as _user_id
from schedules.feedback.report import Report, Vote, build_report, normalise_question
from schedules.journal.walklog import MAX_NOTE, WalkEntry, WalkInputError
from schedules.store.db import Database, dialect_insert
from schedules.store.schema import UTCDateTime, metadata, users_table

__all__ = [
    "MAX_DAY_MINUTES",
    "StoredVote",
    "StoredWalk",
    "content_report",
    "delete_user_journal",
    "export_user_journal",
    "feedback_table",
    "log_walk",
    "prune_unanswered",
    "record_unanswered",
    "record_vote",
    "report_rows",
    "unanswered_table",
    "user_timezone",
    "walks_between",
    "walks_table",
]

#: No local day holds more walking than this (minutes); a log that would pass it is refused.
MAX_DAY_MINUTES = 24 * 60

_BigId = BigInteger().with_variant(Integer(), "sqlite")


def _user_fk() -> ForeignKey:
    return ForeignKey("users.user_id", ondelete="CASCADE")


walks_table = Table(
    "walks",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, _user_fk(), nullable=False),
    Column("local_date", Date, nullable=False),
    Column("minutes", SmallInteger, nullable=False),
    Column("cadence", SmallInteger, nullable=True),
    Column("pain", SmallInteger, nullable=True),
    Column("note", String(MAX_NOTE), nullable=True),
    Column("logged_at", UTCDateTime(), nullable=False),
    CheckConstraint("minutes BETWEEN 1 AND 300", name="minutes_range"),
    CheckConstraint("cadence IS NULL OR cadence BETWEEN 30 AND 250", name="cadence_range"),
    CheckConstraint("pain IS NULL OR pain BETWEEN 0 AND 10", name="pain_range"),
    Index("ix_walks_user_id_local_date", "user_id", "local_date"),
)

feedback_table = Table(
    "feedback",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, _user_fk(), nullable=False),
    Column("answer_id", BigInteger, nullable=False),
    Column("unit_id", String(32), nullable=False, index=True),
    Column("question", String(300), nullable=False),
    Column("helpful", Boolean, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id", "answer_id"),
)

unanswered_table = Table(
    "unanswered",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("user_id", BigInteger, nullable=True, index=True),
    Column("question", String(300), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

#: The journal's per-user tables, children of ``users`` first (export order).
JOURNAL_TABLES: list[Table] = [walks_table, feedback_table, unanswered_table]


@dataclass(frozen=True)
class StoredWalk:
    """A walk as stored (satisfies :class:`schedules.journal.progress.WalkLike`)."""

    id: int
    user_id: int
    local_date: date
    minutes: int
    cadence: int | None
    pain: int | None
    note: str | None
    logged_at: datetime


@dataclass(frozen=True)
class StoredVote:
    """A vote as the report needs it (satisfies :class:`schedules.feedback.report.VoteLike`)."""

    unit_id: str
    helpful: bool
    question: str


async def _ensure_user(conn: Any, user_id: int, zone: str | None, now: datetime) -> None:
    """Create the ``users`` row if missing; set its timezone only when it has none."""
    await conn.execute(
        dialect_insert(conn, users_table)
        .values(user_id=user_id, timezone=zone, created_at=now)
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    if zone is not None:
        await conn.execute(
            update(users_table)
            .where(users_table.c.user_id == user_id, users_table.c.timezone.is_(None))
            .values(timezone=zone)
        )


async def user_timezone(db: Database, user_id: int) -> str | None:
    """The IANA zone the user's local days are counted in (set by reminders or a walk), or None."""
    user_id = _user_id(user_id)
    async with db.read() as conn:
        return cast(
            "str | None",
            (
                await conn.execute(
                    select(users_table.c.timezone).where(users_table.c.user_id == user_id)
                )
            ).scalar(),
        )


# -- walks -------------------------------------------------------------------------------------------


async def log_walk(
    db: Database, user_id: int, entry: WalkEntry, *, zone: str | None = None
) -> StoredWalk:
    """Store a validated walk (from :func:`schedules.journal.walklog.validate_walk`).

    ``zone`` (the zone ``entry.local_date`` was computed in) is remembered as the user's timezone
    when they have none yet. Refuses (:class:`WalkInputError`, nothing stored) a walk that would
    take the day's total past :data:`MAX_DAY_MINUTES`.
    """
    user_id = _user_id(user_id)
    if not isinstance(entry, WalkEntry):
        raise TypeError("entry must be a WalkEntry (use validate_walk)")
    w = walks_table
    async with db.begin() as conn:
        await _ensure_user(conn, user_id, zone, entry.logged_at)
        day_total = (
            await conn.execute(
                select(func.coalesce(func.sum(w.c.minutes), 0)).where(
                    w.c.user_id == user_id, w.c.local_date == entry.local_date
                )
            )
        ).scalar_one()
        if int(day_total) + entry.minutes > MAX_DAY_MINUTES:
            raise WalkInputError(
                f"That would make more than 24 hours of walking on {entry.local_date:%d %b}; "
                "please check the minutes.",
                "minutes",
            )
        result = await conn.execute(
            w.insert()
            .values(
                user_id=user_id,
                local_date=entry.local_date,
                minutes=entry.minutes,
                cadence=entry.cadence,
                pain=entry.pain,
                note=entry.note,
                logged_at=entry.logged_at,
            )
            .returning(w.c.id)
        )
        walk_id = int(result.scalar_one())
    return StoredWalk(
        id=walk_id,
        user_id=user_id,
        local_date=entry.local_date,
        minutes=entry.minutes,
        cadence=entry.cadence,
        pain=entry.pain,
        note=entry.note,
        logged_at=entry.logged_at,
    )


def _walk(row: Any) -> StoredWalk:
    return StoredWalk(
        id=row.id,
        user_id=row.user_id,
        local_date=row.local_date,
        minutes=row.minutes,
        cadence=row.cadence,
        pain=row.pain,
        note=row.note,
        logged_at=row.logged_at,
    )


async def walks_between(db: Database, user_id: int, first: date, last: date) -> list[StoredWalk]:
    """The user's walks whose local date is in ``first..last`` (inclusive), oldest first."""
    user_id = _user_id(user_id)
    w = walks_table
    async with db.read() as conn:
        rows = (
            await conn.execute(
                select(w)
                .where(w.c.user_id == user_id, w.c.local_date.between(first, last))
                .order_by(w.c.local_date, w.c.logged_at, w.c.id)
            )
        ).all()
    return [_walk(r) for r in rows]


# -- feedback ----------------------------------------------------------------------------------------


async def record_vote(db: Database, vote: Vote, *, now: datetime) -> bool:
    """Store a vote; voting again on the same answer changes it. True when it was a new vote."""
    if not isinstance(vote, Vote):
        raise TypeError("vote must be a feedback.Vote")
    now = _aware(now).astimezone(UTC)
    f = feedback_table
    async with db.begin() as conn:
        await _ensure_user(conn, vote.user_id, None, now)
        existing = (
            await conn.execute(
                select(f.c.id).where(f.c.user_id == vote.user_id, f.c.answer_id == vote.answer_id)
            )
        ).first()
        await conn.execute(
            dialect_insert(conn, f)
            .values(
                user_id=vote.user_id,
                answer_id=vote.answer_id,
                unit_id=vote.unit_id,
                question=vote.question,
                helpful=vote.helpful,
                created_at=now,
                updated_at=now,
            )
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
                user_id=uid, question=text, created_at=_aware(now).astimezone(UTC)
            )
        )
    return True


async def report_rows(
    db: Database, *, since: datetime | None = None
) -> tuple[list[StoredVote], list[str]]:
    """The votes and unanswered questions the report needs (optionally only those since)."""
    f, u = feedback_table, unanswered_table
    votes_q = select(f.c.unit_id, f.c.helpful, f.c.question)
    questions_q = select(u.c.question)
    if since is not None:
        votes_q = votes_q.where(f.c.updated_at >= _aware(since))
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


async def prune_unanswered(db: Database, *, before: datetime) -> int:
    """Delete unanswered questions recorded before ``before``; returns how many."""
    async with db.begin() as conn:
        result = await conn.execute(
            delete(unanswered_table).where(unanswered_table.c.created_at < _aware(before))
        )
    return int(cast(Any, result).rowcount or 0)


# -- privacy -----------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


async def export_user_journal(db: Database, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """The user's walks, votes and unanswered questions, JSON-ready: ``{table: [rows]}``."""
    user_id = _user_id(user_id)
    out: dict[str, list[dict[str, Any]]] = {}
    async with db.read() as conn:
        for table in JOURNAL_TABLES:
            rows = (
                await conn.execute(
                    select(table).where(table.c.user_id == user_id).order_by(table.c.id)
                )
            ).all()
            out[table.name] = [{k: _jsonable(v) for k, v in r._mapping.items()} for r in rows]
    return out


async def delete_user_journal(db: Database, user_id: int) -> int:
    """Erase the user's walks, votes and unanswered questions; returns the rows removed."""
    user_id = _user_id(user_id)
    removed = 0
    async with db.begin() as conn:
        for table in JOURNAL_TABLES:
            result = await conn.execute(delete(table).where(table.c.user_id == user_id))
            removed += int(cast(Any, result).rowcount or 0)
    return removed
