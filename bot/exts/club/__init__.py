"""The walking club: ``/club setup|status|stop`` (``cog``), and the walk call - its message, its
"I walked" button, the paced count edits and the bot's side of the club's ``ClubSender``
(``call``)."""

from bot.exts.club.cog import setup, teardown

__all__ = ["setup", "teardown"]
