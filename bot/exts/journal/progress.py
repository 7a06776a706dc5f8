"""``/progress [weeks]``: the caller's walks as a chart against their weekly targets, privately.

:func:`schedules.journal.report.progress_report` builds the summary and the chart (a PNG sized for
a phone, drawn in a worker thread); the reply is deferred first, so drawing never delays the
interaction's answer. Only the caller's own walks are read, and only the caller sees the reply.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import logging
from datetime import UTC, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import WalkWell
from bot.errors import needs_storage
from schedules.journal.progress import MAX_WEEKS, validate_weeks
from schedules.plan.progression import DEFAULT_PLAN

log = logging.getLogger(__name__)

CHART_FILENAME = "progress.png"


class Progress(commands.Cog):
    def __init__(self, bot: WalkWell) -> None:
        self.bot = bot

    @app_commands.command(name="progress", description="A chart of your walks against your targets")
    @needs_storage()
    @app_commands.describe(weeks=f"How many weeks to show (1-{MAX_WEEKS}, default 4)")
    async def progress(
        self,
        interaction: discord.Interaction[Any],
        weeks: app_commands.Range[int, 1, MAX_WEEKS] | None = None,
    ) -> None:
        db = self.bot.services.database()
        n_weeks = validate_weeks(weeks)
        await interaction.response.defer(ephemeral=True, thinking=True)
        # matplotlib is imported on the first /progress, not when the extension loads: after the
        # defer (a cold import takes seconds on a busy machine), and off the event loop.
        report_module = await asyncio.to_thread(importlib.import_module, "schedules.journal.report")
        report = await report_module.progress_report(
            db,
            interaction.user.id,
            n_weeks,
            datetime.now(UTC),
            self.bot.services.plan or DEFAULT_PLAN,
        )
        chart = discord.File(
            io.BytesIO(report.chart),
            filename=CHART_FILENAME,
            description=self.bot.texts("progress_alt"),
        )
        await interaction.followup.send(report.text, file=chart, ephemeral=True)


async def setup(bot: WalkWell) -> None:
    await bot.add_cog(Progress(bot))
