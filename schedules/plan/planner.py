"""The weekly nudge follows the walk log: a :class:`~schedules.reminders.engine.WeekPlanner` (issue 5).

:class:`JournalPlanner` reads the user's walks of the two weeks before the new plan week (inside
the engine's claim transaction, on its connection) and lets :func:`schedules.plan.adapt.adapt_targets`
decide: hold and suggest a professional when pain rose or a walk logged pain of 7 or more, step up
what was met, keep the plan when nothing was logged. The details it returns are stored with the
nudge and rendered by the bot: ``decision``, ``reasons`` and ``text`` (:func:`format_nudge`).

:func:`target_history` gives ``/progress`` the targets as they really were: the plan's first week
from the day the plan started, each nudge's targets from its day, and the targets in force now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from knowledge.texts import Texts
from schedules.journal.store import walks_table
from schedules.plan.adapt import adapt_targets, format_nudge
from schedules.plan.progression import ProgressionPlan, WeeklyTargets
from schedules.store.db import Database
from schedules.store.schema import deliveries_table, subscriptions_table

__all__ = ["JournalPlanner", "LogWalk", "target_history"]

#: adapt_targets compares last week with the week before: two weeks of log.
LOOKBACK_DAYS = 14


@dataclass(frozen=True)
class LogWalk:
    """The part of a logged walk the planner needs (a :class:`schedules.journal.progress.WalkLike`)."""

    local_date: date
    minutes: int
    cadence: int | None
    pain: int | None


class JournalPlanner:
    """Decides each new plan week's targets from the walk log (see the module docstring)."""

    def __init__(self, plan: ProgressionPlan | None = None, texts: Texts | None = None):
        self.plan = plan or ProgressionPlan()
        self.texts = texts

    async def plan_week(
        self,
        conn: AsyncConnection,
        user_id: int,
        today: date,
        current: WeeklyTargets,
        week: int,
    ) -> tuple[WeeklyTargets, Mapping[str, Any]]:
        w = walks_table
        rows = (
            await conn.execute(
                select(w.c.local_date, w.c.minutes, w.c.cadence, w.c.pain).where(
                    w.c.user_id == user_id,
                    w.c.local_date.between(
                        today - timedelta(days=LOOKBACK_DAYS), today - timedelta(days=1)
                    ),
                )
            )
        ).all()
        walks = [LogWalk(r.local_date, r.minutes, r.cadence, r.pain) for r in rows]
        adaptation = adapt_targets(walks, today=today, current=current, week=week, plan=self.plan)
        details = {
            "decision": adaptation.decision.value,
            "reasons": [r.value for r in adaptation.reasons],
            "see_professional": adaptation.see_professional,
            "text": format_nudge(adaptation, self.texts),
        }
        return adaptation.targets, details


async def target_history(
    db: Database, user_id: int, today: date, plan: ProgressionPlan | None = None
) -> tuple[date | None, list[tuple[date, WeeklyTargets]]]:
    """``(plan_start, changes)`` for :func:`schedules.journal.progress.summarize`.

    No reminders ever set up: ``(None, [])`` (the chart then shows no targets). Before the first
    reminder the plan has not started: the current targets from ``today``.
    """
    plan = plan or ProgressionPlan()
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
    changes[started + timedelta(days=7 * (max(current.week, 1) - 1))] = current
    return started, sorted(changes.items())
