"""Claiming what is due, in one transaction per batch.

Three queries find work: expired claims (a process died between claiming and recording),
subscriptions with ``next_due_utc <= now`` (indexed) and due snoozes. They share one judgement
of a due instant (:meth:`Claimer.lateness`: sent on time, sent late, or skipped after downtime)
and one builder of delivery rows (:meth:`Claimer.delivery_row`). New claims are inserted into the
delivery log, whose UNIQUE ``(user_id, kind, due_utc)`` key makes each reminder claimable once;
on PostgreSQL the rows are selected ``FOR UPDATE SKIP LOCKED``, so any number of processes can
claim at once. Claiming a subscription advances its ``next_due_utc`` to the next local day (see
:func:`schedules.reminders.timecalc.next_due`) and, when the day starts a new plan week, its
targets (with a ``nudge`` when the user has nudges on).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, TypedDict, cast

from sqlalchemy import and_, bindparam, delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from schedules.plan.progression import ProgressionPlan, WeeklyTargets
from schedules.plan.weeks import plan_week as plan_week_of
from schedules.reminders.delivery import Kind, Outgoing, Where, focus_topic, make_nonce
from schedules.reminders.engine.jobs import Item, Job, SweepReport
from schedules.reminders.engine.recorder import (
    finish_deliveries,
    update_deliveries,
    update_subscriptions,
)
from schedules.reminders.timecalc import get_zone, next_due
from schedules.settings import ReminderSettings
from schedules.store.db import Database, dialect_insert
from schedules.store.schema import deliveries_table, snoozes_table, subscriptions_table

__all__ = ["Claimer", "WeekPlanner", "anything_due"]

log = logging.getLogger(__name__)

subs = subscriptions_table
deliveries = deliveries_table
snoozes = snoozes_table

#: Items of one user are sent in this order.
KIND_ORDER = {"reminder": 0, "nudge": 1, "snooze": 2}

_SUB_COLUMNS = (
    subs.c.user_id,
    subs.c.local_time,
    subs.c.timezone,
    subs.c.destination,
    subs.c.channel_id,
    subs.c.guild_id,
    subs.c.dm_channel_id,
    subs.c.nudges,
    subs.c.active,
    subs.c.paused_reason,
    subs.c.next_due_utc,
    subs.c.next_local_date,
    subs.c.plan_started_on,
    subs.c.plan_week,
    subs.c.cadence_target,
    subs.c.minutes_target,
)


class WeekPlanner(Protocol):
    """Decides a new plan week's targets (optional; the default steps up with the plan).

    Called inside the claim transaction (``conn``) once per user per week, when a reminder on
    ``today`` (the user's local date) starts plan ``week``. Returns the targets and extra
    JSON-able details stored with the nudge and passed on as ``Outgoing.details`` (e.g. a
    decision and its reasons). :class:`schedules.plan.planner.WalkLogPlanner` holds the step
    when the walk log shows pain rose.
    """

    async def plan_week(
        self, conn: AsyncConnection, user_id: int, today: date, current: WeeklyTargets, week: int
    ) -> tuple[WeeklyTargets, Mapping[str, Any]]: ...


class _Dest(TypedDict):
    """Where a user's reminders go, as :class:`Outgoing` names it."""

    where: Where
    channel_id: int | None
    guild_id: int | None
    dm_channel_id: int | None
    local_time: time
    timezone: str


_DEST_COLUMNS = ("channel_id", "guild_id", "dm_channel_id", "local_time", "timezone")


def _dest(row: Any) -> _Dest:
    """The destination of a row joined with its subscription."""
    return cast(_Dest, {"where": row.destination, **{k: getattr(row, k) for k in _DEST_COLUMNS}})


def _outgoing(
    user_id: int,
    kind: Kind,
    due: datetime,
    local_date: date,
    dest: _Dest,
    late: bool,
    payload: dict[str, Any] | None = None,
) -> Outgoing:
    targets = previous = None
    details = None
    if payload:
        if payload.get("targets"):
            targets = WeeklyTargets.from_dict(payload["targets"])
        if payload.get("previous"):
            previous = WeeklyTargets.from_dict(payload["previous"])
        details = {k: v for k, v in payload.items() if k not in ("targets", "previous")} or None
    return Outgoing(
        **dest,
        details=details,
        user_id=user_id,
        kind=kind,
        due_utc=due,
        local_date=local_date,
        late=late,
        nonce=make_nonce(user_id, kind, due),
        topic=focus_topic(user_id, local_date),
        targets=targets,
        previous=previous,
    )


async def anything_due(db: Database, now: datetime) -> bool:
    """One cheap read: is any reminder, snooze or expired claim due? (Most minutes: no.)"""
    query = select(
        or_(
            exists().where(subs.c.next_due_utc <= now),
            exists().where(deliveries.c.status == "claimed", deliveries.c.lease_until <= now),
            exists().where(snoozes.c.due_utc <= now),
        )
    )
    async with db.read() as conn:
        return bool((await conn.execute(query)).scalar())


@dataclass
class Claimer:
    """One claim transaction of engine ``owner`` at ``now``; ``seq`` numbers its jobs."""

    settings: ReminderSettings
    plan: ProgressionPlan
    planner: WeekPlanner | None
    owner: str
    seq: int
    now: datetime
    report: SweepReport
    jobs: dict[int, Job] = field(default_factory=dict)

    # -- the shared judgement and row builder ---------------------------------------------

    def lateness(self, due: datetime) -> bool | None:
        """``None`` when ``due`` is past the grace window (skip it), else whether it is late."""
        overdue = self.now - due
        if overdue > timedelta(minutes=self.settings.grace_minutes):
            return None
        return overdue >= timedelta(minutes=self.settings.late_after_minutes)

    def lease_until(self) -> datetime:
        return self.now + timedelta(seconds=self.settings.lease_seconds)

    def delivery_row(
        self,
        user_id: int,
        kind: Kind,
        due: datetime,
        day: date,
        late: bool | None,
        payload: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new delivery: claimed by this engine, or (``late`` None) skipped after downtime."""
        row = {
            "user_id": user_id,
            "kind": kind,
            "due_utc": due,
            "local_date": day,
            "claimed_at": self.now,
            "payload": payload,
        }
        if late is None:
            return {
                **row,
                "status": "skipped",
                "attempts": 0,
                "late": False,
                "lease_owner": None,
                "lease_until": None,
                "error": "missed: downtime",
            }
        return {
            **row,
            "status": "claimed",
            "attempts": 1,
            "late": late,
            "lease_owner": self.owner,
            "lease_until": self.lease_until(),
            "error": None,
        }

    def _job(self, user_id: int) -> Job:
        if user_id not in self.jobs:
            self.jobs[user_id] = Job(user_id, self.seq)
        return self.jobs[user_id]

    # -- the transaction ----------------------------------------------------------------

    async def claim(self, db: Database) -> tuple[list[Job], int]:
        """Claim up to ``batch_size`` rows. Returns the jobs to send and how many rows changed."""
        limit = self.settings.batch_size
        async with db.begin() as conn:
            touched = await self._reclaim(conn, limit)
            if touched < limit:
                touched += await self._claim_due(conn, limit - touched)
            if touched < limit:
                touched += await self._claim_snoozes(conn, limit - touched)
        for j in self.jobs.values():
            j.items.sort(key=lambda it: KIND_ORDER[it.out.kind])
        return list(self.jobs.values()), touched

    async def _reclaim(self, conn: AsyncConnection, limit: int) -> int:
        d = deliveries
        rows = (
            await conn.execute(
                select(
                    d.c.id,
                    d.c.user_id,
                    d.c.kind,
                    d.c.due_utc,
                    d.c.local_date,
                    d.c.attempts,
                    d.c.payload,
                    subs.c.destination,
                    subs.c.channel_id,
                    subs.c.guild_id,
                    subs.c.dm_channel_id,
                    subs.c.local_time,
                    subs.c.timezone,
                    subs.c.active,
                    subs.c.paused_reason,
                )
                .select_from(d.outerjoin(subs, subs.c.user_id == d.c.user_id))
                .where(d.c.status == "claimed", d.c.lease_until <= self.now)
                .order_by(d.c.lease_until)
                .limit(limit)
                .with_for_update(of=d, skip_locked=True)
            )
        ).all()
        retake: list[dict[str, Any]] = []
        finish: list[dict[str, Any]] = []
        for r in rows:
            late = self.lateness(r.due_utc)
            reason = None
            if r.attempts >= self.settings.max_attempts:
                reason, status = f"gave up after {r.attempts} attempts", "failed"
            elif late is None:
                reason, status = "too late after downtime", "skipped"
            elif not r.active or r.paused_reason is not None:
                reason, status = "reminders stopped or paused", "skipped"
            if reason is not None:
                finish.append({"b_id": r.id, "b_status": status, "b_error": reason})
                continue
            retake.append({"b_id": r.id, "b_late": late})
            out = _outgoing(
                r.user_id, r.kind, r.due_utc, r.local_date, _dest(r), bool(late), r.payload
            )
            self._job(r.user_id).items.append(Item(r.id, out, r.attempts + 1))
        await finish_deliveries(conn, finish)
        for f in finish:
            if f["b_status"] == "failed":
                self.report.failed += 1
            else:
                self.report.skipped += 1
        await update_deliveries(
            conn,
            retake,
            attempts=deliveries.c.attempts + 1,
            late=bindparam("b_late"),
            claimed_at=self.now,
            lease_owner=self.owner,
            lease_until=self.lease_until(),
        )
        self.report.retried += len(retake)
        return len(rows)

    async def _claim_due(self, conn: AsyncConnection, limit: int) -> int:
        now = self.now
        rows = (
            await conn.execute(
                select(*_SUB_COLUMNS)
                .where(subs.c.next_due_utc <= now)
                .order_by(subs.c.next_due_utc)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        new_rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        pending: dict[tuple[int, str], Outgoing] = {}
        for r in rows:
            due: datetime = r.next_due_utc
            try:
                zone = get_zone(r.timezone)
            except Exception:  # a zone that vanished from tzdata: pause rather than loop
                log.warning("user %s has an unknown timezone %r; pausing", r.user_id, r.timezone)
                updates.append(_sub_update(r, None, None, r.next_local_date, paused=True))
                continue
            day: date = r.next_local_date or due.astimezone(zone).date()
            tomorrow = day + timedelta(days=1)
            late = self.lateness(due)
            new_rows.append(self.delivery_row(r.user_id, "reminder", due, day, late))
            if late is None:
                # the next one may itself be overdue but within grace: the next batch of this
                # sweep then sends it (late) rather than skipping it as well
                grace = timedelta(minutes=self.settings.grace_minutes)
                nxt, nxt_day = next_due(r.local_time, zone, now - grace, not_before=tomorrow)
                plan = (r.plan_started_on or day, r.plan_week, r.cadence_target, r.minutes_target)
                updates.append(_sub_update(r, nxt, nxt_day, day, plan=plan))
                continue
            nxt, nxt_day = next_due(r.local_time, zone, now, not_before=tomorrow)
            dest = _dest(r)
            pending[(r.user_id, "reminder")] = _outgoing(
                r.user_id, "reminder", due, day, dest, late
            )
            started = r.plan_started_on or day
            plan = (started, r.plan_week, r.cadence_target, r.minutes_target)
            week = plan_week_of(started, day)
            if week > r.plan_week:
                current = WeeklyTargets(
                    r.plan_week,
                    r.cadence_target,
                    r.minutes_target,
                    r.cadence_target >= self.plan.cadence_goal,
                )
                target, extra = await self._plan_week(conn, r.user_id, day, current, week)
                plan = (started, week, target.cadence, target.minutes)
                if r.nudges:
                    payload = {**extra, "targets": target.as_dict(), "previous": current.as_dict()}
                    new_rows.append(self.delivery_row(r.user_id, "nudge", due, day, late, payload))
                    pending[(r.user_id, "nudge")] = _outgoing(
                        r.user_id, "nudge", due, day, dest, late, payload
                    )
            updates.append(_sub_update(r, nxt, nxt_day, day, plan=plan))
        await self._insert_deliveries(conn, new_rows, pending)
        await update_subscriptions(
            conn,
            updates,
            next_due_utc=bindparam("b_due"),
            next_local_date=bindparam("b_day"),
            last_local_date=bindparam("b_last"),
            plan_started_on=bindparam("b_started"),
            plan_week=bindparam("b_week"),
            cadence_target=bindparam("b_cadence"),
            minutes_target=bindparam("b_minutes"),
            paused_reason=bindparam("b_paused"),
            updated_at=now,
        )
        return len(rows)

    async def _claim_snoozes(self, conn: AsyncConnection, limit: int) -> int:
        rows = (
            await conn.execute(
                select(
                    snoozes.c.user_id.label("snooze_user"),
                    snoozes.c.due_utc.label("snooze_due"),
                    *_SUB_COLUMNS,
                )
                .select_from(snoozes.outerjoin(subs, subs.c.user_id == snoozes.c.user_id))
                .where(snoozes.c.due_utc <= self.now)
                .order_by(snoozes.c.due_utc)
                .limit(limit)
                .with_for_update(of=snoozes, skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        new_rows: list[dict[str, Any]] = []
        pending: dict[tuple[int, str], Outgoing] = {}
        for r in rows:
            if r.user_id is None or not r.active or r.paused_reason is not None:
                continue  # reminders stopped: the snooze is dropped
            due: datetime = r.snooze_due
            day = due.astimezone(get_zone(r.timezone)).date()
            late = self.lateness(due)
            new_rows.append(self.delivery_row(r.snooze_user, "snooze", due, day, late))
            if late is not None:
                pending[(r.snooze_user, "snooze")] = _outgoing(
                    r.snooze_user, "snooze", due, day, _dest(r), late
                )
        await self._insert_deliveries(conn, new_rows, pending)
        await conn.execute(
            delete(snoozes).where(
                and_(
                    snoozes.c.user_id == bindparam("b_uid"),
                    snoozes.c.due_utc == bindparam("b_due"),
                )
            ),
            [{"b_uid": r.snooze_user, "b_due": r.snooze_due} for r in rows],
        )
        return len(rows)

    async def _plan_week(
        self, conn: AsyncConnection, user_id: int, day: date, current: WeeklyTargets, week: int
    ) -> tuple[WeeklyTargets, dict[str, Any]]:
        if self.planner is None:
            return self.plan.advance(current, week), {}
        try:
            target, extra = await self.planner.plan_week(conn, user_id, day, current, week)
            return target, dict(extra)
        except Exception:
            log.exception("week planner failed for user %s; following the plan", user_id)
            return self.plan.advance(current, week), {}

    async def _insert_deliveries(
        self,
        conn: AsyncConnection,
        rows: Sequence[dict[str, Any]],
        pending: Mapping[tuple[int, str], Outgoing],
    ) -> None:
        """Insert delivery rows, skipping keys that exist, and queue the claimed ones that were
        inserted (only those may be sent) from ``pending`` (by user and kind).

        One cached statement, executed for many rows with RETURNING (SQLAlchemy batches it
        into multi-row INSERTs itself): ON CONFLICT DO NOTHING returns only the rows inserted.
        """
        if not rows:
            return
        stmt = (
            dialect_insert(conn, deliveries)
            .on_conflict_do_nothing(index_elements=["user_id", "kind", "due_utc"])
            .returning(
                deliveries.c.id, deliveries.c.user_id, deliveries.c.kind, deliveries.c.status
            )
        )
        for delivery_id, user_id, kind, status in (await conn.execute(stmt, list(rows))).all():
            if status == "skipped":
                self.report.skipped += 1
                continue
            out = pending.get((user_id, kind))
            if out is not None:
                self._job(user_id).items.append(Item(delivery_id, out, 1))
                self.report.claimed += 1


def _sub_update(
    r: Any,
    nxt: datetime | None,
    nxt_day: date | None,
    last: date | None,
    *,
    plan: tuple[date | None, int, int, int] | None = None,
    paused: bool = False,
) -> dict[str, Any]:
    """The bound values of one subscription's update after a claim."""
    started, week, cadence, minutes = plan or (
        r.plan_started_on,
        r.plan_week,
        r.cadence_target,
        r.minutes_target,
    )
    return {
        "b_uid": r.user_id,
        "b_due": nxt,
        "b_day": nxt_day,
        "b_last": last,
        "b_started": started,
        "b_week": week,
        "b_cadence": cadence,
        "b_minutes": minutes,
        "b_paused": "invalid_timezone" if paused else r.paused_reason,
    }
