"""Plan weeks: numbered from the plan's first day, 7 days each; else calendar weeks from Monday."""

from __future__ import annotations

from datetime import date, timedelta

from schedules.plan.weeks import first_day, plan_week, week_bounds, week_end, week_start

TODAY = date(2025, 6, 18)  # a Wednesday


def test_plan_weeks_count_from_the_first_day() -> None:
    started = date(2025, 6, 5)
    assert [plan_week(started, started + timedelta(days=d)) for d in (0, 6, 7, 13, 14)] == [
        1,
        1,
        2,
        2,
        3,
    ]
    assert first_day(started, 3) == date(2025, 6, 19)
    assert week_end(started, 2) == date(2025, 6, 18)
    assert week_start(started, date(2025, 6, 18)) == date(2025, 6, 12)


def test_week_bounds_follow_the_plan_or_monday() -> None:
    assert week_bounds(TODAY) == (date(2025, 6, 16), date(2025, 6, 22))  # Monday-Sunday
    plan_start = date(2025, 6, 5)  # a Thursday
    assert week_bounds(TODAY, plan_start) == (date(2025, 6, 12), date(2025, 6, 18))
    assert week_bounds(date(2025, 6, 19), plan_start) == (date(2025, 6, 19), date(2025, 6, 25))
    # a plan starting in the future falls back to the calendar week
    assert week_bounds(TODAY, TODAY + timedelta(days=3))[0] == date(2025, 6, 16)
