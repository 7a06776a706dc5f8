"""Progress: daily series, streaks, totals and the summary text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from schedules.journal.progress import (
    DEFAULT_WEEKS,
    MAX_WEEKS,
    current_streak,
    daily_series,
    format_summary,
    short_date,
    summarize,
    totals,
    validate_weeks,
    window,
)
from schedules.journal.walklog import WalkEntry, WalkInputError, validate_walk
from schedules.plan.planner import LogWalk as W  # any object with a walk's fields will do
from schedules.plan.progression import WeeklyTargets

TODAY = date(2025, 6, 18)  # a Wednesday


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


# --- series --------------------------------------------------------------------------------------


def test_daily_series_covers_every_day_and_sums_minutes() -> None:
    walks = [W(ago(0), 10), W(ago(0), 15), W(ago(2), 30), W(ago(30), 99)]
    first, last = window(TODAY, 1)
    series = daily_series(walks, first, last)
    assert [p.day for p in series] == [ago(d) for d in range(6, -1, -1)]
    by_day = {p.day: p for p in series}
    assert (by_day[TODAY].minutes, by_day[TODAY].walks) == (25, 2)
    assert by_day[ago(2)].minutes == 30
    assert by_day[ago(1)].minutes == 0 and by_day[ago(1)].walks == 0
    assert sum(p.minutes for p in series) == 55  # the walk 30 days ago is outside


def test_daily_cadence_is_weighted_by_minutes_and_pain_is_the_max() -> None:
    walks = [W(TODAY, 30, 100, 2), W(TODAY, 10, 80, 6), W(TODAY, 5, None, None)]
    (point,) = daily_series(walks, TODAY, TODAY)
    assert point.cadence == pytest.approx((30 * 100 + 10 * 80) / 40)
    assert point.pain == 6
    (empty,) = daily_series([W(TODAY, 5)], TODAY, TODAY)
    assert empty.cadence is None and empty.pain is None


def test_series_accepts_walk_entries() -> None:
    now = datetime(2025, 6, 18, 9, 0, tzinfo=UTC)
    entry = validate_walk(20, 90, 1, now=now, zone="UTC")
    assert isinstance(entry, WalkEntry)
    assert daily_series([entry], TODAY, TODAY)[0].minutes == 20


def test_series_rejects_a_reversed_range() -> None:
    with pytest.raises(ValueError):
        daily_series([], TODAY, ago(1))


@pytest.mark.parametrize("weeks", [1, 4, 12])
def test_window_is_whole_weeks_ending_today(weeks: int) -> None:
    first, last = window(TODAY, weeks)
    assert last == TODAY and (last - first).days + 1 == 7 * weeks


# --- streak --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_walked", "expected"),
    [
        ([], 0),
        ([0], 1),
        ([0, 1, 2], 3),
        ([1, 2, 3], 3),  # today not walked yet: the streak still stands
        ([2, 3, 4], 0),  # yesterday missed: broken
        ([0, 1, 3, 4, 5], 2),
        ([0, 0, 1], 2),  # two walks on one day count once
    ],
)
def test_current_streak(days_walked: list[int], expected: int) -> None:
    assert current_streak([W(ago(d), 10) for d in days_walked], TODAY) == expected


def test_streak_ignores_future_days() -> None:
    assert current_streak([W(TODAY + timedelta(days=1), 10)], TODAY) == 0


# --- totals and weeks ----------------------------------------------------------------------------


def test_totals() -> None:
    walks = [W(ago(0), 20, 100, 2), W(ago(1), 30, 90, 5), W(ago(1), 10), W(ago(9), 60, 120, 9)]
    t = totals(walks, ago(6), TODAY)
    assert (t.minutes, t.walks, t.days) == (60, 3, 2)
    assert t.cadence == pytest.approx((20 * 100 + 30 * 90) / 50)
    assert (t.pain_max, t.pain_avg) == (5, 3.5)
    empty = totals(walks, ago(20), ago(15))
    assert (empty.minutes, empty.walks, empty.cadence, empty.pain_max) == (0, 0, None, None)


@pytest.mark.parametrize(("weeks", "expected"), [(None, DEFAULT_WEEKS), (1, 1), (MAX_WEEKS, 26)])
def test_validate_weeks(weeks: int | None, expected: int) -> None:
    assert validate_weeks(weeks) == expected


@pytest.mark.parametrize("weeks", [0, -1, MAX_WEEKS + 1, 1000, True, "4", 2.5])
def test_validate_weeks_refuses(weeks: object) -> None:
    with pytest.raises(WalkInputError) as info:
        validate_weeks(weeks)
    assert str(MAX_WEEKS) in info.value.user_message


# --- summary --------------------------------------------------------------------------------------


def test_summary_in_the_users_zone() -> None:
    # 11:30 UTC on 18 June is 23:30 in Auckland (NZST, UTC+12): still the 18th there
    now = datetime(2025, 6, 18, 11, 30, tzinfo=UTC)
    walks = [W(ago(0), 25, 95, 2), W(ago(1), 20), W(ago(2), 15, None, 4)]
    s = summarize(walks, zone="Pacific/Auckland", now=now, weeks=2, plan_start=ago(9))
    assert s.today == TODAY and s.first == ago(13) and len(s.series) == 14
    assert s.streak == 3
    assert (s.week.start, s.week.end) == (ago(2), TODAY)  # plan week 2 started 2 days ago
    assert s.week.minutes == 60 and s.week.pain_max == 4
    assert s.current_targets is not None
    assert (s.current_targets.cadence, s.current_targets.minutes) == (90, 15)
    # an hour later it is the 19th in Auckland: the streak still stands, the window moved
    later = summarize(walks, zone="Pacific/Auckland", now=now + timedelta(hours=1), weeks=2)
    assert later.today == TODAY + timedelta(days=1) and later.streak == 3
    assert later.targets == [] and later.current_targets is None


def test_summary_prefers_the_recorded_targets() -> None:
    now = datetime(2025, 6, 18, 12, 0, tzinfo=UTC)
    changes = [(ago(20), WeeklyTargets(1, 85, 10, False))]
    s = summarize([], zone="UTC", now=now, weeks=1, plan_start=ago(60), target_changes=changes)
    assert [(t.cadence, t.minutes) for t in s.targets] == [(85, 10)]


def test_format_summary_with_walks() -> None:
    now = datetime(2025, 6, 18, 12, 0, tzinfo=UTC)
    walks = [W(ago(0), 25, 96, 2), W(ago(1), 20, None, 6)]
    text = format_summary(summarize(walks, zone="UTC", now=now, plan_start=ago(9)))
    assert "Streak: 2 days in a row." in text
    assert "45 min" in text and "Walks: 2" in text
    assert "96 steps per minute" in text  # 25 min at 96, the other walk had no cadence
    assert "6/10" in text
    assert "90 steps per minute and 15 minutes a day" in text
    assert "No walks logged yet" not in text


def test_format_summary_without_walks() -> None:
    now = datetime(2025, 6, 18, 12, 0, tzinfo=UTC)
    text = format_summary(summarize([], zone="UTC", now=now))
    assert "No walks logged yet" in text
    assert "No streak" in text
    assert f"{short_date(date(2025, 6, 16))} to {short_date(TODAY)}" in text
    assert "targets" not in text.lower().split("from the guide")[0]


def test_short_date_is_locale_independent() -> None:
    assert short_date(date(2025, 3, 3)) == "3 Mar"
    assert short_date(date(2025, 12, 25)) == "25 Dec"
