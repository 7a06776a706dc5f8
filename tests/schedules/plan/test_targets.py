"""Targets as spans of days: from the plan week by week, or as they were really announced."""

from __future__ import annotations

from datetime import date, timedelta

from schedules.plan.progression import ProgressionPlan, WeeklyTargets
from schedules.plan.targets import (
    TargetSpan,
    planned_targets,
    recorded_targets,
    target_spans,
    targets_on,
)

TODAY = date(2025, 6, 18)  # a Wednesday


def test_planned_targets_step_weekly_and_cap() -> None:
    start = date(2025, 1, 1)
    spans = planned_targets(start, start, start + timedelta(days=7 * 12 - 1))
    assert len(spans) == 12
    assert [s.cadence for s in spans] == [85, 90, 95, 100, 105, 110, 115, 120, 120, 120, 120, 120]
    assert [s.minutes for s in spans[:6]] == [10, 15, 20, 25, 30, 30]
    assert all((s.end - s.start).days == 6 for s in spans)
    assert all(b.start - a.end == timedelta(days=1) for a, b in zip(spans, spans[1:], strict=False))


def test_planned_targets_are_clipped_to_the_window_and_the_plan_start() -> None:
    start = date(2025, 6, 10)
    spans = planned_targets(start, date(2025, 6, 1), date(2025, 6, 20))
    assert spans[0].start == start  # nothing before the plan started
    assert spans[-1].end == date(2025, 6, 20)
    assert [(s.cadence, s.minutes) for s in spans] == [(85, 10), (90, 15)]
    assert planned_targets(date(2025, 7, 1), date(2025, 6, 1), date(2025, 6, 20)) == []


def test_planned_targets_take_the_plan_numbers() -> None:
    plan = ProgressionPlan(cadence_start=80, cadence_step=10, minutes_start=5, minutes_step=10)
    spans = planned_targets(TODAY, TODAY, TODAY + timedelta(days=20), plan)
    assert [(s.cadence, s.minutes) for s in spans] == [(80, 5), (90, 15), (100, 25)]


def test_recorded_targets_hold_until_the_next_change() -> None:
    changes = [
        (date(2025, 6, 8), WeeklyTargets(2, 90, 15, False)),
        (date(2025, 6, 1), WeeklyTargets(1, 85, 10, False)),
        (date(2025, 6, 15), WeeklyTargets(3, 90, 15, False)),  # a hold
    ]
    spans = recorded_targets(changes, date(2025, 6, 5), date(2025, 6, 18))
    assert [(s.start, s.end, s.cadence) for s in spans] == [
        (date(2025, 6, 5), date(2025, 6, 7), 85),
        (date(2025, 6, 8), date(2025, 6, 14), 90),
        (date(2025, 6, 15), date(2025, 6, 18), 90),
    ]
    assert recorded_targets([], date(2025, 6, 5), date(2025, 6, 18)) == []


def test_targets_on_finds_the_span_in_force() -> None:
    spans = [TargetSpan(date(2025, 6, 1), date(2025, 6, 7), 85, 10)]
    assert targets_on(spans, date(2025, 6, 7)) == spans[0]
    assert targets_on(spans, date(2025, 6, 8)) is None


def test_target_spans_prefer_the_record_then_the_plan() -> None:
    first, last = date(2025, 6, 1), date(2025, 6, 14)
    changes = [(date(2025, 6, 1), WeeklyTargets(1, 85, 10, False))]
    assert target_spans(first, last, date(2025, 5, 1), changes) == recorded_targets(
        changes, first, last
    )
    assert target_spans(first, last, date(2025, 6, 1), None) == planned_targets(
        date(2025, 6, 1), first, last
    )
    assert target_spans(first, last, None, None) == []
