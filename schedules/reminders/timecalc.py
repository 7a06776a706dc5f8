"""Pure time logic: reading a reminder time, and the next due instant across daylight saving.

- :func:`parse_local_time` reads what people type (``7:30``, ``07:30``, ``7:30am``, ``7:30 pm``,
  ``19:30``, ``7am``, ``0730``, ``19h30``, ``noon``) and raises :class:`TimeFormatError` (with a
  short ``user_message``) for anything else (``25:00``, ``7:75``, ``13:00pm``, ``abc``).
- :func:`get_zone` returns a cached ``ZoneInfo`` (``ZoneInfo`` itself keeps only 8 zones strongly
  cached; computing 100k next-due instants without our cache is ~7x slower).
- :func:`next_due` gives the next UTC instant at which a daily reminder at ``local_time`` in
  ``zone`` fires, after a given instant. The rules (one reminder per user per local day):

  * a local time skipped by spring-forward fires once that day, shifted forward by the gap
    (02:30 in New York on spring-forward day fires at 03:30 EDT);
  * a local time repeated by fall-back fires once, at its first occurrence (``fold=0``);
  * ``not_before`` gives the first local date allowed, so a day that already had its reminder is
    never given a second one (e.g. when the user changes their time after today's was sent).

Everything here is pure (no I/O, no clock): every function takes the instant it reasons about.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from schedules.errors import TimeFormatError

__all__ = [
    "MAX_TIME_TEXT",
    "format_local_time",
    "get_zone",
    "local_due",
    "next_due",
    "parse_local_time",
]

#: Longest time text accepted (``"12:30 p.m."`` is 10 characters).
MAX_TIME_TEXT = 16

_TIME_RE = re.compile(
    r"""^
    (?P<h>[0-9]{1,2})                    # hour
    (?:\s*[:.h]?\s*(?P<m>[0-9]{2}))?     # optional minutes, with or without a separator
    \s*(?:(?P<ap>[ap])\.?\s*(?:m\.?)?)?  # optional am / pm / a.m. / p.m. / a / p
    $""",
    re.VERBOSE,
)
_WORDS = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}
_HINT = "Use a time like 7:30, 07:30, 7:30pm or 19:30."


def parse_local_time(text: str) -> time:
    """Read a wall-clock time of day (minute precision) from what a person typed.

    Accepted: ``H``/``HH`` (24 h), ``H:MM``, ``HH:MM``, ``HHMM``, ``H.MM``, ``HHhMM``, any of those
    followed by ``am``/``pm`` (``a.m.``, ``p``, with or without a space), ``noon``, ``midnight``.
    With am/pm the hour must be 1-12 (``12am`` is midnight, ``12pm`` noon).

    Raises :class:`TimeFormatError` with a short ``user_message`` otherwise.
    """
    if not isinstance(text, str):
        raise TimeFormatError(f"That is not a time. {_HINT}")
    raw = text.strip().lower()
    if not raw:
        raise TimeFormatError(f"Please give a time. {_HINT}")
    if len(raw) > MAX_TIME_TEXT:
        raise TimeFormatError(f"That time is too long. {_HINT}")
    if raw in _WORDS:
        return _WORDS[raw]
    match = _TIME_RE.match(raw)
    if match is None:
        raise TimeFormatError(f"I can't read that time. {_HINT}")
    hour = int(match.group("h"))
    minute = int(match.group("m") or 0)
    ampm = match.group("ap")
    if minute > 59:
        raise TimeFormatError(f"Minutes go from 00 to 59. {_HINT}")
    if ampm is not None:
        if not 1 <= hour <= 12:
            raise TimeFormatError(
                f"With am/pm the hour goes from 1 to 12. Use {hour:02d}:{minute:02d} "
                "without am/pm for a 24-hour time."
                if hour <= 23
                else f"Hours go from 0 to 23. {_HINT}"
            )
        hour = hour % 12 + (12 if ampm == "p" else 0)
    elif hour > 23:
        raise TimeFormatError(f"Hours go from 0 to 23. {_HINT}")
    return time(hour, minute)


def format_local_time(value: time) -> str:
    """``time(7, 5)`` -> ``"07:05"`` (the form stored and shown back to users)."""
    return f"{value.hour:02d}:{value.minute:02d}"


@cache
def get_zone(name: str) -> ZoneInfo:
    """A strongly cached ``ZoneInfo`` (raises ``ZoneInfoNotFoundError`` / ``ValueError``)."""
    return ZoneInfo(name)


def local_due(local_date: date, local_time: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``local_time`` on ``local_date`` in ``zone``.

    ``fold=0`` gives both DST rules at once (PEP 495): a time in a spring-forward gap is read with
    the offset from before the transition, which lands it after the gap, shifted forward by the
    gap's length; a repeated time resolves to its first occurrence.
    """
    wall = datetime.combine(local_date, local_time.replace(tzinfo=None, fold=0), tzinfo=zone)
    return wall.astimezone(UTC)


def next_due(
    local_time: time,
    zone: ZoneInfo,
    after_utc: datetime,
    not_before: date | None = None,
) -> tuple[datetime, date]:
    """The first daily due instant strictly after ``after_utc``, and the local date it is for.

    ``not_before`` (optional) is the earliest local date allowed: pass the day after the last
    reminder's date so one local day never gets two reminders. Returns ``(due_utc, local_date)``.
    """
    if after_utc.tzinfo is None:
        raise ValueError("after_utc must be timezone-aware")
    # Start a day early: a shifted (gap) time of the previous date can still lie ahead.
    day = after_utc.astimezone(zone).date() - timedelta(days=1)
    if not_before is not None and day < not_before:
        day = not_before
    for _ in range(4):
        due = local_due(day, local_time, zone)
        if due > after_utc:
            return due, day
        day += timedelta(days=1)
    raise AssertionError("unreachable: a local date ahead always has a later instant")
