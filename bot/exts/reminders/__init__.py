"""Daily walk reminders and weekly nudges: ``/reminders`` and the buttons under each reminder
(``cog``), and the bot's side of the reminder engine's ``Sender`` interface (``sender``)."""

from bot.exts.reminders.cog import reminder_sender, setup, teardown

__all__ = ["reminder_sender", "setup", "teardown"]
