"""``/progress`` as one call: :func:`progress_report` reads a user's walks and target history,
sums them up (:func:`schedules.journal.progress.summarize`) and draws the chart
(:func:`schedules.journal.charts.render_progress_chart`, in a worker thread so the event loop never
waits on matplotlib). The bot only sends what it returns.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from knowledge.texts import Texts
from schedules.journal.charts import render_progress_chart
from schedules.journal.progress import format_summary, summarize
from schedules.journal.store import user_timezone, walks_between
from schedules.journal.walklog import local_day
from schedules.plan.progression import DEFAULT_PLAN, ProgressionPlan
from schedules.plan.targets import target_history
from schedules.reminders.timecalc import get_zone
from schedules.store.db import Database

__all__ = ["STREAK_LOOKBACK_DAYS", "ProgressReport", "progress_report"]

#: The streak may reach back further than the chart's window: read this many days more.
STREAK_LOOKBACK_DAYS = 366


@dataclass(frozen=True)
class ProgressReport:
    """What /progress sends: the summary text and the chart (PNG bytes)."""

    text: str
    chart: bytes


async def progress_report(
    db: Database,
    user_id: int,
    weeks: int,
    now: datetime,
    plan: ProgressionPlan = DEFAULT_PLAN,
    texts: Texts | None = None,
) -> ProgressReport:
    """The user's last ``weeks`` weeks up to ``now`` (timezone-aware), against their targets.

    Days are the user's local days in the zone they set (UTC when none is set or it is no longer
    known). ``weeks`` is already valid (:func:`schedules.journal.progress.validate_weeks`).
    """
    zone = await user_timezone(db, user_id)
    try:
        get_zone(zone or "UTC")
    except Exception:  # a zone that vanished from tzdata: count in UTC rather than fail
        zone = None
    zone = zone or "UTC"
    today = local_day(now, zone)
    first = today - timedelta(days=max(7 * weeks, STREAK_LOOKBACK_DAYS))
    walks = await walks_between(db, user_id, first, today)
    plan_start, changes = await target_history(db, user_id, today, plan)
    summary = summarize(
        walks,
        zone=zone,
        now=now,
        weeks=weeks,
        plan_start=plan_start,
        target_changes=changes or None,
        plan=plan,
    )
    chart = await asyncio.to_thread(
        render_progress_chart, summary.series, summary.targets, summary.weeks, texts=texts
    )
    return ProgressReport(format_summary(summary, texts), chart)
