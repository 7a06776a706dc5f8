"""Pure club logic: club days and weeks, the walk call's content, and what the bot implements.

Everything here takes the instant or day it reasons about (no clock, no I/O). A club day is a
local date in the club's zone; a club week runs Monday to Sunday in that zone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from schedules.reminders.delivery import FOCUS_TOPICS, SendOutcome
from schedules.reminders.timecalc import get_zone, next_due

__all__ = [
    "ClubCall",
    "ClubSender",
    "PAUSE_REASONS",
    "WeekFigures",
    "club_day_of",
    "club_focus",
    "call_nonce",
    "next_call",
    "needs_summary",
    "week_figures",
    "week_start",
]

#: Why a club stopped posting: the channel is gone or forbidden, or the bot left the server.
PAUSE_REASONS = ("channel_unavailable", "bot_removed")


def club_day_of(now_utc: datetime, timezone: str) -> date:
    """The club's local date at ``now_utc``."""
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be timezone-aware")
    return now_utc.astimezone(get_zone(timezone)).date()


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def next_call(
    local_time: time, timezone: str, after_utc: datetime, not_before: date | None = None
) -> tuple[datetime, date]:
    """The next walk call strictly after ``after_utc`` (skipped and repeated local times as for
    reminders: :func:`schedules.reminders.timecalc.next_due`)."""
    return next_due(local_time, get_zone(timezone), after_utc, not_before)


def club_focus(guild_id: int, day: date) -> str:
    """Today's focus for a club: every walker unit once in 8 days, clubs out of step."""
    return FOCUS_TOPICS[(day.toordinal() + guild_id) % len(FOCUS_TOPICS)]


def call_nonce(guild_id: int, day: date) -> str:
    """The Discord nonce of a club day's call: a retried send returns the first message."""
    key = f"club:{guild_id}:{day.isoformat()}"
    return hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


def needs_summary(day: date, previous_call_day: date | None) -> bool:
    """Whether the call on ``day`` is the first of its local week (it carries last week's
    summary): some earlier call exists and it was in an earlier week."""
    return previous_call_day is not None and week_start(previous_call_day) < week_start(day)


@dataclass(frozen=True, slots=True)
class WeekFigures:
    """A club week's figures, without names: ``walkers`` distinct people, ``walks`` presses,
    ``days`` days with at least one walker, ``best_day``/``best_count`` the busiest day."""

    start: date
    walkers: int = 0
    walks: int = 0
    days: int = 0
    best_day: date | None = None
    best_count: int = 0

    @property
    def empty(self) -> bool:
        return self.walks == 0


def week_figures(start: date, presses: Iterable[tuple[int, date]]) -> WeekFigures:
    """The figures of the week starting ``start`` from ``(user_id, club_day)`` presses (presses
    outside the week are ignored). Ties for the best day go to the earlier day."""
    end = start + timedelta(days=7)
    per_day: dict[date, int] = {}
    people: set[int] = set()
    walks = 0
    for user, day in presses:
        if start <= day < end:
            per_day[day] = per_day.get(day, 0) + 1
            people.add(user)
            walks += 1
    if not per_day:
        return WeekFigures(start)
    best = min(per_day, key=lambda d: (-per_day[d], d))
    return WeekFigures(start, len(people), walks, len(per_day), best, per_day[best])


@dataclass(frozen=True, slots=True)
class ClubCall:
    """One walk call to post: the bot renders it (content from the guide) and posts it in
    ``channel_id``, pinging ``role_id`` only (when set)."""

    guild_id: int
    channel_id: int
    role_id: int | None
    club_day: date
    due_utc: datetime
    local_time: time
    timezone: str
    late: bool
    nonce: str
    topic: str  # today's focus unit id
    week: WeekFigures  # this week so far (before today's call)
    summary: WeekFigures | None = None  # last week, on the first call of a week
    count: int = 0  # walked today (0 at posting; a retried send may have some)


class ClubSender(Protocol):
    """Implemented by the bot (sibling of the reminder ``Sender``). Must not raise; maps Discord's
    answer to a :class:`SendOutcome` (``channel_unavailable`` for 403/404: the club pauses)."""

    async def post_call(self, call: ClubCall) -> SendOutcome: ...
