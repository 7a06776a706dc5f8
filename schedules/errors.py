"""Errors for bad input, shared by every storage module.

Every error a user can cause is an :class:`InputError`: a ``ValueError`` carrying a short,
user-facing ``user_message`` the bot can show privately as is. Nothing is stored when one is raised.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input. ``user_message`` is short, plain and safe to show to the user."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class TimeFormatError(InputError):
    """A reminder time that cannot be read, e.g. ``25:00`` or ``13:00pm``."""


class TimezoneError(InputError):
    """A timezone that is not an IANA name or a known alias."""


class NotSubscribedError(InputError):
    """The action needs reminders to be on (e.g. snooze) and they are not."""
