"""What the ``/reminders`` cog calls: opt in, opt out, status, snooze, done.

Usage::

    db = await Database.open()
    engine = ReminderEngine(db, sender, settings=ReminderSettings())
    reminders = ReminderService(db, engine=engine)
    await engine.start()

    status = await reminders.subscribe(user_id, "7:30am", "berlin", where="dm")
    status = await reminders.subscribe(user_id, "19:30", "Europe/Berlin", where="channel",
                                       channel_id=..., guild_id=...)
    notice = await reminders.pop_pause_notice(user_id)   # call at the start of any command
    await reminders.status(user_id)                      # None when reminders are off
    await reminders.snooze(user_id)                      # the reminder's Snooze button
    await reminders.mark_done(user_id)                   # the reminder's Done button
    await reminders.unsubscribe(user_id)                 # /reminders stop: nothing more is sent

Every method validates its input first and raises :class:`schedules.errors.InputError` (with a
short ``user_message``) before anything is stored. ``now=`` (timezone-aware) overrides the clock.

Resuming after a pause (blocked DMs, channel gone) is ``subscribe`` again; it keeps the user's
progression (week and targets). ``/privacy delete`` (:func:`schedules.store.userdata.erase_user`)
starts them from scratch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update

from schedules.checks import aware as _aware
from schedules.checks import snowflake as _snowflake
from schedules.checks import user_id as _user_id
from schedules.errors import InputError, NotSubscribedError
from schedules.plan.progression import ProgressionPlan, WeeklyTargets
from schedules.reminders.delivery import Where
from schedules.reminders.engine.jobs import Clock, utc_now
from schedules.reminders.timecalc import format_local_time, get_zone, next_due, parse_local_time
from schedules.reminders.zones import resolve_timezone
from schedules.store.batch import Batcher
from schedules.store.db import Database
from schedules.store.schema import (
    deliveries_table,
    snoozes_table,
    subscriptions_table,
)
from schedules.store.users import ensure_user

__all__ = [
    "ClaimsHolder",
    "ReminderService",
    "SubscriptionStatus",
]

subs = subscriptions_table
MAX_SNOOZE_MINUTES = 12 * 60


class ClaimsHolder(Protocol):
    """What the service needs of the engine: dropping a user's claimed, unsent reminders."""

    def forget_user(self, user_id: int) -> None: ...


@dataclass(frozen=True, slots=True)
class SubscriptionStatus:
    """A user's reminder settings and what comes next."""

    user_id: int
    local_time: time
    timezone: str
    where: Where  # "dm" | "channel"
    channel_id: int | None
    guild_id: int | None
    nudges: bool
    paused_reason: str | None  # None unless paused ("dms_blocked", "channel_unavailable")
    next_due_utc: datetime | None  # None while paused
    next_due_local: datetime | None  # the same instant in the user's zone
    targets: WeeklyTargets  # this week's cadence / minutes targets
    snooze_due_utc: datetime | None

    @property
    def paused(self) -> bool:
        return self.paused_reason is not None

    @property
    def time_text(self) -> str:
        """``"07:30"``."""
        return format_local_time(self.local_time)

    @property
    def next_due_unix(self) -> int | None:
        """Seconds since the epoch, for a Discord timestamp ``<t:...:F>``."""
        return None if self.next_due_utc is None else int(self.next_due_utc.timestamp())


class ReminderService:
    """The cog's API over the database. See the module docstring.

    ``engine`` (optional; the :class:`~schedules.reminders.engine.ReminderEngine` that sends the
    reminders) is told when a user stops or deletes their data, so a reminder it has already
    claimed for them is dropped instead of sent.
    """

    def __init__(
        self,
        db: Database,
        *,
        plan: ProgressionPlan | None = None,
        clock: Clock | None = None,
        engine: ClaimsHolder | None = None,
    ) -> None:
        self.db = db
        self.plan = plan or ProgressionPlan()
        self.clock: Clock = clock or utc_now
        self.engine = engine
        #: the reads of :meth:`pop_pause_notice`, for the commands that finish together
        self._notices: Batcher[int, bool] | None = None

    def _now(self, now: datetime | None) -> datetime:
        return _aware(now) if now is not None else self.clock()

    # -- opting in and out -----------------------------------------------------------------

    async def subscribe(
        self,
        user_id: int,
        local_time: str | time,
        zone: str | ZoneInfo,
        where: str = "dm",
        channel_id: int | None = None,
        guild_id: int | None = None,
        nudges: bool = True,
        *,
        now: datetime | None = None,
    ) -> SubscriptionStatus:
        """Opt in (or change settings, or resume after a pause). Returns the new status.

        ``local_time``: text as typed (see :func:`parse_local_time`) or a ``time``.
        ``zone``: text as typed (see :func:`resolve_timezone`) or a ``ZoneInfo``.
        ``where``: ``"dm"``, or ``"channel"`` (``"here"`` accepted) with ``channel_id``.
        A day that already had its reminder gets no second one, whatever changed.
        """
        user_id = _user_id(user_id)
        if isinstance(local_time, time):
            wall = local_time.replace(second=0, microsecond=0, tzinfo=None, fold=0)
        else:
            wall = parse_local_time(local_time)
        tz = zone if isinstance(zone, ZoneInfo) else resolve_timezone(zone)
        tz = get_zone(tz.key)
        place = str(where).strip().lower()
        if place == "here":
            place = "channel"
        if place not in ("dm", "channel"):
            raise InputError("Choose where to get reminders: dm or here.")
        if place == "channel":
            channel_id = _snowflake(channel_id, "channel")
            guild_id = None if guild_id is None else _snowflake(guild_id, "server")
        else:
            channel_id = guild_id = None
        if not isinstance(nudges, bool):
            raise InputError("Nudges must be on or off.")
        now = self._now(now)

        async with self.db.begin() as conn:
            await ensure_user(conn, user_id, now=now, zone=tz.key, replace_zone=True)
            row = (
                await conn.execute(
                    select(subs.c.last_local_date, subs.c.plan_started_on)
                    .where(subs.c.user_id == user_id)
                    .with_for_update()
                )
            ).first()
            last = row.last_local_date if row is not None else None
            due, day = next_due(
                wall, tz, now, not_before=None if last is None else last + timedelta(days=1)
            )
            values: dict[str, Any] = {
                "local_time": wall,
                "timezone": tz.key,
                "destination": place,
                "channel_id": channel_id,
                "guild_id": guild_id,
                "nudges": nudges,
                "active": True,
                "paused_reason": None,
                "pause_notice": False,
                "next_due_utc": due,
                "next_local_date": day,
                "updated_at": now,
            }
            if row is None:
                first = self.plan.first_week()
                await conn.execute(
                    subs.insert().values(
                        user_id=user_id,
                        plan_started_on=day,
                        plan_week=1,
                        cadence_target=first.cadence,
                        minutes_target=first.minutes,
                        created_at=now,
                        **values,
                    )
                )
            else:
                if row.plan_started_on is None:
                    values["plan_started_on"] = day
                await conn.execute(update(subs).where(subs.c.user_id == user_id).values(**values))
        status = await self.status(user_id)
        assert status is not None
        return status

    async def unsubscribe(self, user_id: int, *, now: datetime | None = None) -> bool:
        """Opt out: nothing more is sent (pending snooze and unsent claims are dropped).
        Returns whether reminders were on. Progression is kept for a later ``subscribe``."""
        user_id = _user_id(user_id)
        now = self._now(now)
        if self.engine is not None:
            self.engine.forget_user(user_id)
        async with self.db.begin() as conn:
            result = await conn.execute(
                update(subs)
                .where(subs.c.user_id == user_id, subs.c.active.is_(True))
                .values(
                    active=False,
                    paused_reason=None,
                    pause_notice=False,
                    next_due_utc=None,
                    next_local_date=None,
                    updated_at=now,
                )
            )
            await self._drop_pending(conn, user_id)
        return bool(cast(Any, result).rowcount)

    @staticmethod
    async def _drop_pending(conn: Any, user_id: int) -> None:
        await conn.execute(delete(snoozes_table).where(snoozes_table.c.user_id == user_id))
        await conn.execute(
            update(deliveries_table)
            .where(deliveries_table.c.user_id == user_id, deliveries_table.c.status == "claimed")
            .values(status="skipped", error="reminders stopped", lease_owner=None, lease_until=None)
        )

    # -- reading -------------------------------------------------------------------------------

    async def status(self, user_id: int) -> SubscriptionStatus | None:
        """The user's settings and next reminder, or None when reminders are off."""
        user_id = _user_id(user_id)
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(subs, snoozes_table.c.due_utc.label("snooze_due"))
                    .select_from(
                        subs.outerjoin(snoozes_table, snoozes_table.c.user_id == subs.c.user_id)
                    )
                    .where(subs.c.user_id == user_id, subs.c.active.is_(True))
                )
            ).first()
        if row is None:
            return None
        zone = get_zone(row.timezone)
        due = row.next_due_utc
        return SubscriptionStatus(
            user_id=user_id,
            local_time=row.local_time,
            timezone=row.timezone,
            where=cast(Where, row.destination),
            channel_id=row.channel_id,
            guild_id=row.guild_id,
            nudges=row.nudges,
            paused_reason=row.paused_reason,
            next_due_utc=due,
            next_due_local=None if due is None else due.astimezone(zone),
            targets=WeeklyTargets(
                row.plan_week,
                row.cadence_target,
                row.minutes_target,
                row.cadence_target >= self.plan.cadence_goal,
            ),
            snooze_due_utc=row.snooze_due,
        )

    async def pop_pause_notice(self, user_id: int) -> str | None:
        """If the user's reminders were paused since they last heard, why (``paused_reason``:
        ``dms_blocked``, ``channel_unavailable``, ``invalid_timezone``), once; the bot words it.
        Called after every command: a cheap read first, and the write (one small UPDATE) only
        when there is something to tell, so commands never queue for the write lock."""
        user_id = _user_id(user_id)
        if self._notices is None:
            self._notices = Batcher(self._notices_pending, name="walkwell-pause-notices")
        if not await self._notices.submit(user_id):
            return None
        async with self.db.begin() as conn:
            row = (
                await conn.execute(
                    update(subs)
                    .where(subs.c.user_id == user_id, subs.c.pause_notice.is_(True))
                    .values(pause_notice=False)
                    .returning(subs.c.paused_reason)
                )
            ).first()
        if row is None or row.paused_reason is None:
            return None
        return str(row.paused_reason)

    async def _notices_pending(self, user_ids: list[int]) -> list[bool]:
        """Which of ``user_ids`` have a pause notice waiting: one read for all the commands that
        finished together (:class:`~schedules.store.batch.Batcher`)."""
        async with self.db.read() as conn:
            found = set(
                (
                    await conn.execute(
                        select(subs.c.user_id).where(
                            subs.c.user_id.in_(set(user_ids)), subs.c.pause_notice.is_(True)
                        )
                    )
                ).scalars()
            )
        return [user_id in found for user_id in user_ids]

    # -- the reminder's buttons -------------------------------------------------------------------

    async def snooze(
        self, user_id: int, minutes: int = 30, *, now: datetime | None = None
    ) -> datetime:
        """A one-off reminder ``minutes`` from now (replacing a pending one); the daily
        schedule does not move. Returns its due instant. Needs reminders on and not paused."""
        user_id = _user_id(user_id)
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise InputError("Snooze needs a whole number of minutes.")
        if not 1 <= minutes <= MAX_SNOOZE_MINUTES:
            raise InputError(f"Snooze for 1 to {MAX_SNOOZE_MINUTES} minutes.")
        now = self._now(now)
        due = (now + timedelta(minutes=minutes)).replace(microsecond=0)
        async with self.db.begin() as conn:
            on = (
                await conn.execute(
                    select(subs.c.user_id).where(
                        subs.c.user_id == user_id,
                        subs.c.active.is_(True),
                        subs.c.paused_reason.is_(None),
                    )
                )
            ).first()
            if on is None:
                raise NotSubscribedError("Your reminders are off, so there is nothing to snooze.")
            await conn.execute(delete(snoozes_table).where(snoozes_table.c.user_id == user_id))
            await conn.execute(
                snoozes_table.insert().values(user_id=user_id, due_utc=due, created_at=now)
            )
        return due

    async def mark_done(
        self, user_id: int, due_utc: datetime | None = None, *, now: datetime | None = None
    ) -> bool:
        """The Done button: acknowledges the latest sent reminder (or the one due at
        ``due_utc``) and drops a pending snooze. Returns whether a reminder was acknowledged."""
        user_id = _user_id(user_id)
        if due_utc is not None:
            _aware(due_utc)
        now = self._now(now)
        d = deliveries_table
        async with self.db.begin() as conn:
            await conn.execute(delete(snoozes_table).where(snoozes_table.c.user_id == user_id))
            query = select(d.c.id).where(
                d.c.user_id == user_id,
                d.c.kind.in_(("reminder", "snooze")),
                d.c.status == "sent",
                d.c.acked_at.is_(None),
            )
            if due_utc is not None:
                query = query.where(d.c.due_utc == due_utc)
            else:
                query = query.where(d.c.due_utc >= now - timedelta(days=2))
            row = (await conn.execute(query.order_by(d.c.due_utc.desc()).limit(1))).first()
            if row is None:
                return False
            await conn.execute(update(d).where(d.c.id == row.id).values(acked_at=now))
        return True
