"""The plan: one weekly step up to the guide's goals, holds, and the content's numbers."""

from __future__ import annotations

import pytest

from knowledge.content import default_library
from schedules.plan.progression import ProgressionPlan, plan_from_library


def test_progression_steps_and_caps() -> None:
    plan = ProgressionPlan()
    week = plan.first_week()
    assert (week.cadence, week.minutes, week.incline) == (85, 10, False)
    seen = [week]
    for n in range(2, 12):
        week = plan.advance(week, n)
        seen.append(week)
    assert [w.cadence for w in seen[:4]] == [85, 90, 95, 100]
    assert [w.minutes for w in seen[:6]] == [10, 15, 20, 25, 30, 30]
    assert max(w.cadence for w in seen) == 120  # never past the guide's 120
    assert all(w.incline == (w.cadence >= 120) for w in seen)
    assert plan.targets_for_week(8) == seen[7]
    held = plan.hold(seen[3], 5)
    assert (held.cadence, held.minutes, held.week) == (seen[3].cadence, seen[3].minutes, 5)


def test_progression_from_content_numbers_and_bad_numbers() -> None:
    plan = ProgressionPlan(cadence_start=80, cadence_step=10, cadence_goal=110, minutes_goal=20)
    assert plan.targets_for_week(4).cadence == 110
    assert plan.targets_for_week(4).incline
    with pytest.raises(ValueError):
        ProgressionPlan(cadence_start=130, cadence_goal=120)


def test_plan_from_library_uses_the_content_numbers() -> None:
    plan = plan_from_library(default_library())
    assert (plan.cadence_start, plan.cadence_goal, plan.minutes_start, plan.minutes_goal) == (
        85,
        120,
        10,
        30,
    )
