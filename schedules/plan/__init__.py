"""The weekly targets: what a person aims for each plan week, and how that changes.

- ``progression``: the plan's numbers (:class:`ProgressionPlan`, from ``plan.yaml`` with
  ``plan_from_library``) and one week's targets (:class:`WeeklyTargets`).
- ``weeks``: plan-week arithmetic (week 1 starts on the day of the first reminder).
- ``adapt``: the weekly nudge's decision from the walk log (hold, step up, keep) and its text.
- ``planner``: :class:`JournalPlanner`, the reminder engine's week planner that reads the log.
- ``targets``: the targets over time as spans of days (planned, or as really announced) for
  ``/progress``.

Imports nothing at start; import each module directly.
"""
