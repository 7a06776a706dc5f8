"""The weekly nudge follows the walk log: a :class:`~schedules.reminders.engine.WeekPlanner`.

:class:`JournalPlanner` reads the user's walks of the two weeks before the new plan week (inside
the engine's claim transaction, on its connection) and lets :func:`schedules.plan.adapt.adapt_targets`
decide: hold and suggest a professional when pain rose or a walk logged pain of 7 or more, step up
what was met, keep the plan when nothing was logged. The details it returns are stored with the
nudge and rendered by the bot: ``decision``, ``reasons`` and ``text`` (:func:`format_nudge`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from knowledge.texts import Texts
from schedules.plan.adapt import adapt_targets, format_nudge
from schedules.plan.progression import DEFAULT_PLAN, ProgressionPlan, WeeklyTargets
from schedules.store.schema import walks_table

__all__ = ["JournalPlanner", "LogWalk"]

#: adapt_targets compares last week with the week before: two weeks of log.
LOOKBACK_DAYS = 14


@dataclass(frozen=True)
class LogWalk:
    """The part of a logged walk the plan needs (a :class:`schedules.journal.progress.WalkLike`)."""

    local_date: date
    minutes: int
    cadence: int | None = None
    pain: int | None = None


class JournalPlanner:
    """Decides each new plan week's targets from the walk log (see the module docstring)."""

    def __init__(self, plan: ProgressionPlan | None = None, texts: Texts | None = None):
        self.plan = plan or DEFAULT_PLAN
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
