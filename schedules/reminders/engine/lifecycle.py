"""The engine's life: start and stop, the per-minute tick, the sweep loop and its health fields.

A sweep (:meth:`ReminderEngine.sweep`) claims a batch (:mod:`.claims`), hands the jobs to
``max_in_flight`` senders (:mod:`.send`) whose outcomes one :class:`~.recorder.Recorder` writes,
and claims the next batch while those send, until nothing is left. Engines with reminders to send
heartbeat in the ``sweepers`` table and each takes ``1/N`` of the send rate and burst: Discord's
50 requests/second is per bot. Behind a shared REST proxy (``WALKWELL_RATE_LIMITS=proxy``) the
proxy keeps the limits instead: no heartbeat, no split, and the bucket paces at Discord's global
rate (:meth:`ReminderSettings.pacing`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time as time_module
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select

from schedules.plan.progression import ProgressionPlan
from schedules.reminders.delivery import Sender, TokenBucket
from schedules.reminders.engine.claims import Claimer, WeekPlanner, anything_due
from schedules.reminders.engine.jobs import Clock, Job, SweepReport, utc_now
from schedules.reminders.engine.recorder import Recorder
from schedules.reminders.engine.send import CLAIM_FRESH_SECONDS, ClaimCheck, Sending
from schedules.settings import ReminderSettings
from schedules.store.db import Database, dialect_insert
from schedules.store.schema import sweepers_table

__all__ = ["ReminderEngine"]

log = logging.getLogger(__name__)

#: Seconds past the minute at which the sweep runs (reminders are due on the minute).
TICK_OFFSET_SECONDS = 0.5
#: An engine with reminders to send refreshes its heartbeat (and its share of the send budget)
#: this often.
HEARTBEAT_EVERY = timedelta(seconds=10)
#: An engine not seen for this long no longer counts when the budget is split.
SWEEPER_TTL = timedelta(minutes=3)


class SweepSource(Protocol):
    """A second source of sends in the same minute sweep (the walking club's
    :class:`schedules.club.sweep.ClubSweeper`): claims and sends what it has due at ``now``."""

    async def sweep(self, now: datetime | None = None) -> object: ...


class ReminderEngine:
    """Sweeps due reminders and sends them through a :class:`Sender`. See the package docstring.

    ``settings`` come from the caller (the engine never reads the environment). ``plan``
    defaults to the guide's numbers; ``clock`` to the system clock (UTC); ``bucket`` to one built
    from the settings. ``owner`` names this process in claim leases. ``planner`` (a
    :class:`WeekPlanner`) decides each new week's targets; without one they step up with ``plan``.
    """

    def __init__(
        self,
        db: Database,
        sender: Sender,
        *,
        settings: ReminderSettings,
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
        self.settings = settings
        self.plan = plan or ProgressionPlan()
        self.clock: Clock = clock or utc_now
        self.bucket = bucket or TokenBucket(*self.settings.pacing())
        self.owner = (owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")[:64]
        self._scheduler: Any = None
        self._sweep_lock = asyncio.Lock()
        self._stopping = False
        self._seq = 0
        self._forgotten: dict[int, int] = {}
        #: A job claimed this recently is sent without re-checking its claims (see :mod:`.send`).
        self.claim_fresh_seconds = CLAIM_FRESH_SECONDS
        self.last_report: SweepReport | None = None
        self.last_sweep_at: datetime | None = None
        self._last_beat: datetime | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._again = False
        #: Second sources swept in the same minute, under the same lock (see :meth:`sweep`).
        self.sources: list[SweepSource] = []

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
        claimed for them and not sent yet (called by :class:`ReminderService`). Other processes
        learn it from the database: their senders re-check each job's claims before sending
        (:class:`~.send.ClaimCheck`), and the recorder never moves a row that is no longer
        ``claimed``."""
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
            # -- second sources (the walking club): few sends, so first; a failure there never
            #    stops the reminders. --
            for source in self.sources:
                try:
                    await source.sweep(now)
                except Exception:
                    log.exception("sweep of %s failed; the next one retries", source)
            queue: asyncio.Queue[Job | None] = asyncio.Queue(maxsize=self.settings.batch_size)
            workers: list[asyncio.Task[None]] = []
            recorder: Recorder | None = None
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
                        recorder = Recorder(self.db)
                        recorder.start()
                        sending = self._sending(recorder, report, now)
                        workers = [
                            asyncio.create_task(sending.worker(queue))
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
                    # a failed write is retried until it lands (or the engine stops): ending the
                    # sweep earlier would let the next one retake and resend those claims
                    await recorder.settle(lambda: self._stopping)
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

    async def _claim(self, now: datetime, report: SweepReport) -> tuple[list[Job], int]:
        """One claim transaction. Returns the jobs to send and how many rows it changed."""
        if not await anything_due(self.db, now):
            return [], 0
        self._seq += 1
        claimer = Claimer(
            self.settings, self.plan, self.planner, self.owner, self._seq, now, report
        )
        return await claimer.claim(self.db)

    def _sending(self, recorder: Recorder, report: SweepReport, now: datetime | None) -> Sending:
        return Sending(
            self.sender,
            self.bucket,
            recorder,
            report,
            max_attempts=self.settings.max_attempts,
            clock=self.clock,
            fixed_now=now,
            stopping=lambda: self._stopping,
            cancelled=self._cancelled,
            check=ClaimCheck(
                self.db,
                self.owner,
                lambda: now or self.clock(),
                fresh_seconds=self.claim_fresh_seconds,
            ),
        )

    def _cancelled(self, job: Job) -> bool:
        return self._forgotten.get(job.user_id, -1) >= job.seq
