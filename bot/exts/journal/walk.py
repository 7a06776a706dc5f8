"""``/walk log``, and the form the reminder's Done button opens: both log a walk.

A walk counts for the caller's local day: their reminder timezone (``users.timezone``, via
:func:`schedules.journal.store.user_timezone`), else UTC, and the reply says which day it was. Input is
checked by :func:`schedules.journal.walklog.validate_walk`; bad input gets its short private message and
nothing is stored. Every reply is private: a walk log is nobody else's business.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import errors
from bot.app import WalkWell
from bot.errors import needs_storage
from knowledge.texts import Texts
from schedules.journal.walklog import (
    MAX_CADENCE,
    MAX_MINUTES,
    MAX_NOTE,
    MAX_PAIN,
    MIN_CADENCE,
    MIN_MINUTES,
    MIN_PAIN,
)

log = logging.getLogger(__name__)

#: How long the Done button's form may stay open (Discord closes it much sooner on most clients).
MODAL_TIMEOUT = 15 * 60.0
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def day_text(day: date) -> str:
    """``"Tuesday 3 March 2026"`` (no locale involved)."""
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


async def log_walk_for(
    bot: WalkWell,
    user_id: int,
    minutes: Any,
    cadence: Any = None,
    pain: Any = None,
    note: str | None = None,
    *,
    now: datetime | None = None,
) -> str:
    """Validate and store one walk; returns the private confirmation to show.

    Raises :class:`~schedules.errors.InputError` (with a ``user_message``) for bad input; nothing
    is stored then. Needs storage (:class:`~bot.services.StorageOff` without it).
    """
    from knowledge.texts import default_texts
    from schedules.journal.store import log_walk, user_timezone
    from schedules.journal.walklog import validate_walk
    from schedules.reminders.timecalc import get_zone

    db = bot.services.database()
    now = now or datetime.now(UTC)
    zone = await user_timezone(db, user_id)
    if zone is not None:
        try:
            get_zone(zone)
        except Exception:  # a zone that vanished from tzdata: count in UTC rather than fail
            zone = None
    entry = validate_walk(minutes, cadence, pain, note, now=now, zone=zone or "UTC")
    stored = await log_walk(db, user_id, entry)
    texts = bot.texts
    lines = [
        texts("walk_logged", day=day_text(stored.local_date), minutes=stored.minutes),
        texts("walk_zone", zone=zone) if zone else texts("walk_zone_utc"),
    ]
    if stored.cadence is not None:
        lines.append(texts("walk_logged_cadence", cadence=stored.cadence))
    if stored.pain is not None:
        lines.append(texts("walk_logged_pain", pain=stored.pain))
    if stored.note:
        lines.append(texts("walk_logged_note"))
    from schedules.plan.adapt import HIGH_PAIN

    if stored.pain is not None and stored.pain >= HIGH_PAIN:
        lines.append(default_texts().get("nudge.reasons.see_professional"))
    lines.append(texts("walk_progress_hint"))
    return "\n".join(lines)


class WalkModal(discord.ui.Modal):
    """The form that logs a walk (opened by the reminder's Done button)."""

    def __init__(self, texts: Texts) -> None:
        super().__init__(title=texts("walk_modal_title")[:45], timeout=MODAL_TIMEOUT)

        def field(name: str, *, required: bool = False, **extra: Any) -> discord.ui.TextInput[Any]:
            item: discord.ui.TextInput[Any] = discord.ui.TextInput(
                custom_id=f"ww:walk:{name}",
                label=texts(f"walk_modal_{name}")[:45],
                placeholder=texts(f"walk_modal_{name}_hint")[:100],
                required=required,
                **{"max_length": 12, **extra},
            )
            self.add_item(item)
            return item

        self.minutes = field("minutes", required=True)
        self.cadence = field("cadence")
        self.pain = field("pain")
        self.note = field("note", style=discord.TextStyle.paragraph, max_length=MAX_NOTE)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        bot: WalkWell = interaction.client  # type: ignore[assignment]
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)  # before any write
            text = await log_walk_for(
                bot,
                interaction.user.id,
                self.minutes.value,
                self.cadence.value,
                self.pain.value,
                self.note.value,
            )
            await errors.send_private(interaction, text)
        except Exception as exc:
            await errors.on_component_error(interaction, exc, "walk form")


class Walk(commands.GroupCog, group_name="walk", group_description="Your walk log"):
    def __init__(self, bot: WalkWell) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="log", description="Log a walk on your local day")
    @needs_storage()
    @app_commands.describe(
        minutes=f"How many minutes you walked ({MIN_MINUTES}-{MAX_MINUTES})",
        cadence=f"Your cadence in steps per minute ({MIN_CADENCE}-{MAX_CADENCE})",
        pain=f"Your pain during the walk, {MIN_PAIN} (none) to {MAX_PAIN} (worst)",
        note=f"A short note about the walk (up to {MAX_NOTE} characters)",
    )
    async def log(
        self,
        interaction: discord.Interaction[Any],
        minutes: app_commands.Range[int, MIN_MINUTES, MAX_MINUTES],
        cadence: app_commands.Range[int, MIN_CADENCE, MAX_CADENCE] | None = None,
        pain: app_commands.Range[int, MIN_PAIN, MAX_PAIN] | None = None,
        note: app_commands.Range[str, 1, MAX_NOTE] | None = None,
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # before any write
        text = await log_walk_for(
            self.bot,
            interaction.user.id,
            minutes,
            cadence,
            pain,
            None if note is None else str(note),
        )
        await errors.send_private(interaction, text)


async def setup(bot: WalkWell) -> None:
    await bot.add_cog(Walk(bot))
