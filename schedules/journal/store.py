"""The walk log in the database: log a walk, read walks back, the user's zone.

The ``walks`` table is in :mod:`schedules.store.schema`; the journal answers for it in
``/privacy`` (:mod:`schedules.store.userdata`). Every function takes the
:class:`~schedules.store.db.Database`; bad input raises :class:`~schedules.errors.InputError`
before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import func, select

from schedules.checks import user_id as _user_id
from schedules.journal.walklog import WalkEntry, WalkInputError
from schedules.store.db import Database
from schedules.store.schema import users_table, walks_table
from schedules.store.userdata import register
from schedules.store.users import ensure_user

__all__ = [
    "MAX_DAY_MINUTES",
    "StoredWalk",
    "log_walk",
    "user_timezone",
    "walks_between",
    "walks_table",
]

#: No local day holds more walking than this (minutes); a log that would pass it is refused.
MAX_DAY_MINUTES = 24 * 60

register("journal", walks_table)


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


#: What a walk row takes from its :class:`WalkEntry`.
_ENTRY_FIELDS = ("local_date", "minutes", "cadence", "pain", "note", "logged_at")


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
        await ensure_user(conn, user_id, now=entry.logged_at, zone=zone)
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
        values: dict[str, Any] = {"user_id": user_id}
        values.update({f: getattr(entry, f) for f in _ENTRY_FIELDS})
        result = await conn.execute(w.insert().values(**values).returning(w.c.id))
        walk_id = int(result.scalar_one())
    return StoredWalk(id=walk_id, **values)


def _walk(row: Any) -> StoredWalk:
    return StoredWalk(**{f.name: getattr(row, f.name) for f in fields(StoredWalk)})


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
