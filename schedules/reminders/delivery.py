"""What the engine hands the bot to send, what the bot reports back, and the pacing of sends.

The bot implements :class:`Sender` (one method) and never raises from it: it maps Discord's
answers to a :class:`SendOutcome`::

    class DiscordSender:
        async def send(self, item: Outgoing) -> SendOutcome:
            # item.where == "dm": send to item.dm_channel_id (open the DM only when it is None),
            # else to item.channel_id, mentioning only the user; nonce=item.nonce,
            # enforce_nonce=True; never ping @everyone/@here/roles.
            ...
            return SendOutcome.ok(message.id, dm_channel_id=channel.id)
            # 403 code 50007 (cannot DM this user)       -> SendOutcome.blocked_dm()
            # channel deleted (404 10003) / no permission -> SendOutcome.channel_unavailable()
            # 429                                        -> SendOutcome.rate_limited(retry_after,
            #                                                                   is_global=...)
            # anything else (5xx, timeouts)              -> SendOutcome.error("HTTP 503")

What the engine does with each outcome:

- ``ok``: recorded as sent; a new ``dm_channel_id`` is cached on the subscription.
- ``blocked_dm``: the subscription is paused (``dms_blocked``); never retried.
- ``channel_unavailable`` (``where == "channel"``): one fallback to the user's DMs, then the
  subscription is paused (``channel_unavailable``).
- ``rate_limited``: the claim is released and retried after ``retry_after``; a global one also
  pauses the token bucket.
- ``error``: retried after a back-off, at most ``max_attempts`` times in all.

Either way the user learns about a pause from ``ReminderService.pop_pause_notice`` the next time
they use a command.

The content is data, rendered by the bot from the guide: ``topic`` is today's focus (a unit id from
:data:`FOCUS_TOPICS`, varied day by day and user by user), ``targets``/``previous`` are a nudge's
week targets (see :mod:`schedules.plan.progression`), ``late`` asks for a "sorry, this is late" note.
"""

from __future__ import annotations

import asyncio
import hashlib
import time as _time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal, Protocol

from schedules.plan.progression import WeeklyTargets

__all__ = [
    "FOCUS_TOPICS",
    "Kind",
    "Outgoing",
    "SendOutcome",
    "Sender",
    "TokenBucket",
    "Where",
    "focus_topic",
    "make_nonce",
]

Kind = Literal["reminder", "nudge", "snooze"]
Where = Literal["dm", "channel"]
OutcomeStatus = Literal["ok", "blocked_dm", "channel_unavailable", "rate_limited", "error"]

#: Today's focus for a reminder: knowledge unit ids (CONTRACT.md), in rotation.
FOCUS_TOPICS: tuple[str, ...] = (
    "posture",
    "cadence",
    "footwear",
    "warmup",
    "technique",
    "step_length",
    "arm_swing",
    "incline",
)


def focus_topic(user_id: int, local_date: date) -> str:
    """The focus unit for a user's day: every topic once in 8 days, users out of step."""
    return FOCUS_TOPICS[(local_date.toordinal() + user_id) % len(FOCUS_TOPICS)]


def make_nonce(user_id: int, kind: str, due_utc: datetime, *, fallback: bool = False) -> str:
    """A Discord nonce (20 hex chars, <= 25) fixed by the delivery key: a retried send of the same
    reminder carries the same nonce, so with ``enforce_nonce`` Discord returns the first message
    instead of posting a second one."""
    key = f"{user_id}:{kind}:{due_utc.isoformat()}:{'dm-fallback' if fallback else ''}"
    return hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send."""

    user_id: int
    kind: Kind
    where: Where
    channel_id: int | None  # for where == "channel"
    guild_id: int | None
    dm_channel_id: int | None  # cached DM channel; None: the bot opens the DM (and reports it)
    due_utc: datetime
    local_date: date  # the user's local day this is for
    local_time: time  # their reminder time (wall clock)
    timezone: str
    late: bool  # sent after downtime: say it's late
    nonce: str
    topic: str  # today's focus unit id
    targets: WeeklyTargets | None = None  # kind == "nudge": this week's targets
    previous: WeeklyTargets | None = None  # kind == "nudge": last week's targets
    fallback: bool = False  # a DM sent because the channel could not be used
    #: kind == "nudge": the WeekPlanner's extra details (e.g. a decision and its reasons)
    details: Mapping[str, Any] | None = field(default=None, hash=False)


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """The result of one send. Build with the class methods."""

    status: OutcomeStatus
    message_id: int | None = None
    dm_channel_id: int | None = None
    retry_after: float = 0.0
    is_global: bool = False
    detail: str = ""

    @classmethod
    def ok(cls, message_id: int, dm_channel_id: int | None = None) -> SendOutcome:
        return cls("ok", message_id=message_id, dm_channel_id=dm_channel_id)

    @classmethod
    def blocked_dm(cls) -> SendOutcome:
        return cls("blocked_dm", detail="403 50007: cannot send messages to this user")

    @classmethod
    def channel_unavailable(cls, detail: str = "channel gone or forbidden") -> SendOutcome:
        return cls("channel_unavailable", detail=detail)

    @classmethod
    def rate_limited(cls, retry_after: float, *, is_global: bool = False) -> SendOutcome:
        return cls("rate_limited", retry_after=max(0.0, retry_after), is_global=is_global)

    @classmethod
    def error(cls, detail: str) -> SendOutcome:
        return cls("error", detail=detail[:200])


class Sender(Protocol):
    """Implemented by the bot. Must not raise; an exception is treated as ``error``."""

    async def send(self, item: Outgoing) -> SendOutcome: ...


class TokenBucket:
    """One async token bucket pacing every send: ``rate`` per second, at most ``burst`` at once.

    In any window of ``t`` seconds at most ``burst + rate * t`` tokens are handed out, so with
    ``rate + burst <= 50`` no second ever holds more than Discord's global 50 requests. Waiters
    are served in arrival order. ``clock``/``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = _time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()
        self.granted = 0
        self.base_rate = self.rate
        self.base_burst = self.burst
        self.share = 1

    def set_share(self, sharers: int) -> None:
        """Split the budget with ``sharers - 1`` other processes sending for the same bot:
        ``rate / n`` per second and ``burst // n`` at once (at least 1), so together they stay
        within ``rate + burst`` in any second."""
        n = max(1, int(sharers))
        if n == self.share:
            return
        self._refill(self._clock())
        self.share = n
        self.rate = self.base_rate / n
        self.burst = max(1, self.base_burst // n)
        self._tokens = min(self._tokens, float(self.burst))

    def _refill(self, now: float) -> None:
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self) -> None:
        """Wait for a token."""
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._blocked_until:
                    await self._sleep(self._blocked_until - now)
                    continue
                self._refill(now)
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    self.granted += 1
                    return
                await self._sleep((1.0 - self._tokens) / self.rate)

    def pause(self, seconds: float) -> None:
        """Hand out nothing for ``seconds`` (after a global 429), and start from empty."""
        now = self._clock()
        self._blocked_until = max(self._blocked_until, now + max(0.0, seconds))
        self._refill(now)
        self._tokens = 0.0
        self._stamp = self._blocked_until
