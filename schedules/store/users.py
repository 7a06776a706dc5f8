"""The ``users`` row every per-user feature hangs its rows on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from schedules.store.db import dialect_insert
from schedules.store.schema import users_table

__all__ = ["ensure_user"]


async def ensure_user(
    conn: AsyncConnection,
    user_id: int,
    *,
    now: datetime,
    zone: str | None = None,
    replace_zone: bool = False,
) -> None:
    """Make sure the ``users`` row of ``user_id`` exists, inside the caller's transaction.

    A missing row is created with ``timezone=zone`` and ``created_at=now``. The row is locked
    (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write transaction already is) until the
    transaction ends, so writes about one user are serialised.

    On an existing row, ``zone`` (when not None) is written:

    - ``replace_zone=True``: always (``/reminders start``: the zone the user just chose is the one
      their days are counted in);
    - ``replace_zone=False``: only if the row has no timezone yet (a walk or a vote fills a missing
      zone but never changes the one reminders use).
    """
    u = users_table
    found = (
        await conn.execute(select(u.c.user_id).where(u.c.user_id == user_id).with_for_update())
    ).first()
    if found is None:
        await conn.execute(
            dialect_insert(conn, u)
            .values(user_id=user_id, timezone=zone, created_at=now)
            .on_conflict_do_nothing(index_elements=["user_id"])
        )
    if zone is None:
        return
    change = update(u).where(u.c.user_id == user_id).values(timezone=zone)
    if not replace_zone:
        change = change.where(u.c.timezone.is_(None))
    await conn.execute(change)
