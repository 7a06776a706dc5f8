"""``/progress [weeks]``: the caller's walks as a chart against their weekly targets, privately.

The chart (:func:`schedules.journal.charts.render_progress_chart`, a PNG sized for a phone) is drawn in a
worker thread; the reply is deferred first, so drawing never delays the interaction's answer. Only
the caller's own walks are read, and only the caller sees the reply.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import WalkWell
from bot.errors import needs_storage
from schedules.journal.progress import MAX_WEEKS

log = logging.getLogger(__name__)

#: The streak may reach back further than the chart's window: read this many days more.
STREAK_LOOKBACK_DAYS = 366
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
        from schedules.journal.charts import render_progress_chart
        from schedules.journal.progress import (
            DEFAULT_PLAN,
            format_summary,
            summarize,
            validate_weeks,
        )
        from schedules.journal.store import user_timezone, walks_between
        from schedules.journal.walklog import local_day
        from schedules.plan.planner import target_history
        from schedules.reminders.timecalc import get_zone

        db = self.bot.services.database()
        n_weeks = validate_weeks(weeks)
        await interaction.response.defer(ephemeral=True, thinking=True)
        user_id = interaction.user.id
        now = datetime.now(UTC)
        zone = await user_timezone(db, user_id)
        try:
            get_zone(zone or "UTC")
        except Exception:
            zone = None
        zone = zone or "UTC"
        today = local_day(now, zone)
        first = today - timedelta(days=max(7 * n_weeks, STREAK_LOOKBACK_DAYS))
        walks = await walks_between(db, user_id, first, today)
        plan = self.bot.services.plan or DEFAULT_PLAN
        plan_start, changes = await target_history(db, user_id, today, plan)
        summary = summarize(
            walks,
            zone=zone,
            now=now,
            weeks=n_weeks,
            plan_start=plan_start,
            target_changes=changes or None,
            plan=plan,
        )
        png = await asyncio.to_thread(
            render_progress_chart, summary.series, summary.targets, summary.weeks
        )
        chart = discord.File(
            io.BytesIO(png), filename=CHART_FILENAME, description=self.bot.texts("progress_alt")
        )
        await interaction.followup.send(format_summary(summary), file=chart, ephemeral=True)


async def setup(bot: WalkWell) -> None:
    await bot.add_cog(Progress(bot))
