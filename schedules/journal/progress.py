"""What /progress shows, computed from a user's walks (pure: no database, no clock, no Discord).

Walks are anything with ``local_date``, ``minutes``, ``cadence`` and ``pain`` (a
:class:`~schedules.journal.walklog.WalkEntry`, a database row...): see :class:`WalkLike`. Days are the
user's local days: each walk carries the local date it was logged for, and "today" is
:func:`~schedules.journal.walklog.local_day` of ``now`` in the user's zone.

- :func:`daily_series`: one :class:`DayPoint` per day of a window, zeros included: minutes summed,
  cadence averaged (weighted by minutes, so a long walk counts more than a short one), pain max.
- :func:`current_streak`: consecutive local days with a walk, ending today or yesterday (a streak
  is not broken before the day is over).
- :func:`totals`: minutes, walks, days walked, average cadence, max and average pain over a range.
- :func:`summarize` puts it all together with the weekly targets (:mod:`schedules.plan.targets`:
  the targets really announced, else the plan's); :func:`format_summary` writes the text under
  the chart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from knowledge.texts import Texts, default_texts
from schedules.journal.walklog import WalkInputError, local_day
from schedules.plan.progression import DEFAULT_PLAN, ProgressionPlan, WeeklyTargets
from schedules.plan.targets import TargetSpan, target_spans, targets_on
from schedules.plan.weeks import week_bounds

__all__ = [
    "DEFAULT_WEEKS",
    "MAX_WEEKS",
    "DayPoint",
    "ProgressSummary",
    "Totals",
    "WalkLike",
    "current_streak",
    "daily_series",
    "format_summary",
    "short_date",
    "summarize",
    "totals",
    "validate_weeks",
    "window",
]

DEFAULT_WEEKS = 4
MAX_WEEKS = 26


class WalkLike(Protocol):
    """What progress needs from a walk."""

    @property
    def local_date(self) -> date: ...
    @property
    def minutes(self) -> int: ...
    @property
    def cadence(self) -> int | None: ...
    @property
    def pain(self) -> int | None: ...


@dataclass(frozen=True)
class DayPoint:
    """One local day: minutes summed, walks counted, cadence averaged (weighted), pain max."""

    day: date
    minutes: int = 0
    walks: int = 0
    cadence: float | None = None
    pain: int | None = None


@dataclass(frozen=True)
class Totals:
    """Totals over the days ``start`` to ``end`` (inclusive)."""

    start: date
    end: date
    minutes: int = 0
    walks: int = 0
    days: int = 0  # days with at least one walk
    cadence: float | None = None  # weighted by minutes
    pain_max: int | None = None
    pain_avg: float | None = None


@dataclass(frozen=True)
class ProgressSummary:
    """Everything /progress shows. ``series`` covers ``first`` to ``today``, one point a day."""

    today: date
    weeks: int
    first: date
    series: list[DayPoint]
    targets: list[TargetSpan]
    streak: int
    week: Totals
    current_targets: TargetSpan | None
    any_walks: bool  # ever, not only in the window


def validate_weeks(weeks: Any) -> int:
    """The ``weeks`` option of /progress: None is :data:`DEFAULT_WEEKS`; 1..:data:`MAX_WEEKS`."""
    if weeks is None:
        return DEFAULT_WEEKS
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise WalkInputError(f"Weeks must be a whole number from 1 to {MAX_WEEKS}.", "weeks")
    return weeks


def window(today: date, weeks: int) -> tuple[date, date]:
    """The ``weeks * 7`` days ending with ``today``: ``(first, today)``."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    return today - timedelta(days=7 * weeks - 1), today


def _weighted_cadence(walks: Iterable[WalkLike]) -> float | None:
    num = 0
    den = 0
    for w in walks:
        if w.cadence is not None:
            num += w.cadence * w.minutes
            den += w.minutes
    return num / den if den else None


def daily_series(walks: Iterable[WalkLike], first: date, last: date) -> list[DayPoint]:
    """One :class:`DayPoint` per day from ``first`` to ``last`` (inclusive); walks outside skip."""
    if last < first:
        raise ValueError("last must not be before first")
    by_day: dict[date, list[WalkLike]] = {}
    for w in walks:
        if first <= w.local_date <= last:
            by_day.setdefault(w.local_date, []).append(w)
    points = []
    day = first
    while day <= last:
        t = totals(by_day.get(day, ()), day, day)
        points.append(DayPoint(day, t.minutes, t.walks, t.cadence, t.pain_max))
        day += timedelta(days=1)
    return points


def current_streak(walks: Iterable[WalkLike], today: date) -> int:
    """Consecutive local days with a walk, ending today, or yesterday if today has none yet."""
    days = {w.local_date for w in walks}
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def totals(walks: Iterable[WalkLike], start: date, end: date) -> Totals:
    """Totals of the walks whose local date lies in ``start..end`` (inclusive)."""
    ws = [w for w in walks if start <= w.local_date <= end]
    if not ws:
        return Totals(start=start, end=end)
    pains = [w.pain for w in ws if w.pain is not None]
    return Totals(
        start=start,
        end=end,
        minutes=sum(w.minutes for w in ws),
        walks=len(ws),
        days=len({w.local_date for w in ws}),
        cadence=_weighted_cadence(ws),
        pain_max=max(pains) if pains else None,
        pain_avg=sum(pains) / len(pains) if pains else None,
    )


def summarize(
    walks: Iterable[WalkLike],
    *,
    zone: str | ZoneInfo,
    now: datetime,
    weeks: int = DEFAULT_WEEKS,
    plan_start: date | None = None,
    target_changes: Iterable[tuple[date, WeeklyTargets]] | None = None,
    plan: ProgressionPlan = DEFAULT_PLAN,
) -> ProgressSummary:
    """Everything /progress shows for one user.

    ``walks`` may hold more than the window (the streak may reach further back); ``now`` is
    timezone-aware and ``zone`` the user's IANA zone. Targets come from ``target_changes`` when
    given (the real history, holds included), else from the plan when ``plan_start`` is known,
    else there are none (the chart then shows no target lines).
    """
    all_walks = list(walks)
    today = local_day(now, zone)
    first, last = window(today, weeks)
    targets = target_spans(first, last, plan_start, target_changes, plan)
    week_start, week_end = week_bounds(today, plan_start)
    return ProgressSummary(
        today=today,
        weeks=weeks,
        first=first,
        series=daily_series(all_walks, first, last),
        targets=targets,
        streak=current_streak(all_walks, today),
        week=totals(all_walks, week_start, min(week_end, today)),
        current_targets=targets_on(targets, today),
        any_walks=bool(all_walks),
    )


def short_date(day: date) -> str:
    """``"3 Mar"``: short, unambiguous in any locale, and not dependent on the C locale."""
    return f"{day.day} {_MONTHS[day.month - 1]}"


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_summary(summary: ProgressSummary, texts: Texts | None = None) -> str:
    """The text sent with the chart: streak, this week's totals, targets (one item a line)."""
    t = texts or default_texts()
    lines: list[str] = []
    if not summary.any_walks:
        lines.append(t.get("progress.no_walks"))
    if summary.streak == 0:
        lines.append(t.get("progress.streak_none"))
    elif summary.streak == 1:
        lines.append(t.get("progress.streak_one"))
    else:
        lines.append(t.get("progress.streak_many", days=summary.streak))
    w = summary.week
    start, end = short_date(w.start), short_date(w.end)
    if w.walks:
        lines.append(
            t.get(
                "progress.week", start=start, end=end, minutes=w.minutes, walks=w.walks, days=w.days
            )
        )
        if w.cadence is not None:
            lines.append(t.get("progress.week_cadence", cadence=round(w.cadence)))
        if w.pain_max is not None:
            lines.append(t.get("progress.week_pain", pain=w.pain_max))
    else:
        lines.append(t.get("progress.week_empty", start=start, end=end))
    if summary.current_targets is not None:
        ct = summary.current_targets
        lines.append(t.get("progress.targets", cadence=ct.cadence, minutes=ct.minutes))
    lines.append(t.get("progress.guide"))
    return "\n".join(lines)
