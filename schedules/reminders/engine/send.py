"""The send policy of a sweep: how claimed jobs are sent and what each outcome means.

``max_in_flight`` workers take one user's job at a time and send its items in order; every send
waits for the shared :class:`~schedules.reminders.delivery.TokenBucket` (pacing). Outcomes (see
:mod:`schedules.reminders.delivery`) map to the recorder:

- ``ok``: sent. ``blocked_dm``: failed, the subscription is paused, the rest is skipped.
- ``channel_unavailable`` in a channel: one DM fallback, then the subscription is paused.
- ``rate_limited``: retried after ``retry_after`` (a global limit also pauses the whole bucket,
  so every worker of this process waits), no attempt used up. Anything else is transient:
  retried after ``30 s x attempts`` until ``max_attempts``, then failed.

Claims in flight and erases: before a job is sent, :class:`ClaimCheck` confirms that its
deliveries are still this process's claims - ``claimed``, leased by this owner, the same attempt,
lease not expired. A job claimed less than :data:`CLAIM_FRESH_SECONDS` ago is sent without the
check (it was claimed in this process's own transaction a moment ago; a catch-up after downtime
sends thousands a second and would otherwise wait on a query per round). Workers that ask at the
same time share one query (``SELECT id, attempts FROM deliveries WHERE id IN (...)``), so a paced
fan-out costs about one query per ``max_in_flight`` jobs. An erase (``/privacy delete``) deletes the rows and a stop marks them
``skipped``, in any process: a claim checked afterwards is dropped, not sent. While the database
does not answer, the check retries with back-off and nothing is sent; a claim whose lease ran out
meanwhile is left to the sweep that retakes it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from schedules.reminders.delivery import Outgoing, Sender, SendOutcome, TokenBucket, make_nonce
from schedules.reminders.engine.jobs import Clock, Item, Job, SweepReport
from schedules.reminders.engine.recorder import Recorder
from schedules.store.db import Database
from schedules.store.schema import deliveries_table

__all__ = [
    "CHECK_RETRY_DELAYS",
    "CLAIM_FRESH_SECONDS",
    "MIN_RETRY_SECONDS",
    "ClaimCheck",
    "Sending",
]

log = logging.getLogger(__name__)

#: Shortest wait before a rate-limited send is tried again.
MIN_RETRY_SECONDS = 1.0
#: A job claimed this recently is sent without re-checking its claims (an erase in another
#: process within this window may still let that one message out).
CLAIM_FRESH_SECONDS = 1.0
#: Seconds between attempts of a claim check while the database does not answer.
CHECK_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)


class ClaimCheck:
    """Which claims are still this process's to send; concurrent callers share one query."""

    def __init__(
        self,
        db: Database,
        owner: str,
        clock: Callable[[], datetime],
        *,
        retry_delays: Sequence[float] = CHECK_RETRY_DELAYS,
        fresh_seconds: float = CLAIM_FRESH_SECONDS,
    ) -> None:
        self.db = db
        self.fresh_seconds = fresh_seconds
        self.owner = owner
        self.clock = clock
        self.retry_delays = tuple(retry_delays) or (1.0,)
        self.queries = 0
        self._waiting: dict[int, list[asyncio.Future[int | None]]] = {}
        self._running: asyncio.Task[None] | None = None

    async def alive(self, items: Sequence[Item]) -> list[Item]:
        """The items still claimed by this owner at the attempt they were claimed for.
        Raises when the database does not answer."""
        loop = asyncio.get_running_loop()
        futures: list[tuple[Item, asyncio.Future[int | None]]] = []
        for it in items:
            fut: asyncio.Future[int | None] = loop.create_future()
            self._waiting.setdefault(it.delivery_id, []).append(fut)
            futures.append((it, fut))
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._query())
        results = await asyncio.gather(*(fut for _, fut in futures), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [
            it for (it, _), result in zip(futures, results, strict=True) if result == it.attempts
        ]

    async def _query(self) -> None:
        await asyncio.sleep(0)  # let the other workers of this round join
        while self._waiting:
            waiting, self._waiting = self._waiting, {}
            d = deliveries_table
            try:
                self.queries += 1
                async with self.db.read() as conn:
                    rows = (
                        await conn.execute(
                            select(d.c.id, d.c.attempts).where(
                                d.c.id.in_(list(waiting)),
                                d.c.status == "claimed",
                                d.c.lease_owner == self.owner,
                                d.c.lease_until > self.clock(),
                            )
                        )
                    ).all()
            except Exception as exc:
                for futs in waiting.values():
                    for fut in futs:
                        if not fut.done():
                            fut.set_exception(exc)
                continue
            live = {row.id: row.attempts for row in rows}
            for delivery_id, futs in waiting.items():
                for fut in futs:
                    if not fut.done():
                        fut.set_result(live.get(delivery_id))

    async def confirm(self, job: Job, stopping: Callable[[], bool]) -> list[Item] | None:
        """The job's items still ours to send, retrying through an outage; None when the engine
        stops first."""
        if time.monotonic() - job.claimed_at < self.fresh_seconds:
            return list(job.items)
        failures = 0
        while not stopping():
            try:
                live = await self.alive(job.items)
            except Exception as exc:
                delay = self.retry_delays[min(failures, len(self.retry_delays) - 1)]
                failures += 1
                log.warning(
                    "claim check for user %s failed (%s); retrying in %.1fs",
                    job.user_id,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            return live
        return None


@dataclass
class Sending:
    """Sends the jobs of one sweep and hands each outcome to its :class:`Recorder`.

    ``stopping`` says the engine is stopping (unsent items are released); ``cancelled`` says the
    job's user stopped reminders after it was claimed (its items are skipped). ``fixed_now``
    fixes the instant outcomes are recorded at (tests); otherwise ``clock`` is read after each
    send.
    """

    sender: Sender
    bucket: TokenBucket
    recorder: Recorder
    report: SweepReport
    max_attempts: int
    clock: Clock
    fixed_now: datetime | None
    stopping: Callable[[], bool]
    cancelled: Callable[[Job], bool]
    #: Confirms a job's claims before it is sent (None: trust the claim, as in-memory tests do).
    check: ClaimCheck | None = None

    def _now(self) -> datetime:
        return self.fixed_now or self.clock()

    async def worker(self, queue: asyncio.Queue[Job | None]) -> None:
        """Deliver jobs from ``queue`` until it yields None."""
        while True:
            job = await queue.get()
            if job is None:
                return
            try:
                await self.deliver(job)
            except Exception:
                log.exception(
                    "delivering to user %s failed; its claims retry after the lease", job.user_id
                )

    async def _send(self, item: Outgoing) -> SendOutcome:
        await self.bucket.acquire()
        try:
            return await self.sender.send(item)
        except Exception as exc:  # the Sender should not raise; treat it as transient
            log.exception("sender raised for user %s", item.user_id)
            return SendOutcome.error(f"{type(exc).__name__}: {exc}")

    async def deliver(self, job: Job) -> None:
        """Send one user's items in order and hand each outcome to the recorder."""
        recorder, report = self.recorder, self.report
        items = list(job.items)
        if self.check is not None:
            live = await self.check.confirm(job, self.stopping)
            if live is None:
                recorder.defer(items, self._now(), 0.0, "released at stop")
                return
            if len(live) < len(items):
                log.info(
                    "user %s: %d claimed deliveries were erased, stopped or taken over; not sent",
                    job.user_id,
                    len(items) - len(live),
                )
                report.skipped += len(items) - len(live)
            items = live
        while items:
            item = items.pop(0)
            if self.stopping():
                recorder.defer([item, *items], self._now(), 0.0, "released at stop")
                return
            if self.cancelled(job):
                recorder.finish([item, *items], "skipped", "reminders stopped")
                report.skipped += 1 + len(items)
                return
            outcome = await self._send(item.out)
            now = self._now()
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
                now = self._now()
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
            if item.attempts >= self.max_attempts:
                recorder.finish([item], "failed", detail)
                report.failed += 1
            else:
                recorder.defer([item], now, delay, detail, count_attempt=True)
                report.deferred += 1
            recorder.defer(items, now, delay, detail)
            report.deferred += len(items)
            return
