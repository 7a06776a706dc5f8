"""Plan weeks: week 1 starts on the day of a person's first reminder, and every 7 days after it
another begins. The one place this arithmetic lives (the reminder engine, /progress and the
target history all count weeks with it)."""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["plan_week", "week_end", "week_start"]


def plan_week(started: date, day: date) -> int:
    """The plan week ``day`` falls in (1 for the first 7 days from ``started``)."""
    return (day - started).days // 7 + 1


def week_start(started: date, day: date) -> date:
    """The first day of the plan week ``day`` falls in."""
    return started + timedelta(days=7 * (plan_week(started, day) - 1))


def week_end(started: date, week: int) -> date:
    """The last day of plan week ``week``."""
    return started + timedelta(days=7 * week - 1)
