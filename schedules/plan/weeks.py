"""Plan weeks: week 1 starts on the day of a person's first reminder, and every 7 days after it
another begins. The one place this arithmetic lives (the reminder engine, /progress and the
target history all count weeks with it)."""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["first_day", "plan_week", "week_bounds", "week_end", "week_start"]


def plan_week(started: date, day: date) -> int:
    """The plan week ``day`` falls in (1 for the first 7 days from ``started``)."""
    return (day - started).days // 7 + 1


def first_day(started: date, week: int) -> date:
    """The first day of plan week ``week``."""
    return started + timedelta(days=7 * (week - 1))


def week_start(started: date, day: date) -> date:
    """The first day of the plan week ``day`` falls in."""
    return first_day(started, plan_week(started, day))


def week_end(started: date, week: int) -> date:
    """The last day of plan week ``week``."""
    return started + timedelta(days=7 * week - 1)


def week_bounds(today: date, plan_start: date | None = None) -> tuple[date, date]:
    """The week ``today`` is in: the plan week when ``plan_start`` is given and not in the future
    (weeks run from the plan's start day), else the calendar week from Monday. ``(start, end)``.
    """
    if plan_start is not None and plan_start <= today:
        start = week_start(plan_start, today)
    else:
        start = today - timedelta(days=today.weekday())
    return start, start + timedelta(days=6)
