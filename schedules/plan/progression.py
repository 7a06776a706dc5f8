"""Weekly progression: the targets a weekly nudge announces.

The guide: start at a comfortable 80-90 steps per minute and work up to 120 or more over time; walk
at least 30 minutes a day, starting slowly and building up; try an incline, starting low. Our plan
(numbers are constructor parameters, so the bot can pass the ones from the content files):

- cadence: starts at 85 (middle of 80-90), +5 steps/min a week, capped at 120 — the plan never
  pushes past the guide's 120;
- minutes: starts at 10, +5 a week, capped at 30;
- incline: suggested once the cadence target has reached 120;
- always: hold the step (keep last week's targets) if pain increases.

``ProgressionPlan.advance`` steps a week up and ``ProgressionPlan.hold`` keeps it;
:mod:`schedules.plan.adapt` chooses between them from the walk log. :func:`plan_from_library` builds
the plan from the content's numbers (``plan.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.models import Library

__all__ = ["DEFAULT_PLAN", "ProgressionPlan", "WeeklyTargets", "plan_from_library"]


@dataclass(frozen=True, slots=True)
class WeeklyTargets:
    """One week's targets. ``week`` counts from 1 (the first week of reminders)."""

    week: int
    cadence: int  # steps per minute
    minutes: int  # minutes of walking a day
    incline: bool  # suggest adding an incline

    def as_dict(self) -> dict[str, int | bool]:
        return {
            "week": self.week,
            "cadence": self.cadence,
            "minutes": self.minutes,
            "incline": self.incline,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> WeeklyTargets:
        return cls(
            week=int(str(data["week"])),
            cadence=int(str(data["cadence"])),
            minutes=int(str(data["minutes"])),
            incline=bool(data["incline"]),
        )


@dataclass(frozen=True, slots=True)
class ProgressionPlan:
    """The plan's numbers (defaults from the guide; see the module docstring)."""

    cadence_start: int = 85
    cadence_step: int = 5
    cadence_goal: int = 120
    minutes_start: int = 10
    minutes_step: int = 5
    minutes_goal: int = 30

    def __post_init__(self) -> None:
        if not 0 < self.cadence_start <= self.cadence_goal:
            raise ValueError("cadence_start must be positive and at most cadence_goal")
        if not 0 < self.minutes_start <= self.minutes_goal:
            raise ValueError("minutes_start must be positive and at most minutes_goal")
        if self.cadence_step < 0 or self.minutes_step < 0:
            raise ValueError("steps must not be negative")

    def first_week(self) -> WeeklyTargets:
        return self._targets(1, self.cadence_start, self.minutes_start)

    def advance(self, current: WeeklyTargets, week: int) -> WeeklyTargets:
        """Next week's targets: one step up from ``current``, each capped at its goal."""
        return self._targets(
            week,
            current.cadence + self.cadence_step,
            current.minutes + self.minutes_step,
        )

    def targets_for_week(self, week: int) -> WeeklyTargets:
        """The plan's targets for ``week`` when every week stepped up (no holds)."""
        steps = max(week, 1) - 1
        return self._targets(
            max(week, 1),
            self.cadence_start + steps * self.cadence_step,
            self.minutes_start + steps * self.minutes_step,
        )

    def hold(self, current: WeeklyTargets, week: int) -> WeeklyTargets:
        """Keep ``current``'s targets for ``week`` (pain increased)."""
        return self._targets(week, current.cadence, current.minutes)

    def _targets(self, week: int, cadence: int, minutes: int) -> WeeklyTargets:
        cadence = min(cadence, self.cadence_goal)
        return WeeklyTargets(
            week=week,
            cadence=cadence,
            minutes=min(minutes, self.minutes_goal),
            incline=cadence >= self.cadence_goal,
        )


DEFAULT_PLAN = ProgressionPlan()


def plan_from_library(library: Library) -> ProgressionPlan:
    """The plan with the content's numbers (``plan.yaml``; cadence starts mid-way in 80-90)."""
    c, g = library.cadence, library.goal
    return ProgressionPlan(
        cadence_start=(c.start_low + c.start_high) // 2,
        cadence_step=c.weekly_step,
        cadence_goal=c.goal,
        minutes_start=g.start_minutes,
        minutes_step=g.weekly_step_minutes,
        minutes_goal=g.daily_minutes,
    )
