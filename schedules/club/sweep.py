"""The reminder engine's second source: claim each club day's walk call once, send it, record it.

:class:`ClubSweeper` is added to ``ReminderEngine.sources`` (by the bot's club extension); the
engine calls :meth:`ClubSweeper.sweep` in its minute sweep, under its sweep lock, before the
reminders. One claim transaction finds expired claims (a process died between claiming and
recording) and clubs with ``next_due_utc <= now`` (indexed); each due club gets a row in
``club_calls``, whose UNIQUE ``(guild_id, club_day)`` makes a club day claimable once across
restarts and processes (PostgreSQL: ``FOR UPDATE SKIP LOCKED``), and its ``next_due_utc`` moves to
the next club day (skipped and repeated local times as for reminders). A call overdue by more
than the grace window is recorded ``skipped``; one overdue by ``late_after_minutes`` is sent late.

Outcomes: ``ok`` -> sent (message id kept for the count edits); ``channel_unavailable`` (403/404)
-> the call fails and the club pauses (``channel_unavailable``), never retried into the wall;
``rate_limited`` -> the claim's lease is set to the retry time and the next sweep takes it;
``error`` -> retried with a back-off, at most ``max_attempts`` in all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from schedules.club.calls import ClubCall, ClubSender, next_call
from schedules.club.store import build_call
from schedules.reminders.delivery import SendOutcome, TokenBucket
from schedules.reminders.engine.jobs import Clock, utc_now
from schedules.settings import ReminderSettings
from schedules.store.db import Database, dialect_insert
from schedules.store.schema import club_calls_table, clubs_table

__all__ = ["ClubSweepReport", "ClubSweeper"]

log = logging.getLogger(__name__)

clubs = clubs_table
calls = club_calls_table

#: Back-off after an error, times the attempt number.
RETRY_BACKOFF = timedelta(seconds=30)


@dataclass
class ClubSweepReport:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    paused: int = 0
    retried: int = 0
    failed: int = 0
    guilds: list[int] = field(default_factory=list)


@dataclass
class _Job:
    call_id: int
    attempts: int
    call: ClubCall


class ClubSweeper:
    """Claims and sends the walk calls due at a sweep's instant. See the module docstring."""

    def __init__(
        self,
        db: Database,
        sender: ClubSender,
        *,
        settings: ReminderSettings,
        owner: str = "club",
        bucket: TokenBucket | None = None,
        clock: Clock | None = None,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.db = db
        self.sender = sender
        self.settings = settings
        self.owner = owner[:64]
        self.bucket = bucket
        self.clock: Clock = clock or utc_now
        self.stopping = stopping
        self.last_report: ClubSweepReport | None = None

    async def anything_due(self, now: datetime) -> bool:
        query = select(
            or_(
                exists().where(clubs.c.next_due_utc <= now),
                exists().where(calls.c.status == "claimed", calls.c.lease_until <= now),
            )
        )
        async with self.db.read() as conn:
            return bool((await conn.execute(query)).scalar())

    async def sweep(self, now: datetime | None = None) -> ClubSweepReport:
        """Claim and send everything due at ``now`` (default: the clock)."""
        report = ClubSweepReport()
        moment = now or self.clock()
        if self.stopping() or not await self.anything_due(moment):
            return report
        jobs = await self._claim(moment, report)
        for job in jobs:
            if self.stopping():  # the lease runs out and the next process sends it
                break
            if self.bucket is not None:
                await self.bucket.acquire()
            try:
                outcome = await self.sender.post_call(job.call)
            except Exception as exc:  # the sender must not raise; treat it as an error
                log.exception("club call for guild %s failed", job.call.guild_id)
                outcome = SendOutcome.error(type(exc).__name__)
            await self._record(job, outcome, now or self.clock(), report)
        self.last_report = report
        if report.claimed or report.skipped or report.retried:
            log.info("club sweep: %s", report)
        return report

    # -- claiming ----------------------------------------------------------------------------

    def _locked(self, conn: AsyncConnection, query: Any) -> Any:
        if conn.dialect.name == "postgresql":
            return query.with_for_update(skip_locked=True)
        return query

    async def _claim(self, now: datetime, report: ClubSweepReport) -> list[_Job]:
        lease = now + timedelta(seconds=self.settings.lease_seconds)
        jobs: list[_Job] = []
        async with self.db.begin() as conn:
            expired = (
                await conn.execute(
                    self._locked(
                        conn,
                        select(calls).where(
                            calls.c.status == "claimed", calls.c.lease_until <= now
                        ),
                    )
                )
            ).all()
            for row in expired:
                club = (
                    await conn.execute(select(clubs).where(clubs.c.guild_id == row.guild_id))
                ).first()
                gone = club is None or not club.active or club.paused_reason is not None
                if gone or row.attempts >= self.settings.max_attempts:
                    await conn.execute(
                        update(calls)
                        .where(calls.c.id == row.id)
                        .values(
                            status="failed",
                            lease_owner=None,
                            lease_until=None,
                            error="club stopped" if gone else row.error,
                        )
                    )
                    report.failed += 1
                    continue
                await conn.execute(
                    update(calls)
                    .where(calls.c.id == row.id)
                    .values(lease_owner=self.owner, lease_until=lease, attempts=row.attempts + 1)
                )
                report.retried += 1
                assert club is not None
                jobs.append(
                    _Job(
                        row.id,
                        row.attempts + 1,
                        await build_call(
                            conn, club, row.club_day, row.due_utc, row.late, club.channel_id
                        ),
                    )
                )
            due = (
                await conn.execute(
                    self._locked(
                        conn,
                        select(clubs)
                        .where(clubs.c.next_due_utc <= now)
                        .order_by(clubs.c.next_due_utc)
                        .limit(self.settings.batch_size),
                    )
                )
            ).all()
            for club in due:
                job = await self._claim_club(conn, club, now, lease, report)
                if job is not None:
                    jobs.append(job)
        return jobs

    async def _claim_club(
        self,
        conn: AsyncConnection,
        club: Any,
        now: datetime,
        lease: datetime,
        report: ClubSweepReport,
    ) -> _Job | None:
        due: datetime = club.next_due_utc
        day: date = club.next_club_day
        overdue = now - due
        skipped = overdue > timedelta(minutes=self.settings.grace_minutes)
        late = overdue >= timedelta(minutes=self.settings.late_after_minutes)
        row = {
            "guild_id": club.guild_id,
            "club_day": day,
            "due_utc": due,
            "channel_id": club.channel_id,
            "status": "skipped" if skipped else "claimed",
            "late": late and not skipped,
            "attempts": 0 if skipped else 1,
            "lease_owner": None if skipped else self.owner,
            "lease_until": None if skipped else lease,
            "error": "missed: downtime" if skipped else None,
        }
        inserted = await conn.execute(
            dialect_insert(conn, calls)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["guild_id", "club_day"])
            .returning(calls.c.id)
        )
        call_id = inserted.scalar()
        nxt, nxt_day = next_call(
            club.local_time,
            club.timezone,
            max(due, now) if skipped else due,
            day + timedelta(days=1),
        )
        await conn.execute(
            update(clubs)
            .where(clubs.c.guild_id == club.guild_id)
            .values(next_due_utc=nxt, next_club_day=nxt_day)
        )
        if call_id is None:  # that day already had its call (another process, or a re-setup)
            return None
        if skipped:
            report.skipped += 1
            return None
        report.claimed += 1
        return _Job(int(call_id), 1, await build_call(conn, club, day, due, late, club.channel_id))

    # -- recording -----------------------------------------------------------------------------

    async def _record(
        self, job: _Job, outcome: SendOutcome, now: datetime, report: ClubSweepReport
    ) -> None:
        call = job.call
        values: dict[str, Any]
        pause = False
        if outcome.status == "ok":
            values = {
                "status": "sent",
                "message_id": outcome.message_id,
                "sent_at": now,
                "channel_id": call.channel_id,
                "lease_owner": None,
                "lease_until": None,
                "error": None,
            }
            report.sent += 1
            report.guilds.append(call.guild_id)
        elif outcome.status in ("channel_unavailable", "blocked_dm"):
            values = {
                "status": "failed",
                "lease_owner": None,
                "lease_until": None,
                "error": outcome.detail[:200],
            }
            pause = True
            report.paused += 1
        elif outcome.status == "rate_limited":
            if outcome.is_global and self.bucket is not None:
                self.bucket.pause(outcome.retry_after)
            values = {
                "lease_owner": None,
                "lease_until": now + timedelta(seconds=max(1.0, outcome.retry_after)),
                "attempts": max(0, job.attempts - 1),
                "error": "429",
            }
        elif job.attempts >= self.settings.max_attempts:
            values = {
                "status": "failed",
                "lease_owner": None,
                "lease_until": None,
                "error": outcome.detail[:200],
            }
            report.failed += 1
        else:
            values = {
                "lease_owner": None,
                "lease_until": now + RETRY_BACKOFF * job.attempts,
                "error": outcome.detail[:200],
            }
        async with self.db.begin() as conn:
            await conn.execute(update(calls).where(calls.c.id == job.call_id).values(**values))
            if outcome.status == "ok":
                await conn.execute(
                    update(clubs)
                    .where(
                        clubs.c.guild_id == call.guild_id,
                        or_(clubs.c.last_club_day.is_(None), clubs.c.last_club_day < call.club_day),
                    )
                    .values(last_club_day=call.club_day)
                )
            if pause:
                await conn.execute(
                    update(clubs)
                    .where(clubs.c.guild_id == call.guild_id, clubs.c.paused_reason.is_(None))
                    .values(paused_reason="channel_unavailable", next_due_utc=None, updated_at=now)
                )
        if pause:
            log.warning("club of guild %s paused: %s", call.guild_id, outcome.detail)
