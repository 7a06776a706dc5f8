"""``/faq``: the guide's questions, each a button that opens its answer privately."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.ui import render

if TYPE_CHECKING:
    from bot.app import WalkWell

#: A message holds at most 25 buttons (5 rows of 5).
MAX_QUESTIONS = 25


class Faq(commands.Cog):
    def __init__(self, bot: WalkWell) -> None:
        self.bot = bot

    def build_reply(self) -> render.Reply:
        library, texts = self.bot.library, self.bot.texts
        faqs = [unit for unit in library.units.values() if unit.kind == "faq"][:MAX_QUESTIONS]
        listing = "\n".join(f"{n}. {render.unit_heading(u)}" for n, u in enumerate(faqs, 1))
        embed = discord.Embed(
            title=texts("faq_title"),
            description=f"{texts('faq_intro')}\n\n{listing}",
            colour=render.INFO_COLOUR,
        )
        embed.set_footer(text=library.disclaimer)
        view = render.topic_view(library, (u.id for u in faqs), limit=MAX_QUESTIONS)
        return render.Reply(embed=render.fit_embed(embed), view=view)

    @app_commands.command(name="faq", description="The guide's frequently asked questions")
    async def faq(self, interaction: discord.Interaction[Any]) -> None:
        await render.respond(interaction, self.build_reply())


async def setup(bot: WalkWell) -> None:
    await bot.add_cog(Faq(bot))
