"""``/cadence [current]``: the guide's cadence targets and, given today's rate, this week's target."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.ui import render
from knowledge.models import CadencePlan

if TYPE_CHECKING:
    from bot.app import WalkWell

#: Plausible walking cadences, in steps per minute (Discord enforces them on the option).
CURRENT_MIN = 30
CURRENT_MAX = 250


def weekly_target(plan: CadencePlan, current: int) -> int:
    """A step above ``current``, never past the guide's goal; at or above the goal, keep it."""
    if current >= plan.goal:
        return current
    return min(current + plan.weekly_step, plan.goal)


class Cadence(commands.Cog):
    def __init__(self, bot: WalkWell) -> None:
        self.bot = bot

    def build_reply(self, current: int | None) -> render.Reply:
        library, texts = self.bot.library, self.bot.texts
        plan = library.cadence
        lines = [
            texts(
                "cadence_targets",
                start_low=plan.start_low,
                start_high=plan.start_high,
                goal=plan.goal,
            )
        ]
        if plan.text:
            lines.append("\n".join(f"> {line}" for line in plan.text.strip().splitlines()))
        if current is not None:
            if current >= plan.goal:
                lines.append(texts("cadence_at_goal", current=current, goal=plan.goal))
            else:
                target = weekly_target(plan, current)
                lines.append(texts("cadence_week", current=current, target=target, goal=plan.goal))
        embed = discord.Embed(
            title=texts("cadence_title"), description="\n\n".join(lines), colour=render.INFO_COLOUR
        )
        embed.set_footer(text=library.disclaimer)
        return render.Reply(
            embed=render.fit_embed(embed),
            view=render.topic_view(library, [plan.unit]),
            # The guide's targets are for everyone; someone's own rate is theirs.
            ephemeral=current is not None,
        )

    @app_commands.command(name="cadence", description="Cadence targets, and your target this week")
    @app_commands.describe(current="Your walking cadence now, in steps per minute")
    async def cadence(
        self,
        interaction: discord.Interaction[Any],
        current: app_commands.Range[int, CURRENT_MIN, CURRENT_MAX] | None = None,
    ) -> None:
        if current is not None and not (
            isinstance(current, int) and CURRENT_MIN <= current <= CURRENT_MAX
        ):
            text = self.bot.texts("cadence_bad_current", low=CURRENT_MIN, high=CURRENT_MAX)
            await render.respond(interaction, render.Reply(content=text, ephemeral=True))
            return
        await render.respond(interaction, self.build_reply(current))


async def setup(bot: WalkWell) -> None:
    await bot.add_cog(Cadence(bot))
