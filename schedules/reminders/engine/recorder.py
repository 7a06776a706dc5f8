"""Writing delivery outcomes: the batch writer of a sweep, and the shared ``UPDATE`` statements.

:func:`update_deliveries` and :func:`update_subscriptions` are the one place a sweep updates rows
by id (``b_id``) or user (``b_uid``); the claim transaction (:mod:`.claims`) uses them too.

Faults: an outcome only ever moves a row that is still ``claimed`` (an erase deletes the row, a
``/reminders stop`` marks it ``skipped``; neither is overwritten by ``sent``). A batch that
failed to write (the database is down) is kept and written again with back-off
(:data:`RETRY_DELAYS`), merged with whatever came in meanwhile; the sweep waits for it
(:meth:`Recorder.settle`) before it ends, so its claims are never retaken and sent twice after
their lease. Only at stop (:meth:`Recorder.close`) does the recorder give up, after
``close_timeout`` seconds: those claims then retry after their lease with the same nonce.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlalchemy.ext.asyncio import AsyncConnection

from schedules.reminders.delivery import SendOutcome
from schedules.reminders.engine.jobs import Item
from schedules.store.db import Database
from schedules.store.schema import deliveries_table, snoozes_table, subscriptions_table

__all__ = [
    "RETRY_DELAYS",
    "Recorder",
    "finish_deliveries",
    "update_claimed",
    "update_deliveries",
    "update_subscriptions",
]

log = logging.getLogger(__name__)

#: Seconds between attempts to write a batch that failed (the last one repeats).
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)

deliveries = deliveries_table
subs = subscriptions_table


async def update_deliveries(
    conn: AsyncConnection, rows: Sequence[Mapping[str, Any]], **values: Any
) -> None:
    """``UPDATE deliveries SET values WHERE id = :b_id`` for each row (nothing when none)."""
    if rows:
        await conn.execute(
            update(deliveries).where(deliveries.c.id == bindparam("b_id")).values(**values),
            list(rows),
        )


async def update_claimed(
    conn: AsyncConnection, rows: Sequence[Mapping[str, Any]], **values: Any
) -> None:
    """Like :func:`update_deliveries`, but only rows still ``claimed`` move: an outcome never
    overwrites what an erase, a stop or another process decided meanwhile."""
    if rows:
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.id == bindparam("b_id"), deliveries.c.status == "claimed")
            .values(**values),
            list(rows),
        )


async def update_subscriptions(
    conn: AsyncConnection, rows: Sequence[Mapping[str, Any]], **values: Any
) -> None:
    """``UPDATE subscriptions SET values WHERE user_id = :b_uid`` for each row."""
    if rows:
        await conn.execute(
            update(subs).where(subs.c.user_id == bindparam("b_uid")).values(**values), list(rows)
        )


async def finish_deliveries(
    conn: AsyncConnection, rows: Sequence[Mapping[str, Any]], *, only_claimed: bool = False
) -> None:
    """Give deliveries their final status (``b_status``, ``b_error``) and release their lease
    (with ``only_claimed``, only rows still ``claimed``: see :func:`update_claimed`)."""
    await (update_claimed if only_claimed else update_deliveries)(
        conn,
        rows,
        status=bindparam("b_status"),
        error=bindparam("b_error"),
        lease_owner=None,
        lease_until=None,
    )


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Wait for ``event`` at most ``seconds``. Not ``asyncio.wait_for``: on Python 3.11
    it swallows a cancel that arrives as the event is set, and a recorder whose cancel was lost
    never stopped (a test hung in CI)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()


class Recorder:
    """The single writer of delivery outcomes during a sweep.

    Workers hand it outcomes without waiting; it writes them in batches (every ``max_delay``
    seconds or ``max_batch`` outcomes), each batch in one transaction. One commit per send would
    make every worker queue on SQLite's single write lock and cost a round trip per reminder.
    If the process dies before a batch is written, those deliveries are still ``claimed``: they
    are retried after their lease with the same nonce, which Discord deduplicates. A batch that
    failed to write is kept and retried (see the module docstring).
    """

    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = 100,
        max_delay: float = 0.05,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        close_timeout: float = 10.0,
    ) -> None:
        self.db = db
        self.max_batch = max_batch
        self.max_delay = max_delay
        self.retry_delays = tuple(retry_delays) or (1.0,)
        self.close_timeout = close_timeout
        #: Failed writes so far for the pending outcomes (0: the last write succeeded).
        self.failures = 0
        self._settled = asyncio.Event()
        self._settled.set()
        self._closing = asyncio.Event()
        self._sent: list[dict[str, Any]] = []
        self._finish: list[dict[str, Any]] = []
        self._defer: list[dict[str, Any]] = []
        self._defer_counted: list[dict[str, Any]] = []
        self._dm: dict[int, int | None] = {}
        self._pause: dict[int, tuple[str, datetime]] = {}
        self._wake = asyncio.Event()
        self._urgent = asyncio.Event()
        self._closed = False
        self._abandoned = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def _size(self) -> int:
        return len(self._sent) + len(self._finish) + len(self._defer) + len(self._defer_counted)

    def _added(self) -> None:
        self._settled.clear()
        self._wake.set()
        if self._size() >= self.max_batch:
            self._urgent.set()

    def sent(
        self, item: Item, outcome: SendOutcome, now: datetime, note: str | None = None
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

    def finish(self, items: Sequence[Item], status: str, error: str) -> None:
        for it in items:
            self._finish.append(
                {"b_id": it.delivery_id, "b_status": status, "b_error": error[:200]}
            )
        if items:
            self._added()

    def defer(
        self,
        items: Sequence[Item],
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
        while not self._abandoned:
            await self._wake.wait()
            if not self._closed:
                await _wait(self._urgent, self.max_delay)  # let a batch gather, unless urgent
            self._wake.clear()
            if not self._closed:
                self._urgent.clear()
            if await self._flush():
                if self._size() == 0 and not (self._dm or self._pause):
                    self._settled.set()
            else:
                delay = self.retry_delays[min(self.failures - 1, len(self.retry_delays) - 1)]
                self._wake.set()  # go again after the back-off, pending or not
                await _wait(self._closing, delay)  # close() shortens the wait
                if self._closed:
                    await asyncio.sleep(min(delay, 0.5))
                continue
            if self._closed:
                return

    async def settle(self, stopping: Callable[[], bool] | None = None) -> bool:
        """Wait until every outcome handed in so far is written (retrying through an outage),
        or until ``stopping()`` says the engine is stopping. True when all is written."""
        while not self._settled.is_set():
            if stopping is not None and stopping():
                return False
            await _wait(self._settled, 0.5)
        return True

    async def close(self) -> None:
        """Write everything still pending, now; give up after ``close_timeout`` seconds (those
        claims retry after their lease, with the same nonce)."""
        self._closed = True
        self._closing.set()
        self._urgent.set()
        self._wake.set()
        if self._task is None:
            return
        done, _ = await asyncio.wait({self._task}, timeout=self.close_timeout)
        if not done:
            self._abandoned = True  # the loop ends at its next turn even if a cancel is lost
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=1.0)
            log.error(
                "could not record %d delivery outcomes before stopping; those claims are "
                "retried after their lease",
                self._size(),
            )

    async def _flush(self) -> bool:
        """Write what is pending in one transaction. On failure everything stays pending
        (merged with what arrives meanwhile) and False is returned."""
        sent, self._sent = self._sent, []
        finish, self._finish = self._finish, []
        defer, self._defer = self._defer, []
        counted, self._defer_counted = self._defer_counted, []
        dm, self._dm = self._dm, {}
        pauses, self._pause = self._pause, {}
        if not (sent or finish or defer or counted or dm or pauses):
            return True
        try:
            async with self.db.begin() as conn:
                await self._write(conn, sent, finish, defer, counted, dm, pauses)
        except Exception as exc:
            self.failures += 1
            self._sent[:0] = sent
            self._finish[:0] = finish
            self._defer[:0] = defer
            self._defer_counted[:0] = counted
            self._dm = {**dm, **self._dm}
            self._pause = {**pauses, **self._pause}
            log.warning(
                "recording %d delivery outcomes failed (%s, attempt %d); kept and retried",
                len(sent) + len(finish) + len(defer) + len(counted),
                type(exc).__name__,
                self.failures,
            )
            return False
        self.failures = 0
        return True

    @staticmethod
    async def _write(
        conn: AsyncConnection,
        sent: list[dict[str, Any]],
        finish: list[dict[str, Any]],
        defer: list[dict[str, Any]],
        counted: list[dict[str, Any]],
        dm: dict[int, int | None],
        pauses: dict[int, tuple[str, datetime]],
    ) -> None:
        await update_claimed(
            conn,
            sent,
            status="sent",
            sent_at=bindparam("b_at"),
            message_id=bindparam("b_msg"),
            attempts=bindparam("b_attempts"),
            error=bindparam("b_error"),
            lease_owner=None,
            lease_until=None,
        )
        await finish_deliveries(conn, finish, only_claimed=True)
        for rows, spent in ((defer, False), (counted, True)):
            values: dict[str, Any] = {
                "lease_owner": None,
                "lease_until": bindparam("b_until"),
                "error": bindparam("b_error"),
            }
            if not spent:  # the retake adds one back
                values["attempts"] = deliveries.c.attempts - 1
            await update_claimed(conn, rows, **values)
        await update_subscriptions(
            conn,
            [{"b_uid": u, "b_dm": c} for u, c in dm.items()],
            dm_channel_id=bindparam("b_dm"),
        )
        if pauses:
            await update_subscriptions(
                conn,
                [{"b_uid": u, "b_reason": r, "b_at": t} for u, (r, t) in pauses.items()],
                paused_reason=bindparam("b_reason"),
                pause_notice=True,
                next_due_utc=None,
                updated_at=bindparam("b_at"),
            )
            await conn.execute(
                delete(snoozes_table).where(snoozes_table.c.user_id == bindparam("b_uid")),
                [{"b_uid": u} for u in pauses],
            )
