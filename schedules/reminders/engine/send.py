"""The send policy of a sweep: how claimed jobs are sent and what each outcome means.

``max_in_flight`` workers take one user's job at a time and send its items in order; every send
waits for the shared :class:`~schedules.reminders.delivery.TokenBucket` (pacing). Outcomes (see
:mod:`schedules.reminders.delivery`) map to the recorder:

- ``ok``: sent. ``blocked_dm``: failed, the subscription is paused, the rest is skipped.
- ``channel_unavailable`` in a channel: one DM fallback, then the subscription is paused.
- ``rate_limited``: retried after ``retry_after`` (a global limit also pauses the bucket), no
  attempt used up. Anything else is transient: retried after ``30 s x attempts`` until
  ``max_attempts``, then failed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from schedules.reminders.delivery import Outgoing, Sender, SendOutcome, TokenBucket, make_nonce
from schedules.reminders.engine.jobs import Clock, Job, SweepReport
from schedules.reminders.engine.recorder import Recorder

__all__ = ["MIN_RETRY_SECONDS", "Sending"]

log = logging.getLogger(__name__)

#: Shortest wait before a rate-limited send is tried again.
MIN_RETRY_SECONDS = 1.0


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
