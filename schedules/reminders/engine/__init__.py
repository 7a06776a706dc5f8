"""The reminder engine: one sweep a minute over the subscriptions table, exactly-once delivery.

Usage (in the bot's ``setup_hook`` or a cog's ``cog_load``; needs a running event loop)::

    db = await Database.open()                       # migrated
    engine = ReminderEngine(db, sender, settings=settings.reminders)  # sender: delivery.Sender
    await engine.start()                             # sweeps now, then every minute
    ...
    await engine.stop()                              # nothing is sent after this returns

Where each part of a sweep lives:

- :mod:`.lifecycle`: :class:`ReminderEngine` - start/stop, the per-minute tick, the sweep loop,
  the sweepers heartbeat (engines that are sending share Discord's per-bot rate), health fields.
- :mod:`.claims`: claiming expired claims, due subscriptions and due snoozes in one transaction
  per batch; the grace window (a reminder overdue by more is recorded ``skipped`` and
  rescheduled, one overdue by less is sent with ``late=True`` when at least
  ``late_after_minutes`` overdue); the weekly nudge when a day starts a new plan week
  (:class:`WeekPlanner`, week arithmetic in :mod:`schedules.plan.weeks`).
- :mod:`.send`: the send policy - pacing through one token bucket, ``max_in_flight`` concurrent
  sends, retries, and what each outcome means.
- :mod:`.recorder`: the one writer of outcomes during a sweep, in small batches.
- :mod:`.jobs`: the :data:`Clock`, the claimed jobs and the :class:`SweepReport`.

The clock is injectable (``clock=``), and ``sweep(now)`` takes the instant explicitly in tests.
"""

from schedules.reminders.engine.claims import WeekPlanner
from schedules.reminders.engine.jobs import Clock, SweepReport, utc_now
from schedules.reminders.engine.lifecycle import ReminderEngine

__all__ = ["Clock", "ReminderEngine", "SweepReport", "WeekPlanner", "utc_now"]
