"""The weekly targets over time, as spans of days (what the /progress chart and summary show).

- :func:`target_history` reads the targets as they really were: the plan's first week from the day
  the plan started, each nudge's targets from its day, and the targets in force now.
- :func:`recorded_targets` turns such a history into :class:`TargetSpan` s: each change holds until
  the next one.
- :func:`planned_targets` gives the plan's targets week by week (every week a step up), for when no
  history was recorded.
- :func:`target_spans` picks between them; :func:`targets_on` finds the span in force on a day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from schedules.plan.progression import DEFAULT_PLAN, ProgressionPlan, WeeklyTargets
from schedules.plan.weeks import first_day, plan_week, week_end
from schedules.store.db import Database
from schedules.store.schema import deliveries_table, subscriptions_table

__all__ = [
    "TargetSpan",
    "planned_targets",
    "recorded_targets",
    "target_history",
    "target_spans",
    "targets_on",
]


@dataclass(frozen=True)
class TargetSpan:
    """Targets in force from ``start`` to ``end`` (both inclusive)."""

    start: date
    end: date
    cadence: int
    minutes: int


def planned_targets(
    plan_start: date, first: date, last: date, plan: ProgressionPlan = DEFAULT_PLAN
) -> list[TargetSpan]:
    """The plan's targets week by week, for the days ``first..last`` on or after ``plan_start``.

    Week 1 starts on ``plan_start``; every week steps up (``ProgressionPlan.targets_for_week``).
    Use it when no target history was recorded (e.g. before any nudge was sent).
    """
    spans: list[TargetSpan] = []
    day = max(first, plan_start)
    while day <= last:
        week = plan_week(plan_start, day)
        end = week_end(plan_start, week)
        t = plan.targets_for_week(week)
        spans.append(TargetSpan(day, min(end, last), t.cadence, t.minutes))
        day = end + timedelta(days=1)
    return spans


def recorded_targets(
    changes: Iterable[tuple[date, WeeklyTargets]], first: date, last: date
) -> list[TargetSpan]:
    """Targets as they really were: each ``(from_day, targets)`` change holds until the next one.

    Days before the first change have no target. Spans are clipped to ``first..last``.
    """
    ordered = sorted(changes, key=lambda c: c[0])
    spans: list[TargetSpan] = []
    for i, (start, t) in enumerate(ordered):
        end = ordered[i + 1][0] - timedelta(days=1) if i + 1 < len(ordered) else last
        lo, hi = max(start, first), min(end, last)
        if lo <= hi:
            spans.append(TargetSpan(lo, hi, t.cadence, t.minutes))
    return spans


def target_spans(
    first: date,
    last: date,
    plan_start: date | None,
    changes: Iterable[tuple[date, WeeklyTargets]] | None,
    plan: ProgressionPlan = DEFAULT_PLAN,
) -> list[TargetSpan]:
    """The targets of the days ``first..last``: as recorded when ``changes`` is given (holds
    included), else from the plan when ``plan_start`` is known, else none."""
    if changes is not None:
        return recorded_targets(changes, first, last)
    if plan_start is not None:
        return planned_targets(plan_start, first, last, plan)
    return []


def targets_on(spans: Sequence[TargetSpan], day: date) -> TargetSpan | None:
    """The span in force on ``day``, if any."""
    for s in spans:
        if s.start <= day <= s.end:
            return s
    return None


async def target_history(
    db: Database, user_id: int, today: date, plan: ProgressionPlan = DEFAULT_PLAN
) -> tuple[date | None, list[tuple[date, WeeklyTargets]]]:
    """``(plan_start, changes)`` for :func:`schedules.journal.progress.summarize`.

    No reminders ever set up: ``(None, [])`` (the chart then shows no targets). Before the first
    reminder the plan has not started: the current targets from ``today``.
    """
    s, d = subscriptions_table, deliveries_table
    async with db.read() as conn:
        sub = (
            await conn.execute(
                select(
                    s.c.plan_started_on, s.c.plan_week, s.c.cadence_target, s.c.minutes_target
                ).where(s.c.user_id == user_id)
            )
        ).first()
        if sub is None:
            return None, []
        nudges = (
            await conn.execute(
                select(d.c.local_date, d.c.payload)
                .where(d.c.user_id == user_id, d.c.kind == "nudge")
                .order_by(d.c.local_date)
            )
        ).all()
    current = WeeklyTargets(
        sub.plan_week,
        sub.cadence_target,
        sub.minutes_target,
        sub.cadence_target >= plan.cadence_goal,
    )
    started: date | None = sub.plan_started_on
    if started is None:
        return None, [(today, current)]
    changes: dict[date, WeeklyTargets] = {started: plan.first_week()}
    for row in nudges:
        payload = row.payload if isinstance(row.payload, dict) else {}
        targets = payload.get("targets")
        if isinstance(targets, dict):
            try:
                changes[row.local_date] = WeeklyTargets.from_dict(targets)
            except (KeyError, ValueError):
                continue
    changes[first_day(started, max(current.week, 1))] = current
    return started, sorted(changes.items())
