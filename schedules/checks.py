"""Input checks every storage module shares: Discord ids and timezone-aware instants.

Each raises before anything is written: :class:`~schedules.errors.InputError` (with a short
``user_message``) for a value that came from a user, ``ValueError`` for a programming error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schedules.errors import InputError

__all__ = ["MAX_SNOWFLAKE", "aware", "snowflake", "user_id"]

#: Discord ids are unsigned 64-bit; the databases store them as signed BIGINT.
MAX_SNOWFLAKE = 2**63 - 1


def snowflake(value: Any, what: str) -> int:
    """``value`` as a Discord id (a positive int that fits a BIGINT), else InputError."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_SNOWFLAKE:
        raise InputError(f"That is not a valid {what}.")
    return value


def user_id(value: Any) -> int:
    return snowflake(value, "Discord user")


def aware(now: datetime) -> datetime:
    """``now`` unchanged if it is timezone-aware; ``ValueError`` otherwise."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now
