"""The club's rows: setup, stop, pauses, status, and the "I walked" presses.

Counts always come from ``club_presses`` (UNIQUE ``(guild_id, user_id, club_day)``): a repeat
press inserts nothing, so the count stays right under any number of presses at once. Presses are
personal data: registered here with :mod:`schedules.store.userdata` (``/privacy export`` lists
them, ``/privacy delete`` removes them, so a past day's count drops by one; nothing names anyone).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from schedules.checks import aware, snowflake
from schedules.club.calls import (
    ClubCall,
    WeekFigures,
    call_nonce,
    club_day_of,
    club_focus,
    needs_summary,
    next_call,
    week_figures,
    week_start,
)
from schedules.reminders.timecalc import format_local_time, parse_local_time
from schedules.reminders.zones import resolve_timezone
from schedules.store import userdata
from schedules.store.db import Database, dialect_insert
from schedules.store.schema import club_calls_table, club_presses_table, clubs_table

__all__ = ["ClubStatus", "ClubStore", "Press", "build_call", "count_day", "presses_of_week"]

clubs = clubs_table
calls = club_calls_table
presses = club_presses_table


@dataclass(frozen=True)
class ClubStatus:
    """A club as ``/club status`` shows it (no names)."""

    guild_id: int
    channel_id: int
    role_id: int | None
    local_time: time
    timezone: str
    active: bool
    paused_reason: str | None
    next_due_utc: datetime | None
    today: date
    today_count: int
    week: WeekFigures

    @property
    def time_text(self) -> str:
        return format_local_time(self.local_time)


@dataclass(frozen=True)
class Press:
    """The outcome of one "I walked" press: ``new`` False for a repeat (nothing changed)."""

    new: bool
    count: int


async def presses_of_week(
    conn: AsyncConnection, guild_id: int, start: date, before: date | None = None
) -> WeekFigures:
    """The figures of a club week (from the presses table), of the days before ``before`` when
    given."""
    end = start + timedelta(days=7)
    rows = (
        await conn.execute(
            select(presses.c.user_id, presses.c.club_day).where(
                presses.c.guild_id == guild_id,
                presses.c.club_day >= start,
                presses.c.club_day < (min(end, before) if before is not None else end),
            )
        )
    ).all()
    return week_figures(start, ((r.user_id, r.club_day) for r in rows))


async def build_call(
    conn: AsyncConnection, club: Any, day: date, due: datetime, late: bool, channel_id: int
) -> ClubCall:
    """The walk call of ``club`` (a ``clubs`` row) for ``day``: the same call every time it is
    built (the week line counts the days before ``day``), so a count edit redraws it exactly."""
    previous = (
        await conn.execute(
            select(calls.c.club_day)
            .where(
                calls.c.guild_id == club.guild_id,
                calls.c.status == "sent",
                calls.c.club_day < day,
            )
            .order_by(calls.c.club_day.desc())
            .limit(1)
        )
    ).scalar()
    start = week_start(day)
    summary = None
    if needs_summary(day, previous):
        summary = await presses_of_week(conn, club.guild_id, start - timedelta(days=7))
    return ClubCall(
        guild_id=club.guild_id,
        channel_id=channel_id,
        role_id=club.role_id,
        club_day=day,
        due_utc=due,
        local_time=club.local_time,
        timezone=club.timezone,
        late=late,
        nonce=call_nonce(club.guild_id, day),
        topic=club_focus(club.guild_id, day),
        week=await presses_of_week(conn, club.guild_id, start, before=day),
        summary=summary,
        count=await count_day(conn, club.guild_id, day),
    )


async def count_day(conn: AsyncConnection, guild_id: int, day: date) -> int:
    query = select(func.count()).where(presses.c.guild_id == guild_id, presses.c.club_day == day)
    return int((await conn.execute(query)).scalar_one())


class ClubStore:
    """The walking club over a :class:`Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._pending: list[tuple[int, date, int, datetime, asyncio.Future[Press | None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def setup(
        self,
        guild_id: int,
        channel_id: int,
        role_id: int | None,
        time_text: str,
        timezone_text: str,
        now: datetime,
    ) -> ClubStatus:
        """Create or resume the server's club (history kept). Bad time or zone: ``InputError``,
        nothing stored."""
        guild_id = snowflake(guild_id, "guild id")
        channel_id = snowflake(channel_id, "channel id")
        if role_id is not None:
            role_id = snowflake(role_id, "role id")
        now = aware(now)
        local_time = parse_local_time(time_text)
        zone = resolve_timezone(timezone_text).key
        async with self.db.begin() as conn:
            last = (
                await conn.execute(
                    select(func.max(calls.c.club_day)).where(calls.c.guild_id == guild_id)
                )
            ).scalar()
            due, day = next_call(
                local_time, zone, now, (last + timedelta(days=1)) if last else None
            )
            values: dict[str, Any] = {
                "channel_id": channel_id,
                "role_id": role_id,
                "local_time": local_time,
                "timezone": zone,
                "active": True,
                "paused_reason": None,
                "next_due_utc": due,
                "next_club_day": day,
                "updated_at": now,
            }
            await conn.execute(
                dialect_insert(conn, clubs)
                .values(guild_id=guild_id, created_at=now, **values)
                .on_conflict_do_update(index_elements=["guild_id"], set_=values)
            )
        status = await self.status(guild_id, now)
        assert status is not None
        return status

    async def stop(self, guild_id: int, now: datetime) -> bool:
        """No more calls (history kept). Returns whether the club was on."""
        async with self.db.begin() as conn:
            result = await conn.execute(
                update(clubs)
                .where(clubs.c.guild_id == guild_id, clubs.c.active.is_(True))
                .values(active=False, next_due_utc=None, updated_at=aware(now))
            )
        return bool(cast(Any, result).rowcount)

    async def pause(
        self,
        reason: str,
        now: datetime,
        *,
        guild_id: int | None = None,
        channel_id: int | None = None,
    ) -> int:
        """Pause the club of ``guild_id`` (or the clubs posting in ``channel_id``) with
        ``reason``; no call goes out until ``/club setup`` runs again. Returns clubs paused."""
        query = update(clubs).values(paused_reason=reason, next_due_utc=None, updated_at=aware(now))
        if guild_id is not None:
            query = query.where(clubs.c.guild_id == guild_id)
        elif channel_id is not None:
            query = query.where(clubs.c.channel_id == channel_id)
        else:
            raise ValueError("guild_id or channel_id")
        async with self.db.begin() as conn:
            result = await conn.execute(query.where(clubs.c.paused_reason.is_(None)))
        return int(cast(Any, result).rowcount or 0)

    async def status(self, guild_id: int, now: datetime) -> ClubStatus | None:
        """The club's settings and figures, or None when the server has none."""
        async with self.db.read() as conn:
            row = (await conn.execute(select(clubs).where(clubs.c.guild_id == guild_id))).first()
            if row is None:
                return None
            today = club_day_of(aware(now), row.timezone)
            return ClubStatus(
                guild_id=row.guild_id,
                channel_id=row.channel_id,
                role_id=row.role_id,
                local_time=row.local_time,
                timezone=row.timezone,
                active=row.active,
                paused_reason=row.paused_reason,
                next_due_utc=row.next_due_utc,
                today=today,
                today_count=await count_day(conn, guild_id, today),
                week=await presses_of_week(conn, guild_id, week_start(today)),
            )

    async def call_for(self, guild_id: int, day: date) -> tuple[ClubCall, int] | None:
        """A posted call as it was built, with its message id (for count edits), or None."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(calls).where(
                        calls.c.guild_id == guild_id,
                        calls.c.club_day == day,
                        calls.c.status == "sent",
                    )
                )
            ).first()
            club = (await conn.execute(select(clubs).where(clubs.c.guild_id == guild_id))).first()
            if row is None or club is None or row.message_id is None or row.channel_id is None:
                return None
            call = await build_call(conn, club, day, row.due_utc, row.late, row.channel_id)
        return call, int(row.message_id)

    async def call_message(self, guild_id: int, day: date) -> tuple[int, int] | None:
        """``(channel_id, message_id)`` of a club day's posted call, or None."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(calls.c.channel_id, calls.c.message_id).where(
                        calls.c.guild_id == guild_id,
                        calls.c.club_day == day,
                        calls.c.status == "sent",
                    )
                )
            ).first()
        if row is None or row.channel_id is None or row.message_id is None:
            return None
        return int(row.channel_id), int(row.message_id)

    async def press(self, guild_id: int, day: date, user_id: int, now: datetime) -> Press | None:
        """Count ``user_id`` once for the club day; None when that day had no call.

        Presses are written in batches (group commit): the first press starts a write, and the
        presses that arrive while it runs go in the next one, so a busy morning costs a few
        transactions a second, not one per press. The count is read from the table in the same
        transaction."""
        future: asyncio.Future[Press | None] = asyncio.get_running_loop().create_future()
        self._pending.append((guild_id, day, user_id, aware(now), future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_presses())
        return await future

    async def _write_presses(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                results = await self._write_batch([(g, d, u, n) for g, d, u, n, _ in batch])
            except Exception as exc:
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (*_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _write_batch(
        self, batch: list[tuple[int, date, int, datetime]]
    ) -> list[Press | None]:
        keys = {(g, d) for g, d, _, _ in batch}
        async with self.db.begin() as conn:
            open_keys = set()
            for guild_id, day in keys:
                called = (
                    await conn.execute(
                        select(calls.c.id).where(
                            calls.c.guild_id == guild_id,
                            calls.c.club_day == day,
                            calls.c.status.in_(("sent", "claimed")),
                        )
                    )
                ).first()
                if called is not None:
                    open_keys.add((guild_id, day))
            rows: dict[tuple[int, date, int], dict[str, Any]] = {}
            for g, d, u, n in batch:
                if (g, d) in open_keys:
                    rows.setdefault(
                        (g, d, u), {"guild_id": g, "club_day": d, "user_id": u, "pressed_at": n}
                    )
            inserted: set[tuple[int, date, int]] = set()
            if rows:
                result = await conn.execute(
                    dialect_insert(conn, presses)
                    .values(list(rows.values()))
                    .on_conflict_do_nothing(index_elements=["guild_id", "user_id", "club_day"])
                    .returning(presses.c.guild_id, presses.c.club_day, presses.c.user_id)
                )
                inserted = {(r.guild_id, r.club_day, r.user_id) for r in result.all()}
            counts = {key: await count_day(conn, *key) for key in open_keys}
        out: list[Press | None] = []
        for g, d, u, _ in batch:
            if (g, d) not in open_keys:
                out.append(None)
                continue
            new = (g, d, u) in inserted
            inserted.discard((g, d, u))  # the same person twice in one batch: once new
            out.append(Press(new, counts[(g, d)]))
        return out

    async def count(self, guild_id: int, day: date) -> int:
        async with self.db.read() as conn:
            return await count_day(conn, guild_id, day)

    async def pressed_calls(self, user_id: int, since: date) -> list[tuple[int, date]]:
        """``(guild id, club day)`` of the posted calls ``user_id`` pressed since ``since``: the
        calls whose shown count an erase of that person changes."""
        async with self.db.read() as conn:
            rows = await conn.execute(
                select(presses.c.guild_id, presses.c.club_day)
                .join(
                    calls,
                    (calls.c.guild_id == presses.c.guild_id)
                    & (calls.c.club_day == presses.c.club_day),
                )
                .where(
                    presses.c.user_id == snowflake(user_id, "user id"),
                    presses.c.club_day >= since,
                    calls.c.message_id.is_not(None),
                )
                .order_by(presses.c.guild_id, presses.c.club_day)
            )
            return [(int(r.guild_id), r.club_day) for r in rows.all()]


userdata.register("club", presses)
