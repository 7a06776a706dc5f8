"""Questions answered from the guide: ``/ask`` and messages to the bot (``cog``), and "Was this
helpful?" under answers (``feedback``: the questions kept for votes, the votes, the unanswered
questions for ``walkwell report``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.ask.cog import Ask
from bot.exts.ask.feedback import Feedback
from bot.ui.render import FeedbackButton

if TYPE_CHECKING:
    from bot.app import WalkWell

__all__ = ["Ask", "Feedback", "setup", "teardown"]


async def setup(bot: WalkWell) -> None:
    bot.add_dynamic_items(FeedbackButton)
    await bot.add_cog(Feedback(bot))
    await bot.add_cog(Ask(bot))


async def teardown(bot: WalkWell) -> None:
    bot.remove_dynamic_items(FeedbackButton)
