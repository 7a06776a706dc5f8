"""What a sweep passes between its parts: the clock, the claimed jobs and the sweep's report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from schedules.reminders.delivery import Outgoing

__all__ = ["Clock", "Item", "Job", "SweepReport", "utc_now"]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SweepReport:
    """What one sweep did (counts of deliveries)."""

    claimed: int = 0  # new claims: reminders, nudges, snoozes
    retried: int = 0  # expired claims taken again
    sent: int = 0
    late: int = 0  # of sent, marked late
    skipped: int = 0  # too old after downtime, or the user stopped / was paused meanwhile
    failed: int = 0  # gave up
    paused: int = 0  # subscriptions paused (blocked DMs, channel gone)
    deferred: int = 0  # rate limited or transient error: retried later

    def add(self, other: SweepReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Item:
    """One claimed delivery: its row id, what to send, and the attempt this send is."""

    delivery_id: int
    out: Outgoing
    attempts: int


@dataclass
class Job:
    """The claimed items of one user, sent in order (reminder, then nudge)."""

    user_id: int
    seq: int
    items: list[Item] = field(default_factory=list)
    #: When this process claimed it (``time.monotonic``): a claim just made needs no check.
    claimed_at: float = field(default_factory=time.monotonic)
