"""``/guide topic``: open one section or FAQ answer; the topic autocompletes from memory.

The extension also registers :class:`bot.ui.render.UnitButton`, the button that opens a unit
under answers, reminders, ``/faq`` and ``/cadence``.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.ask.feedback import remember_question, send_then_record
from bot.ui import render, sanitize, textsplit
from knowledge.models import Library, Unit

if TYPE_CHECKING:
    from bot.app import WalkWell

log = logging.getLogger(__name__)

#: Discord shows at most 25 autocomplete choices.
MAX_CHOICES = 25
TOPIC_MAX_LENGTH = 100
#: The topic option: a unit's id (what autocomplete sends), title, question or alias.
Topic = app_commands.Range[str, 1, TOPIC_MAX_LENGTH]


def _key(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").split())


def resolve_topic(library: Library, topic: str) -> Unit | None:
    """The unit ``topic`` names exactly: its id (what autocomplete sends), title, question or alias."""
    topic = topic.strip()
    if topic in library.units:
        return library.units[topic]
    wanted = _key(topic)
    if not wanted:
        return None
    for unit in library.units.values():
        names = (unit.id, unit.title, unit.question or "", *unit.aliases)
        if any(_key(name) == wanted for name in names):
            return unit
    return None


class Guide(commands.Cog):
    def __init__(self, bot: WalkWell) -> None:
        self.bot = bot

    @app_commands.command(name="guide", description="Open a section of the guide or an FAQ answer")
    @app_commands.describe(topic="Start typing: posture, footwear, cadence, or a question")
    async def guide(self, interaction: discord.Interaction[Any], topic: Topic) -> None:
        library, texts = self.bot.library, self.bot.texts
        unit = resolve_topic(library, str(topic))
        if unit is not None:
            services = self.bot.services
            feedback = interaction.id if services.storage else None
            reply = render.unit_reply(library, unit, feedback_key=feedback, texts=texts)
            record = partial(
                remember_question,
                services,
                interaction.id,
                unit.id,
                str(topic),
                interaction.user.id,
            )
            await send_then_record(partial(render.respond, interaction, reply), record)
            return
        suggestions = [u.id for u in self.bot.engine.topics(str(topic), limit=3)]
        view = render.topic_view(library, suggestions)
        lines = [texts("guide_unknown", topic=sanitize.echo(str(topic), 80))]
        if view is not None:
            lines.append(texts("guide_pick"))
        await render.respond(
            interaction, render.Reply(content="\n".join(lines), view=view, ephemeral=True)
        )

    @guide.autocomplete("topic")
    async def topic_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        try:
            units = self.bot.engine.topics(current, limit=MAX_CHOICES)
        except Exception:
            log.exception("topic autocomplete failed")  # never what was typed
            return []
        return [
            app_commands.Choice(
                name=textsplit.truncate(render.unit_heading(unit), textsplit.CHOICE_NAME_LIMIT),
                value=unit.id,
            )
            for unit in units[:MAX_CHOICES]
        ]


async def setup(bot: WalkWell) -> None:
    bot.add_dynamic_items(render.UnitButton)
    await bot.add_cog(Guide(bot))


async def teardown(bot: WalkWell) -> None:
    bot.remove_dynamic_items(render.UnitButton)
