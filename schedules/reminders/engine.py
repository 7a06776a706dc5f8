"""The reminder engine: one sweep a minute over the subscriptions table, exactly-once delivery.

Usage (in the bot's ``setup_hook`` or a cog's ``cog_load``; needs a running event loop)::

    db = await Database.open()                       # migrated
    engine = ReminderEngine(db, sender)              # sender implements delivery.Sender
    await engine.start()                             # sweeps now, then every minute
    ...
    await engine.stop()                              # nothing is sent after this returns

How a sweep works (:meth:`ReminderEngine.sweep`):

1. **Claim**, in one short transaction per batch: expired claims (a process died between claiming
   and recording) are taken again; subscriptions with ``next_due_utc <= now`` (indexed) and due
   snoozes are claimed by inserting into the delivery log, whose UNIQUE ``(user_id, kind,
   due_utc)`` key makes each reminder claimable once. On PostgreSQL the rows are selected
   ``FOR UPDATE SKIP LOCKED``, so any number of processes can sweep at once. The same transaction
   advances ``next_due_utc`` to the next local day (see :func:`schedules.reminders.timecalc.next_due`).
2. **Downtime**: a reminder overdue by more than the grace window is recorded ``skipped`` and
   rescheduled (never a burst of stale reminders); one overdue by less is sent with ``late=True``
   when it is at least ``late_after_minutes`` overdue.
3. **Weekly nudge**: when a claimed reminder's local day starts a new plan week (every 7th day
   from the first reminder), the week's targets advance (:class:`ProgressionPlan`) and, if the user
   has nudges on, a ``nudge`` is claimed with the same due instant and sent right after.
4. **Deliver**: up to ``max_in_flight`` concurrent sends through the :class:`Sender`, all paced by
   one :class:`TokenBucket`; outcomes (see :mod:`schedules.reminders.delivery`) are written by one
   recorder in small batches (every 50 ms). Claims are made a batch at a time while sending, so
   a claim never waits long for its send.
5. **Several processes**: Discord's 50 requests/second is per bot, so engines that are sending
   heartbeat in the ``sweepers`` table and each takes ``1/N`` of the rate and burst. Behind a
   shared REST proxy (``WALKWELL_RATE_LIMITS=proxy``) the proxy keeps the limits instead: no
   heartbeat, no split, and the bucket paces at Discord's global rate
   (:meth:`ReminderSettings.pacing`).

The scheduler job only starts a sweep task; a tick that arrives while a long sweep is still
sending makes it go round once more, so a minute is never dropped.

The clock is injectable (``clock=``), and ``sweep(now)`` takes the instant explicitly in tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time as time_module
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from schedules.plan.progression import ProgressionPlan, WeeklyTargets
from schedules.plan.weeks import plan_week as plan_week_of
from schedules.reminders.delivery import (
    Kind,
    Outgoing,
    Sender,
    SendOutcome,
    TokenBucket,
    Where,
    focus_topic,
    make_nonce,
)
from schedules.reminders.timecalc import get_zone, next_due
from schedules.settings import ReminderSettings
from schedules.store.db import Database, dialect_insert
from schedules.store.schema import (
    deliveries_table,
    snoozes_table,
    subscriptions_table,
    sweepers_table,
)

__all__ = ["Clock", "ReminderEngine", "SweepReport", "WeekPlanner", "utc_now"]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

subs = subscriptions_table
deliveries = deliveries_table
snoozes = snoozes_table

#: Seconds past the minute at which the sweep runs (reminders are due on the minute).
TICK_OFFSET_SECONDS = 0.5
#: Shortest wait before a rate-limited send is tried again.
MIN_RETRY_SECONDS = 1.0
#: An engine with reminders to send refreshes its heartbeat (and its share of the send budget)
#: this often.
HEARTBEAT_EVERY = timedelta(seconds=10)
#: An engine not seen for this long no longer counts when the budget is split.
SWEEPER_TTL = timedelta(minutes=3)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SweepReport:
    """What one sweep did (counts of deliveries)."""

    claimed: int = 0  # new claims: reminders, nudges, snoozes
    retried: int = 0  # expired claims taken again
    sent: int = 0
    late: int = 0  # of sent, marked late
    skipped: int = 0  # too old after downtime, or the user stopped / was paused meanwhile
    failed: int = 0  # gave up
    paused: int = 0  # subscriptions paused (blocked DMs, channel gone)
    deferred: int = 0  # rate limited or transient error: retried later

    def add(self, other: SweepReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Item:
    delivery_id: int
    out: Outgoing
    attempts: int


@dataclass
class _Job:
    """The claimed items of one user, sent in order (reminder, then nudge)."""

    user_id: int
    seq: int
    items: list[_Item] = field(default_factory=list)


@dataclass(frozen=True)
class _Dest:
    where: Where
    channel_id: int | None
    guild_id: int | None
    dm_channel_id: int | None
    local_time: time
    timezone: str


def _dest(row: Any) -> _Dest:
    return _Dest(
        where=cast(Where, row.destination),
        channel_id=row.channel_id,
        guild_id=row.guild_id,
        dm_channel_id=row.dm_channel_id,
        local_time=row.local_time,
        timezone=row.timezone,
    )


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
    if payload:
        if payload.get("targets"):
            targets = WeeklyTargets.from_dict(payload["targets"])
        if payload.get("previous"):
            previous = WeeklyTargets.from_dict(payload["previous"])
    details = None
    if payload:
        details = {k: v for k, v in payload.items() if k not in ("targets", "previous")} or None
    return Outgoing(
        details=details,
        user_id=user_id,
        kind=kind,
        where=dest.where,
        channel_id=dest.channel_id,
        guild_id=dest.guild_id,
        dm_channel_id=dest.dm_channel_id,
        due_utc=due,
        local_date=local_date,
        local_time=dest.local_time,
        timezone=dest.timezone,
        late=late,
        nonce=make_nonce(user_id, kind, due),
        topic=focus_topic(user_id, local_date),
        targets=targets,
        previous=previous,
    )


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
    decision and its reasons). Issue 5 plugs the walk log in here (hold the step when pain rose).
    """

    async def plan_week(
        self,
        conn: AsyncConnection,
        user_id: int,
        today: date,
        current: WeeklyTargets,
        week: int,
    ) -> tuple[WeeklyTargets, Mapping[str, Any]]: ...


class ReminderEngine:
    """Sweeps due reminders and sends them through a :class:`Sender`. See the module docstring.

    ``settings`` default to :class:`ReminderSettings` from the environment; ``plan`` to the guide's
    numbers; ``clock`` to the system clock (UTC); ``bucket`` to one built from the settings.
    ``owner`` names this process in claim leases. ``planner`` (a :class:`WeekPlanner`) decides
    each new week's targets; without one they step up with ``plan``.
    """

    def __init__(
        self,
        db: Database,
        sender: Sender,
        *,
        settings: ReminderSettings | None = None,
        plan: ProgressionPlan | None = None,
        clock: Clock | None = None,
        bucket: TokenBucket | None = None,
        owner: str | None = None,
        planner: WeekPlanner | None = None,
        on_sweep: Callable[[SweepReport, float], None] | None = None,
    ) -> None:
        self.db = db
        #: Called after every sweep with its report and duration in seconds (metrics, health).
        self.on_sweep = on_sweep
        #: When the running sweep started (None between sweeps): a long fan-out is busy, not stuck.
        self.sweeping_since: datetime | None = None
        self.planner = planner
        self.sender = sender
        self.settings = settings or ReminderSettings()
        self.plan = plan or ProgressionPlan()
        self.clock: Clock = clock or utc_now
        self.bucket = bucket or TokenBucket(*self.settings.pacing())
        self.owner = (owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")[:64]
        self._scheduler: Any = None
        self._sweep_lock = asyncio.Lock()
        self._stopping = False
        self._seq = 0
        self._forgotten: dict[int, int] = {}
        self.last_report: SweepReport | None = None
        self.last_sweep_at: datetime | None = None
        self._last_beat: datetime | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._again = False

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._scheduler is not None and not self._stopping

    async def start(self, *, sweep_now: bool = True) -> None:
        """Start the per-minute sweep (APScheduler ``AsyncIOScheduler``, one interval job).

        The job fires at second 0.5 of every minute (reminders are due on the minute), is
        coalesced, has one instance at a time and tolerates a late wake-up
        (``misfire_grace_time``). It only starts a sweep task and returns: a tick that comes while
        a long sweep is still sending (a big fan-out) makes that sweep go round once more instead
        of being dropped, so no reminder waits for the next minute. With ``sweep_now`` the first
        sweep (the catch-up after downtime) starts at once, in the background.
        """
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        if self._scheduler is not None:
            return
        self._stopping = False
        wall = datetime.now(UTC)  # APScheduler runs on real time, whatever our clock says
        first = wall.replace(second=0, microsecond=0) + timedelta(
            minutes=1, seconds=TICK_OFFSET_SECONDS
        )
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._tick,
            IntervalTrigger(minutes=1, start_date=first, timezone=UTC),
            id="walkwell-reminder-sweep",
            name="reminder sweep",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
            replace_existing=True,
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("reminder engine started (owner %s)", self.owner)
        if sweep_now:
            await self._tick()

    async def stop(self) -> None:
        """Stop sweeping. Sends in flight finish; claimed but unsent ones are released for the
        next process. Nothing is sent after this returns."""
        self._stopping = True
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        if self._sweeper is not None:
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        async with self._sweep_lock:  # waits for a sweep started by hand to wind down
            pass
        try:
            async with self.db.begin() as conn:
                await conn.execute(
                    delete(sweepers_table).where(sweepers_table.c.owner == self.owner)
                )
        except Exception:  # the heartbeat simply expires
            log.warning("could not remove the sweeper heartbeat of %s", self.owner)
        self._last_beat = None
        log.info("reminder engine stopped")

    def forget_user(self, user_id: int) -> None:
        """The user stopped reminders or deleted their data: drop whatever this process has
        claimed for them and not sent yet (called by :class:`ReminderService`)."""
        self._forgotten[user_id] = self._seq

    async def _tick(self) -> None:
        """The scheduler's job: start a sweep, or ask the running one to go round again."""
        if self._stopping:
            return
        if self._sweeper is not None and not self._sweeper.done():
            self._again = True
            return
        self._sweeper = asyncio.create_task(self._sweep_loop())

    async def _sweep_loop(self) -> None:
        while not self._stopping:
            self._again = False
            try:
                await self.sweep()
            except Exception:
                log.exception("reminder sweep failed; the next one retries")
            if not self._again:
                return

    # -- the sweep ---------------------------------------------------------------------------

    async def sweep(self, now: datetime | None = None) -> SweepReport:
        """Claim everything due at ``now`` (default: the clock, read per batch) and send it.

        Returns when every claimed delivery has an outcome recorded. Safe to run in several
        processes at once on PostgreSQL.
        """
        report = SweepReport()
        if self._stopping:
            return report
        if now is not None and now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        async with self._sweep_lock:
            started = time_module.perf_counter()
            self.sweeping_since = self.clock()
            queue: asyncio.Queue[_Job | None] = asyncio.Queue(maxsize=self.settings.batch_size)
            workers: list[asyncio.Task[None]] = []
            recorder: _Recorder | None = None
            try:
                while not self._stopping:
                    moment = now or self.clock()
                    jobs, touched = await self._claim(moment, report)
                    # only engines with something to send share the budget; idle sweeps stay
                    # one cheap read
                    if (
                        jobs
                        and self.settings.shares_budget
                        and (
                            self._last_beat is None
                            or abs(moment - self._last_beat) >= HEARTBEAT_EVERY
                        )
                    ):
                        try:
                            await self._heartbeat(moment)
                        except Exception:  # keep sending at the current share
                            log.exception("sweeper heartbeat failed")
                            self._last_beat = moment
                    if jobs and not workers:  # started on first need: idle sweeps stay cheap
                        recorder = _Recorder(self.db)
                        recorder.start()
                        workers = [
                            asyncio.create_task(self._worker(queue, report, now, recorder))
                            for _ in range(self.settings.max_in_flight)
                        ]
                    for job in jobs:
                        await queue.put(job)
                    if touched == 0:
                        break
            finally:
                for _ in workers:
                    await queue.put(None)
                await asyncio.gather(*workers)
                if recorder is not None:
                    await recorder.close()
                self._forgotten.clear()
                self.sweeping_since = None
            self.last_report = report
            self.last_sweep_at = now or self.clock()
        if self.on_sweep is not None:
            try:
                self.on_sweep(report, time_module.perf_counter() - started)
            except Exception:  # a metrics or health hook must never stop the sweeps
                log.exception("on_sweep hook failed")
        if report.claimed or report.retried or report.skipped:
            log.info("reminder sweep: %s", report)
        return report

    async def _heartbeat(self, now: datetime) -> int:
        """Record that this engine is sweeping, and take its share of the send budget: Discord's
        global limit is per bot, so N processes sweeping at once each send at rate / N."""
        s = sweepers_table
        async with self.db.begin() as conn:
            await conn.execute(
                dialect_insert(conn, s)
                .values(owner=self.owner, seen_at=now)
                .on_conflict_do_update(index_elements=["owner"], set_={"seen_at": now})
            )
            live = (
                await conn.execute(
                    select(func.count()).select_from(s).where(s.c.seen_at >= now - SWEEPER_TTL)
                )
            ).scalar_one()
            await conn.execute(delete(s).where(s.c.seen_at < now - timedelta(days=1)))
        self._last_beat = now
        sharers = max(1, int(live))
        if sharers != self.bucket.share:
            log.info("%d engines are sweeping: sending at 1/%d of the budget", sharers, sharers)
        self.bucket.set_share(sharers)
        return sharers

    async def _anything_due(self, now: datetime) -> bool:
        """One cheap read: is any reminder, snooze or expired claim due? (Most minutes: no.)"""
        query = select(
            or_(
                exists().where(subs.c.next_due_utc <= now),
                exists().where(deliveries.c.status == "claimed", deliveries.c.lease_until <= now),
                exists().where(snoozes.c.due_utc <= now),
            )
        )
        async with self.db.read() as conn:
            return bool((await conn.execute(query)).scalar())

    async def _claim(self, now: datetime, report: SweepReport) -> tuple[list[_Job], int]:
        """One claim transaction. Returns the jobs to send and how many rows it changed."""
        if not await self._anything_due(now):
            return [], 0
        limit = self.settings.batch_size
        self._seq += 1
        jobs: dict[int, _Job] = {}

        def job(user_id: int) -> _Job:
            if user_id not in jobs:
                jobs[user_id] = _Job(user_id, self._seq)
            return jobs[user_id]

        async with self.db.begin() as conn:
            touched = await self._reclaim(conn, now, limit, job, report)
            if touched < limit:
                touched += await self._claim_due(conn, now, limit - touched, job, report)
            if touched < limit:
                touched += await self._claim_snoozes(conn, now, limit - touched, job, report)
        order = {"reminder": 0, "nudge": 1, "snooze": 2}
        for j in jobs.values():
            j.items.sort(key=lambda it: order[it.out.kind])
        return list(jobs.values()), touched

    async def _reclaim(
        self,
        conn: AsyncConnection,
        now: datetime,
        limit: int,
        job: Callable[[int], _Job],
        report: SweepReport,
    ) -> int:
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
                .where(d.c.status == "claimed", d.c.lease_until <= now)
                .order_by(d.c.lease_until)
                .limit(limit)
                .with_for_update(of=d, skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        grace = timedelta(minutes=self.settings.grace_minutes)
        late_after = timedelta(minutes=self.settings.late_after_minutes)
        retake: list[dict[str, Any]] = []
        finish: list[dict[str, Any]] = []
        for r in rows:
            reason = None
            if r.attempts >= self.settings.max_attempts:
                reason, status = f"gave up after {r.attempts} attempts", "failed"
            elif now - r.due_utc > grace:
                reason, status = "too late after downtime", "skipped"
            elif not r.active or r.paused_reason is not None:
                reason, status = "reminders stopped or paused", "skipped"
            if reason is not None:
                finish.append({"b_id": r.id, "b_status": status, "b_error": reason})
                continue
            late = now - r.due_utc >= late_after
            retake.append({"b_id": r.id, "b_late": late})
            out = _outgoing(r.user_id, r.kind, r.due_utc, r.local_date, _dest(r), late, r.payload)
            job(r.user_id).items.append(_Item(r.id, out, r.attempts + 1))
        if finish:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == bindparam("b_id"))
                .values(
                    status=bindparam("b_status"),
                    error=bindparam("b_error"),
                    lease_owner=None,
                    lease_until=None,
                ),
                finish,
            )
            for f in finish:
                if f["b_status"] == "failed":
                    report.failed += 1
                else:
                    report.skipped += 1
        if retake:
            await conn.execute(
                update(deliveries)
                .where(deliveries.c.id == bindparam("b_id"))
                .values(
                    attempts=deliveries.c.attempts + 1,
                    late=bindparam("b_late"),
                    claimed_at=now,
                    lease_owner=self.owner,
                    lease_until=now + timedelta(seconds=self.settings.lease_seconds),
                ),
                retake,
            )
            report.retried += len(retake)
        return len(rows)

    async def _claim_due(
        self,
        conn: AsyncConnection,
        now: datetime,
        limit: int,
        job: Callable[[int], _Job],
        report: SweepReport,
    ) -> int:
        rows = (
            await conn.execute(
                select(*_SUB_COLUMNS)
                .where(subs.c.next_due_utc <= now)
                .order_by(subs.c.next_due_utc)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        grace = timedelta(minutes=self.settings.grace_minutes)
        late_after = timedelta(minutes=self.settings.late_after_minutes)
        lease_until = now + timedelta(seconds=self.settings.lease_seconds)
        new_rows: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        pending: dict[tuple[int, str], Outgoing] = {}
        for r in rows:
            due: datetime = r.next_due_utc
            try:
                zone = get_zone(r.timezone)
            except Exception:  # a zone that vanished from tzdata: pause rather than loop
                log.warning("user %s has an unknown timezone %r; pausing", r.user_id, r.timezone)
                updates.append(self._sub_update(r, None, None, r.next_local_date, paused=True))
                continue
            day: date = r.next_local_date or due.astimezone(zone).date()
            nxt, nxt_day = next_due(r.local_time, zone, now, not_before=day + timedelta(days=1))
            lateness = now - due
            base = {
                "user_id": r.user_id,
                "due_utc": due,
                "local_date": day,
                "claimed_at": now,
                "attempts": 0,
                "late": False,
                "lease_owner": None,
                "lease_until": None,
                "error": None,
                "payload": None,
            }
            plan = (r.plan_started_on or day, r.plan_week, r.cadence_target, r.minutes_target)
            if lateness > grace:
                new_rows.append(
                    {**base, "kind": "reminder", "status": "skipped", "error": "missed: downtime"}
                )
                # the next one may itself be overdue but within grace: the next batch of this
                # sweep then sends it (late) rather than skipping it as well
                nxt, nxt_day = next_due(
                    r.local_time, zone, now - grace, not_before=day + timedelta(days=1)
                )
                updates.append(self._sub_update(r, nxt, nxt_day, day, plan=plan))
                continue
            late = lateness >= late_after
            claim = {
                **base,
                "status": "claimed",
                "attempts": 1,
                "late": late,
                "lease_owner": self.owner,
                "lease_until": lease_until,
            }
            dest = _dest(r)
            new_rows.append({**claim, "kind": "reminder"})
            pending[(r.user_id, "reminder")] = _outgoing(
                r.user_id, "reminder", due, day, dest, late
            )
            started = r.plan_started_on or day
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
                    payload = {
                        **extra,
                        "targets": target.as_dict(),
                        "previous": current.as_dict(),
                    }
                    new_rows.append({**claim, "kind": "nudge", "payload": payload})
                    pending[(r.user_id, "nudge")] = _outgoing(
                        r.user_id, "nudge", due, day, dest, late, payload
                    )
            else:
                plan = (started, r.plan_week, r.cadence_target, r.minutes_target)
            updates.append(self._sub_update(r, nxt, nxt_day, day, plan=plan))

        for kind_user, status in await self._insert_deliveries(conn, new_rows):
            if status == "skipped":
                report.skipped += 1
                continue
            user_id, kind, delivery_id = kind_user
            out = pending.get((user_id, kind))
            if out is not None:
                job(user_id).items.append(_Item(delivery_id, out, 1))
                report.claimed += 1
        if updates:
            await conn.execute(
                update(subs)
                .where(subs.c.user_id == bindparam("b_uid"))
                .values(
                    next_due_utc=bindparam("b_due"),
                    next_local_date=bindparam("b_day"),
                    last_local_date=bindparam("b_last"),
                    plan_started_on=bindparam("b_started"),
                    plan_week=bindparam("b_week"),
                    cadence_target=bindparam("b_cadence"),
                    minutes_target=bindparam("b_minutes"),
                    paused_reason=bindparam("b_paused"),
                    updated_at=now,
                ),
                updates,
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

    @staticmethod
    def _sub_update(
        r: Any,
        nxt: datetime | None,
        nxt_day: date | None,
        last: date | None,
        *,
        plan: tuple[date | None, int, int, int] | None = None,
        paused: bool = False,
    ) -> dict[str, Any]:
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

    async def _insert_deliveries(
        self, conn: AsyncConnection, rows: Sequence[dict[str, Any]]
    ) -> list[tuple[tuple[int, str, int], str]]:
        """Insert delivery rows, skipping keys that exist. Returns ((user, kind, id), status)
        for the rows actually inserted (only those may be sent).

        One cached statement, executed for many rows with RETURNING (SQLAlchemy batches it
        into multi-row INSERTs itself): ON CONFLICT DO NOTHING returns only the rows inserted.
        """
        if not rows:
            return []
        stmt = (
            dialect_insert(conn, deliveries)
            .on_conflict_do_nothing(index_elements=["user_id", "kind", "due_utc"])
            .returning(
                deliveries.c.id, deliveries.c.user_id, deliveries.c.kind, deliveries.c.status
            )
        )
        result = await conn.execute(stmt, list(rows))
        return [((uid, kind, rid), status) for rid, uid, kind, status in result.all()]

    async def _claim_snoozes(
        self,
        conn: AsyncConnection,
        now: datetime,
        limit: int,
        job: Callable[[int], _Job],
        report: SweepReport,
    ) -> int:
        rows = (
            await conn.execute(
                select(
                    snoozes.c.user_id.label("snooze_user"),
                    snoozes.c.due_utc.label("snooze_due"),
                    *_SUB_COLUMNS,
                )
                .select_from(snoozes.outerjoin(subs, subs.c.user_id == snoozes.c.user_id))
                .where(snoozes.c.due_utc <= now)
                .order_by(snoozes.c.due_utc)
                .limit(limit)
                .with_for_update(of=snoozes, skip_locked=True)
            )
        ).all()
        if not rows:
            return 0
        grace = timedelta(minutes=self.settings.grace_minutes)
        late_after = timedelta(minutes=self.settings.late_after_minutes)
        new_rows: list[dict[str, Any]] = []
        pending: dict[int, Outgoing] = {}
        for r in rows:
            if r.user_id is None or not r.active or r.paused_reason is not None:
                continue  # reminders stopped: the snooze is dropped
            due: datetime = r.snooze_due
            day = due.astimezone(get_zone(r.timezone)).date()
            lateness = now - due
            late = lateness >= late_after
            row = {
                "user_id": r.snooze_user,
                "kind": "snooze",
                "due_utc": due,
                "local_date": day,
                "claimed_at": now,
                "payload": None,
            }
            if lateness > grace:
                new_rows.append(
                    {
                        **row,
                        "status": "skipped",
                        "attempts": 0,
                        "late": False,
                        "lease_owner": None,
                        "lease_until": None,
                        "error": "missed: downtime",
                    }
                )
                continue
            new_rows.append(
                {
                    **row,
                    "status": "claimed",
                    "attempts": 1,
                    "late": late,
                    "lease_owner": self.owner,
                    "lease_until": now + timedelta(seconds=self.settings.lease_seconds),
                    "error": None,
                }
            )
            pending[r.snooze_user] = _outgoing(r.snooze_user, "snooze", due, day, _dest(r), late)
        for (user_id, _kind, delivery_id), status in await self._insert_deliveries(conn, new_rows):
            if status == "skipped":
                report.skipped += 1
            elif user_id in pending:
                job(user_id).items.append(_Item(delivery_id, pending[user_id], 1))
                report.claimed += 1
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

    # -- delivery -----------------------------------------------------------------------------

    async def _worker(
        self,
        queue: asyncio.Queue[_Job | None],
        report: SweepReport,
        now: datetime | None,
        recorder: _Recorder,
    ) -> None:
        while True:
            job = await queue.get()
            if job is None:
                return
            try:
                await self._deliver(job, report, now, recorder)
            except Exception:
                log.exception(
                    "delivering to user %s failed; its claims retry after the lease", job.user_id
                )

    def _cancelled(self, job: _Job) -> bool:
        return self._forgotten.get(job.user_id, -1) >= job.seq

    async def _send(self, item: Outgoing) -> SendOutcome:
        await self.bucket.acquire()
        try:
            return await self.sender.send(item)
        except Exception as exc:  # the Sender should not raise; treat it as transient
            log.exception("sender raised for user %s", item.user_id)
            return SendOutcome.error(f"{type(exc).__name__}: {exc}")

    async def _deliver(
        self, job: _Job, report: SweepReport, fixed_now: datetime | None, recorder: _Recorder
    ) -> None:
        """Send one user's items in order and hand each outcome to the recorder."""
        items = list(job.items)
        while items:
            item = items.pop(0)
            if self._stopping:
                recorder.defer([item, *items], fixed_now or self.clock(), 0.0, "released at stop")
                return
            if self._cancelled(job):
                recorder.finish([item, *items], "skipped", "reminders stopped")
                report.skipped += 1 + len(items)
                return
            outcome = await self._send(item.out)
            now = fixed_now or self.clock()
            if outcome.status == "ok":
                recorder.sent(item, outcome, now)
                report.sent += 1
                report.late += int(item.out.late)
                continue
            if outcome.status == "blocked_dm":
                recorder.finish([item], "failed", outcome.detail or "dms_blocked")
                recorder.pause(job.user_id, "dms_blocked", now)
                report.failed += 1
                report.paused += 1
                recorder.finish(items, "skipped", "paused: dms_blocked")
                report.skipped += len(items)
                return
            if outcome.status == "channel_unavailable" and item.out.where == "channel":
                fallback = replace(
                    item.out,
                    where="dm",
                    fallback=True,
                    nonce=make_nonce(job.user_id, item.out.kind, item.out.due_utc, fallback=True),
                )
                second = await self._send(fallback)
                now = fixed_now or self.clock()
                if second.status == "ok":
                    recorder.sent(item, second, now, note="dm fallback: channel unavailable")
                    report.sent += 1
                else:
                    recorder.finish([item], "failed", second.detail or second.status)
                    report.failed += 1
                recorder.pause(job.user_id, "channel_unavailable", now)
                report.paused += 1
                recorder.finish(items, "skipped", "paused: channel_unavailable")
                report.skipped += len(items)
                return
            # rate limited, a transient error, or an unexpected status: try again later
            detail = outcome.detail or outcome.status
            if outcome.status == "channel_unavailable":  # a DM channel: forget the cached id
                recorder.forget_dm(job.user_id)
            if outcome.status == "rate_limited":
                if outcome.is_global:
                    self.bucket.pause(outcome.retry_after)
                delay = max(outcome.retry_after, MIN_RETRY_SECONDS)
                recorder.defer([item, *items], now, delay, detail)
                report.deferred += 1 + len(items)
                return
            delay = 30.0 * item.attempts
            if item.attempts >= self.settings.max_attempts:
                recorder.finish([item], "failed", detail)
                report.failed += 1
            else:
                recorder.defer([item], now, delay, detail, count_attempt=True)
                report.deferred += 1
            recorder.defer(items, now, delay, detail)
            report.deferred += len(items)
            return


class _Recorder:
    """The single writer of delivery outcomes during a sweep.

    Workers hand it outcomes without waiting; it writes them in batches (every ``max_delay``
    seconds or ``max_batch`` outcomes), each batch in one transaction. One commit per send would
    make every worker queue on SQLite's single write lock and cost a round trip per reminder.
    If the process dies before a batch is written, those deliveries are still ``claimed``: they
    are retried after their lease with the same nonce, which Discord deduplicates.
    """

    def __init__(self, db: Database, *, max_batch: int = 100, max_delay: float = 0.05) -> None:
        self.db = db
        self.max_batch = max_batch
        self.max_delay = max_delay
        self._sent: list[dict[str, Any]] = []
        self._finish: list[dict[str, Any]] = []
        self._defer: list[dict[str, Any]] = []
        self._defer_counted: list[dict[str, Any]] = []
        self._dm: dict[int, int | None] = {}
        self._pause: dict[int, tuple[str, datetime]] = {}
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def _size(self) -> int:
        return len(self._sent) + len(self._finish) + len(self._defer) + len(self._defer_counted)

    def _added(self) -> None:
        self._wake.set()
        if self._size() >= self.max_batch:
            self._urgent.set()

    def sent(
        self, item: _Item, outcome: SendOutcome, now: datetime, note: str | None = None
    ) -> None:
        self._sent.append(
            {
                "b_id": item.delivery_id,
                "b_at": now,
                "b_msg": outcome.message_id,
                "b_attempts": item.attempts,
                "b_error": note,
            }
        )
        if outcome.dm_channel_id and outcome.dm_channel_id != item.out.dm_channel_id:
            self._dm[item.out.user_id] = outcome.dm_channel_id
        self._added()

    def finish(self, items: Sequence[_Item], status: str, error: str) -> None:
        for it in items:
            self._finish.append(
                {"b_id": it.delivery_id, "b_status": status, "b_error": error[:200]}
            )
        if items:
            self._added()

    def defer(
        self,
        items: Sequence[_Item],
        now: datetime,
        delay: float,
        error: str,
        *,
        count_attempt: bool = False,
    ) -> None:
        """Leave the items claimed with a lease ending after ``delay``: a later sweep (of any
        process) retakes them. Only a transient error uses up an attempt."""
        until = now + timedelta(seconds=delay)
        target = self._defer_counted if count_attempt else self._defer
        for it in items:
            target.append({"b_id": it.delivery_id, "b_until": until, "b_error": error[:200]})
        if items:
            self._added()

    def forget_dm(self, user_id: int) -> None:
        self._dm[user_id] = None
        self._added()

    def pause(self, user_id: int, reason: str, now: datetime) -> None:
        log.info("pausing reminders for user %s: %s", user_id, reason)
        self._pause[user_id] = (reason, now)
        self._added()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            if not self._closed:
                with contextlib.suppress(TimeoutError):  # let a batch gather, unless urgent
                    await asyncio.wait_for(self._urgent.wait(), self.max_delay)
            self._wake.clear()
            if not self._closed:
                self._urgent.clear()
            await self._flush()
            if self._closed:
                await self._flush()
                return

    async def close(self) -> None:
        """Write everything still pending, now."""
        self._closed = True
        self._urgent.set()
        self._wake.set()
        if self._task is not None:
            await self._task

    async def _flush(self) -> None:
        sent, self._sent = self._sent, []
        finish, self._finish = self._finish, []
        defer, self._defer = self._defer, []
        counted, self._defer_counted = self._defer_counted, []
        dm, self._dm = self._dm, {}
        pauses, self._pause = self._pause, {}
        if not (sent or finish or defer or counted or dm or pauses):
            return
        d = deliveries
        try:
            async with self.db.begin() as conn:
                if sent:
                    await conn.execute(
                        update(d)
                        .where(d.c.id == bindparam("b_id"))
                        .values(
                            status="sent",
                            sent_at=bindparam("b_at"),
                            message_id=bindparam("b_msg"),
                            attempts=bindparam("b_attempts"),
                            error=bindparam("b_error"),
                            lease_owner=None,
                            lease_until=None,
                        ),
                        sent,
                    )
                if finish:
                    await conn.execute(
                        update(d)
                        .where(d.c.id == bindparam("b_id"))
                        .values(
                            status=bindparam("b_status"),
                            error=bindparam("b_error"),
                            lease_owner=None,
                            lease_until=None,
                        ),
                        finish,
                    )
                for rows, spent in ((defer, False), (counted, True)):
                    if rows:
                        values: dict[str, Any] = {
                            "lease_owner": None,
                            "lease_until": bindparam("b_until"),
                            "error": bindparam("b_error"),
                        }
                        if not spent:  # the retake adds one back
                            values["attempts"] = d.c.attempts - 1
                        await conn.execute(
                            update(d).where(d.c.id == bindparam("b_id")).values(**values), rows
                        )
                if dm:
                    await conn.execute(
                        update(subs)
                        .where(subs.c.user_id == bindparam("b_uid"))
                        .values(dm_channel_id=bindparam("b_dm")),
                        [{"b_uid": u, "b_dm": c} for u, c in dm.items()],
                    )
                if pauses:
                    await conn.execute(
                        update(subs)
                        .where(subs.c.user_id == bindparam("b_uid"))
                        .values(
                            paused_reason=bindparam("b_reason"),
                            pause_notice=True,
                            next_due_utc=None,
                            updated_at=bindparam("b_at"),
                        ),
                        [{"b_uid": u, "b_reason": r, "b_at": t} for u, (r, t) in pauses.items()],
                    )
                    await conn.execute(
                        delete(snoozes).where(snoozes.c.user_id == bindparam("b_uid")),
                        [{"b_uid": u} for u in pauses],
                    )
        except Exception:
            log.exception(
                "recording %d delivery outcomes failed; those claims are retried after the lease",
                len(sent) + len(finish) + len(defer) + len(counted),
            )
