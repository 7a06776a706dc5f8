"""The weekly nudge follows the walk log (pure: no database, no clock, no Discord).

:func:`adapt_targets` looks at the seven local days before the nudge's day ("last week") and the
seven before those ("the week before"), and at the targets in force, and decides:

1. **keep** when last week has no walk logged: the plan carries on as scheduled (one weekly step,
   as the reminders' plan does without a log). Reasons: ``no_log``, ``start_slowly``.
2. **hold** when any walk last week logged pain >= :data:`HIGH_PAIN` (7), or pain rose: the
   average or the maximum pain logged last week is higher than the week before (compared only when
   both weeks logged pain). Targets stay; reasons ``pain_high`` and/or ``pain_rose``, then
   ``see_professional``. Pain is checked first: nothing steps up while it rises.
3. Otherwise each target is judged on its own:

   * minutes are *met* when the day's walking minutes reached the minutes target on most days
     (at least :data:`MOST_DAYS`, 4 of 7);
   * cadence is *met* when last week's average cadence (weighted by minutes) reached the cadence
     target, *below* when it did not, and *not logged* when no walk had a cadence.

   **step_up** when at least one target is met: met targets step up; a cadence not logged steps
   with the plan when the minutes were met; a target below stays. **hold** when none is met
   (reasons ``minutes_below`` / ``cadence_below``; no professional is suggested for this).

Targets never go down, and never past the plan's goals (120 steps per minute, 30 minutes); reaching
the cadence goal adds ``cadence_goal`` (the guide's incline technique comes next), reaching the
minutes goal adds ``minutes_goal``. Every text is a key into ``progress.yaml`` (``nudge.*``);
:func:`format_nudge` writes the message, always ending with "Hold the step if pain increases".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from knowledge.texts import Texts, default_texts
from schedules.journal.progress import Totals, WalkLike, daily_series, totals
from schedules.plan.progression import DEFAULT_PLAN, ProgressionPlan, WeeklyTargets

__all__ = [
    "HIGH_PAIN",
    "MOST_DAYS",
    "Adaptation",
    "Decision",
    "Reason",
    "adapt_targets",
    "format_nudge",
]

#: A walk with pain this high or higher holds the targets.
HIGH_PAIN = 7
#: "Most days": of the 7 days of last week, how many must reach the minutes target.
MOST_DAYS = 4


class Decision(StrEnum):
    HOLD = "hold"
    STEP_UP = "step_up"
    KEEP = "keep"


class Reason(StrEnum):
    """Why: each is the key of a text under ``nudge.reasons`` in ``progress.yaml``."""

    NO_LOG = "no_log"
    PAIN_HIGH = "pain_high"
    PAIN_ROSE = "pain_rose"
    SEE_PROFESSIONAL = "see_professional"
    MINUTES_MET = "minutes_met"
    MINUTES_BELOW = "minutes_below"
    CADENCE_MET = "cadence_met"
    CADENCE_BELOW = "cadence_below"
    CADENCE_NOT_LOGGED = "cadence_not_logged"
    CADENCE_GOAL = "cadence_goal"
    MINUTES_GOAL = "minutes_goal"
    START_SLOWLY = "start_slowly"

    @property
    def key(self) -> str:
        return f"nudge.reasons.{self.value}"


@dataclass(frozen=True)
class Adaptation:
    """The nudge's decision: ``targets`` is what applies from today (``previous`` before)."""

    decision: Decision
    targets: WeeklyTargets
    previous: WeeklyTargets
    reasons: tuple[Reason, ...]
    last_week: Totals
    week_before: Totals
    days_on_target: int  # days last week whose minutes reached the minutes target

    @property
    def reason_keys(self) -> tuple[str, ...]:
        """The reasons as ``progress.yaml`` keys (``"nudge.reasons.pain_high"``...)."""
        return tuple(r.key for r in self.reasons)

    @property
    def see_professional(self) -> bool:
        return Reason.SEE_PROFESSIONAL in self.reasons

    def payload(self) -> dict[str, Any]:
        """A JSON-able record of the decision (for the delivery log or an export)."""
        return {
            "decision": self.decision.value,
            "targets": self.targets.as_dict(),
            "previous": self.previous.as_dict(),
            "reasons": [r.value for r in self.reasons],
        }


def _pain_rose(last: Totals, before: Totals) -> bool:
    if last.pain_max is None or before.pain_max is None:
        return False  # nothing to compare
    assert last.pain_avg is not None and before.pain_avg is not None
    return last.pain_max > before.pain_max or last.pain_avg > before.pain_avg


def adapt_targets(
    walks: Iterable[WalkLike],
    *,
    today: date,
    current: WeeklyTargets,
    week: int | None = None,
    plan: ProgressionPlan = DEFAULT_PLAN,
) -> Adaptation:
    """Decide this week's targets from the log (see the module docstring for the rules).

    ``today`` is the user's local date of the nudge (the first day of the new plan week);
    ``current`` the targets of the week that just ended; ``week`` the new week's number
    (default ``current.week + 1``). Walks outside the two weeks before ``today`` are ignored.
    The new targets are ``plan.advance`` (a step up), ``plan.hold`` or a mix per dimension.
    """
    new_week = current.week + 1 if week is None else week
    step = plan.advance(current, new_week)
    same = plan.hold(current, new_week)
    ws = list(walks)
    last_start, last_end = today - timedelta(days=7), today - timedelta(days=1)
    last = totals(ws, last_start, last_end)
    before = totals(ws, today - timedelta(days=14), today - timedelta(days=8))
    series = daily_series(ws, last_start, last_end)
    days_on_target = sum(1 for p in series if p.walks and p.minutes >= current.minutes)

    def done(decision: Decision, new: WeeklyTargets, reasons: list[Reason]) -> Adaptation:
        if decision is not Decision.HOLD:
            if new.cadence >= plan.cadence_goal:
                reasons.append(Reason.CADENCE_GOAL)
            if new.minutes >= plan.minutes_goal:
                reasons.append(Reason.MINUTES_GOAL)
        return Adaptation(
            decision=decision,
            targets=new,
            previous=current,
            reasons=tuple(reasons),
            last_week=last,
            week_before=before,
            days_on_target=days_on_target,
        )

    if last.walks == 0:
        return done(Decision.KEEP, step, [Reason.NO_LOG, Reason.START_SLOWLY])

    pain: list[Reason] = []
    if last.pain_max is not None and last.pain_max >= HIGH_PAIN:
        pain.append(Reason.PAIN_HIGH)
    if _pain_rose(last, before):
        pain.append(Reason.PAIN_ROSE)
    if pain:
        return done(Decision.HOLD, same, [*pain, Reason.SEE_PROFESSIONAL])

    reasons: list[Reason] = []
    minutes_met = days_on_target >= MOST_DAYS
    reasons.append(Reason.MINUTES_MET if minutes_met else Reason.MINUTES_BELOW)
    if last.cadence is None:
        cadence_met: bool | None = None
    else:
        cadence_met = last.cadence >= current.cadence
        reasons.append(Reason.CADENCE_MET if cadence_met else Reason.CADENCE_BELOW)

    if cadence_met is None:
        if not minutes_met:
            return done(Decision.HOLD, same, reasons)
        reasons.append(Reason.CADENCE_NOT_LOGGED)
        return done(Decision.STEP_UP, step, reasons)
    if not minutes_met and not cadence_met:
        return done(Decision.HOLD, same, reasons)
    cadence = step.cadence if cadence_met else same.cadence
    new = WeeklyTargets(
        week=new_week,
        cadence=cadence,
        minutes=step.minutes if minutes_met else same.minutes,
        incline=cadence >= plan.cadence_goal,
    )
    return done(Decision.STEP_UP, new, reasons)


def _reason_text(a: Adaptation, reason: Reason, t: Texts) -> str:
    values: dict[str, object] = {
        "pain": a.last_week.pain_max if a.last_week.pain_max is not None else 0,
        "minutes": a.previous.minutes,
        "days": a.days_on_target,
        "cadence": round(a.last_week.cadence) if a.last_week.cadence is not None else 0,
    }
    if reason is Reason.CADENCE_GOAL:
        values["cadence"] = a.targets.cadence
    elif reason is Reason.MINUTES_GOAL:
        values["minutes"] = a.targets.minutes
    return t.get(reason.key, **values)


def format_nudge(adaptation: Adaptation, texts: Texts | None = None) -> str:
    """The nudge's text: the decision, the reasons, the targets, and the plan's rule."""
    t = texts or default_texts()
    a = adaptation
    head = a.decision.value
    if a.decision is Decision.STEP_UP and (
        Reason.MINUTES_BELOW in a.reasons or Reason.CADENCE_BELOW in a.reasons
    ):
        head = "step_up_some"
    lines = [t.get(f"nudge.{head}")]
    lines += [_reason_text(a, r, t) for r in a.reasons]
    lines.append(t.get("nudge.targets", cadence=a.targets.cadence, minutes=a.targets.minutes))
    lines.append(t.get("nudge.always"))
    return "\n".join(lines)
