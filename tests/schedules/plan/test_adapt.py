"""The weekly nudge follows the log: hold on pain, step up when targets were met, keep with no log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from knowledge.texts import default_texts
from schedules.plan.adapt import HIGH_PAIN, MOST_DAYS, Decision, Reason, adapt_targets, format_nudge
from schedules.plan.planner import LogWalk as W
from schedules.plan.progression import ProgressionPlan, WeeklyTargets

TODAY = date(2025, 6, 18)  # the nudge's local day: the first day of the new plan week
CURRENT = WeeklyTargets(week=3, cadence=95, minutes=20, incline=False)


def last_week(
    days: int, minutes: int = 25, cadence: int | None = 100, pain: int | None = 2
) -> list[W]:
    """One walk on each of ``days`` days of last week (yesterday backwards)."""
    return [W(TODAY - timedelta(days=d), minutes, cadence, pain) for d in range(1, days + 1)]


def week_before(pain: int | None, days: int = 5) -> list[W]:
    return [W(TODAY - timedelta(days=d), 25, 100, pain) for d in range(8, 8 + days)]


def adapt(walks: list[W], current: WeeklyTargets = CURRENT, **kw: object):  # type: ignore[no-untyped-def]
    return adapt_targets(walks, today=TODAY, current=current, **kw)  # type: ignore[arg-type]


# --- no log ---------------------------------------------------------------------------------------


def test_no_log_keeps_the_plan_and_steps_as_scheduled() -> None:
    a = adapt([])
    assert a.decision is Decision.KEEP
    assert (a.targets.week, a.targets.cadence, a.targets.minutes) == (4, 100, 25)
    assert a.reasons == (Reason.NO_LOG, Reason.START_SLOWLY)
    assert not a.see_professional


def test_walks_only_before_last_week_count_as_no_log() -> None:
    assert adapt(week_before(pain=1)).decision is Decision.KEEP
    # and a walk today (the nudge's day) is this week's, not last week's
    assert adapt([W(TODAY, 60, 130, 0)]).decision is Decision.KEEP


# --- pain -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("pain", [HIGH_PAIN, 8, 10])
def test_one_walk_with_high_pain_holds_and_suggests_a_professional(pain: int) -> None:
    walks = [*last_week(6, pain=1), W(TODAY - timedelta(days=3), 30, 110, pain)]
    a = adapt(walks)
    assert a.decision is Decision.HOLD
    assert (a.targets.cadence, a.targets.minutes) == (CURRENT.cadence, CURRENT.minutes)
    assert a.targets.week == 4  # the week moves on, the targets do not
    assert Reason.PAIN_HIGH in a.reasons and a.see_professional
    assert f"{pain}/10" in format_nudge(a)


def test_pain_just_below_high_with_targets_met_steps_up() -> None:
    a = adapt(last_week(6, pain=HIGH_PAIN - 1) + week_before(pain=HIGH_PAIN - 1))
    assert a.decision is Decision.STEP_UP


def test_higher_max_pain_than_the_week_before_holds() -> None:
    walks = [*last_week(5, pain=2), W(TODAY - timedelta(days=6), 30, 100, 5), *week_before(pain=4)]
    a = adapt(walks)
    assert a.decision is Decision.HOLD
    assert a.reasons == (Reason.PAIN_ROSE, Reason.SEE_PROFESSIONAL)


def test_higher_average_pain_with_the_same_max_holds() -> None:
    walks = (
        last_week(6, pain=4) + [W(TODAY - timedelta(days=8), 25, 100, 4)] + week_before(1, 4)[1:]
    )
    a = adapt(walks)
    assert a.last_week.pain_max == a.week_before.pain_max == 4
    assert a.decision is Decision.HOLD and Reason.PAIN_ROSE in a.reasons


def test_high_and_rising_pain_give_both_reasons_once() -> None:
    a = adapt(last_week(5, pain=8) + week_before(pain=2))
    assert a.reasons == (Reason.PAIN_HIGH, Reason.PAIN_ROSE, Reason.SEE_PROFESSIONAL)


def test_same_or_lower_pain_does_not_hold() -> None:
    assert adapt(last_week(5, pain=3) + week_before(pain=3)).decision is Decision.STEP_UP
    assert adapt(last_week(5, pain=1) + week_before(pain=5)).decision is Decision.STEP_UP


def test_pain_is_not_compared_when_a_week_logged_none() -> None:
    # last week has pain but the week before logged no pain values: nothing to compare
    assert adapt(last_week(5, pain=5) + week_before(pain=None)).decision is Decision.STEP_UP
    assert adapt(last_week(5, pain=None) + week_before(pain=3)).decision is Decision.STEP_UP


def test_pain_holds_even_when_every_target_was_beaten() -> None:
    a = adapt(last_week(7, minutes=60, cadence=130, pain=6) + week_before(pain=5))
    assert a.decision is Decision.HOLD and a.see_professional


# --- targets met or not --------------------------------------------------------------------------


def test_targets_met_on_most_days_step_up() -> None:
    a = adapt(last_week(MOST_DAYS, minutes=CURRENT.minutes, cadence=CURRENT.cadence))
    assert a.decision is Decision.STEP_UP
    assert (a.targets.cadence, a.targets.minutes) == (100, 25)
    assert a.reasons == (Reason.MINUTES_MET, Reason.CADENCE_MET)
    assert a.days_on_target == MOST_DAYS


def test_minutes_on_too_few_days_hold_without_a_professional() -> None:
    a = adapt(last_week(MOST_DAYS - 1, minutes=40, cadence=90))
    assert a.decision is Decision.HOLD
    assert (a.targets.cadence, a.targets.minutes) == (CURRENT.cadence, CURRENT.minutes)
    assert a.reasons == (Reason.MINUTES_BELOW, Reason.CADENCE_BELOW)
    assert not a.see_professional


def test_several_short_walks_on_one_day_add_up() -> None:
    day = TODAY - timedelta(days=1)
    walks = [W(day - timedelta(days=d), 10, 100, 1) for d in range(4) for _ in range(2)]
    a = adapt(walks)  # 2 x 10 minutes on 4 days reaches the 20-minute target
    assert a.days_on_target == 4 and a.decision is Decision.STEP_UP


def test_only_the_met_target_steps_up() -> None:
    minutes_only = adapt(last_week(5, minutes=25, cadence=90))
    assert minutes_only.decision is Decision.STEP_UP
    assert (minutes_only.targets.cadence, minutes_only.targets.minutes) == (95, 25)
    assert "part of your targets" in format_nudge(minutes_only)
    cadence_only = adapt(last_week(3, minutes=25, cadence=97))
    assert cadence_only.decision is Decision.STEP_UP
    assert (cadence_only.targets.cadence, cadence_only.targets.minutes) == (100, 20)


def test_cadence_is_weighted_by_minutes() -> None:
    # 4 long walks on target, 3 short slow ones: the weighted average is still on target
    walks = last_week(4, minutes=30, cadence=100) + [
        W(TODAY - timedelta(days=d), 5, 70, 1) for d in (5, 6, 7)
    ]
    a = adapt(walks)
    assert a.last_week.cadence is not None and a.last_week.cadence >= CURRENT.cadence
    assert Reason.CADENCE_MET in a.reasons


def test_no_cadence_logged_follows_the_plan_when_minutes_were_met() -> None:
    a = adapt(last_week(5, cadence=None))
    assert a.decision is Decision.STEP_UP
    assert a.targets.cadence == 100
    assert Reason.CADENCE_NOT_LOGGED in a.reasons
    b = adapt(last_week(2, cadence=None))
    assert b.decision is Decision.HOLD and b.targets.cadence == CURRENT.cadence


# --- goals and caps -------------------------------------------------------------------------------


def test_targets_stop_at_the_goals_and_suggest_incline() -> None:
    current = WeeklyTargets(week=9, cadence=115, minutes=30, incline=False)
    a = adapt(last_week(6, minutes=30, cadence=118), current=current)
    assert (a.targets.cadence, a.targets.minutes) == (120, 30)
    assert a.targets.incline
    assert Reason.CADENCE_GOAL in a.reasons and Reason.MINUTES_GOAL in a.reasons
    again = adapt(last_week(6, minutes=35, cadence=125), current=a.targets)
    assert (again.targets.cadence, again.targets.minutes) == (120, 30)
    assert "incline" in format_nudge(a).lower()


def test_a_pain_hold_at_the_goal_does_not_push_incline() -> None:
    current = WeeklyTargets(week=9, cadence=120, minutes=30, incline=True)
    a = adapt(last_week(6, minutes=30, cadence=120, pain=8), current=current)
    assert a.decision is Decision.HOLD
    assert Reason.CADENCE_GOAL not in a.reasons


def test_plan_numbers_are_parameters() -> None:
    plan = ProgressionPlan(cadence_step=10, minutes_step=10, minutes_goal=45)
    a = adapt(last_week(5), plan=plan)
    assert (a.targets.cadence, a.targets.minutes) == (105, 30)
    assert adapt([], plan=plan, week=7).targets.week == 7


# --- output ---------------------------------------------------------------------------------------


def test_reason_keys_are_all_in_the_content() -> None:
    texts = default_texts()
    for reason in Reason:
        assert reason.key in texts
    for decision in Decision:
        assert f"nudge.{decision.value}" in texts


@pytest.mark.parametrize(
    "walks",
    [[], last_week(5), last_week(5, pain=9), last_week(2), last_week(5, minutes=25, cadence=90)],
)
def test_every_nudge_says_the_rule_and_the_targets(walks: list[W]) -> None:
    a = adapt(walks)
    text = format_nudge(a)
    assert "Hold the step if pain increases." in text
    assert f"{a.targets.cadence} steps per minute and {a.targets.minutes} minutes" in text
    assert "{" not in text and "}" not in text
    assert len(text) < 2000
    assert ("healthcare professional" in text) == a.see_professional


def test_payload_is_json_ready() -> None:
    import json

    a = adapt(last_week(5, pain=9))
    data = json.loads(json.dumps(a.payload()))
    assert data["decision"] == "hold"
    assert data["targets"] == {"week": 4, "cadence": 95, "minutes": 20, "incline": False}
    assert data["previous"]["week"] == 3
    assert "see_professional" in data["reasons"]
