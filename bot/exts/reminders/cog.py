"""``/reminders start|stop|status``, the reminder messages and their buttons.

The cog is the Discord face of :mod:`schedules`: commands become calls on
:class:`~schedules.reminders.service.ReminderService` (``bot.services.reminders``). The reminder
engine (built by :mod:`bot.services`) sweeps once a minute and sends through
:class:`bot.exts.reminders.sender.DiscordSender` (see :func:`reminder_sender`), which renders each
item with :func:`reminder_reply`; the cog keeps the engine's health beat. The buttons keep their
whole state in their custom ids (``ww:rem:<action>:<user id>[:<due>]``), so they work after a
restart, and only the person a reminder is for can use them.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot import errors, metrics
from bot.app import WalkWell
from bot.errors import needs_storage
from bot.exts.reminders.sender import DiscordSender
from bot.ui import render, textsplit
from bot.ui.buttons import OwnerButton
from knowledge.models import Library
from knowledge.texts import Texts
from schedules.reminders.delivery import Outgoing
from schedules.reminders.service import ReminderService, SubscriptionStatus

log = logging.getLogger(__name__)

SNOOZE_MINUTES = 30
#: The sweep runs once a minute; the health check calls it stale after this.
SWEEP_MAX_AGE = 180.0
#: A single sweep may send for this long (10,000 reminders take about 4 minutes at 40 a second).
SWEEP_BUSY_MAX_AGE = 30 * 60.0
#: What the bot needs in a channel to post reminders there.
CHANNEL_NEEDS = ("view_channel", "send_messages", "embed_links")
#: Longest tip from the guide under a reminder.
TIP_LIMIT = 400


def _first_sentences(text: str, limit: int) -> str:
    """The body's opening sentences, at most ``limit`` characters, never cut mid-word."""
    paragraph = text.strip().split("\n\n", 1)[0].replace("\n", " ")
    if len(paragraph) <= limit:
        return paragraph
    sentences = re.split(r"(?<=[.!?])\s+", paragraph)
    out = ""
    for sentence in sentences:
        if len(out) + len(sentence) + 1 > limit:
            break
        out = f"{out} {sentence}".strip()
    return out or textsplit.truncate(paragraph, limit)


def focus_tip(library: Library, unit_id: str) -> str:
    """The guide's words for today's focus: the checklist's line for that unit, else the unit's
    opening sentences."""
    for item in library.checklist:
        if item.unit == unit_id:
            return item.detail
    unit = library.units.get(unit_id)
    return _first_sentences(unit.body, TIP_LIMIT) if unit is not None else ""


class _OwnedButton(OwnerButton):
    """Mixed into each reminder button: only the reminder's user may press it, and a press needs
    storage (the reminder service). Its custom id is ``ww:rem:<action>:<user id>[:<extra>...]``."""

    not_yours = "reminder_not_yours"
    action: str
    label_key: str
    label_args: ClassVar[dict[str, Any]] = {}
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init__(self, user_id: int, texts: Texts | None = None, *extra: str) -> None:
        label = (texts or Texts())(self.label_key, **self.label_args)
        custom_id = ":".join(("ww:rem", self.action, str(user_id), *extra))
        super().__init__(  # type: ignore[call-arg]
            discord.ui.Button[Any](label=label, style=self.style, custom_id=custom_id)
        )
        self.user_id = user_id

    @classmethod
    def from_match(cls, client: Any, item: discord.ui.Item[Any], match: re.Match[str]) -> Any:
        """A button whose custom id holds only its user (Done overrides this)."""
        return cls(int(match["user"]), client.texts)

    async def press(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast(WalkWell, interaction.client)
        await self.act(bot, bot.services.reminder_service(), interaction)

    async def act(
        self, bot: WalkWell, service: ReminderService, interaction: discord.Interaction[Any]
    ) -> None:
        raise NotImplementedError


class DoneButton(
    _OwnedButton,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ww:rem:done:(?P<user>\d{1,20}):(?P<due>\d{1,12})",
):
    action = "done"
    label_key = "reminder_done_label"
    style = discord.ButtonStyle.success

    def __init__(self, user_id: int, due_unix: int, texts: Texts | None = None) -> None:
        super().__init__(user_id, texts, str(due_unix))
        self.due_unix = due_unix

    @classmethod
    def from_match(
        cls, client: Any, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> DoneButton:
        return cls(int(match["user"]), int(match["due"]), client.texts)

    async def act(
        self, bot: WalkWell, service: ReminderService, interaction: discord.Interaction[Any]
    ) -> None:
        from bot.exts.journal.walk import WalkModal

        # The walk log's form first (a modal has to be the first response to the click, within
        # Discord's 3 seconds); a slow database only delays the acknowledgement behind it.
        await interaction.response.send_modal(WalkModal(bot.texts))
        try:
            await service.mark_done(self.user_id, datetime.fromtimestamp(self.due_unix, UTC))
        except Exception:  # the form is open; nothing left to tell the user here
            log.exception("could not mark the reminder of user %s done", self.user_id)


class SnoozeButton(
    _OwnedButton,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ww:rem:snooze:(?P<user>\d{1,20})",
):
    action = "snooze"
    label_key = "reminder_snooze_label"
    label_args = {"minutes": SNOOZE_MINUTES}

    async def act(
        self, bot: WalkWell, service: ReminderService, interaction: discord.Interaction[Any]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # before the write
        due = await service.snooze(self.user_id, SNOOZE_MINUTES)
        await errors.send_private(
            interaction, bot.texts("reminder_snoozed", at=f"<t:{int(due.timestamp())}:t>")
        )


class StopButton(
    _OwnedButton,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ww:rem:stop:(?P<user>\d{1,20})",
):
    action = "stop"
    label_key = "reminder_stop_label"
    style = discord.ButtonStyle.danger

    async def act(
        self, bot: WalkWell, service: ReminderService, interaction: discord.Interaction[Any]
    ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)  # before the write
        was_on = await service.unsubscribe(self.user_id)
        await errors.send_private(
            interaction, bot.texts("reminders_stopped" if was_on else "reminders_were_off")
        )


BUTTONS = (DoneButton, SnoozeButton, StopButton)


def reminder_reply(library: Library, texts: Texts, item: Outgoing) -> render.Reply:
    """The message for one reminder, snooze or weekly nudge (never mixed with anything else)."""
    content = f"<@{item.user_id}>" if item.where == "channel" else None
    if item.kind == "nudge":
        return _nudge_reply(library, texts, item, content)
    unit = library.units.get(item.topic)
    parts = []
    if item.late:
        parts.append(texts("reminder_late", time=f"{item.local_time:%H:%M}"))
    if item.fallback:
        parts.append(texts("reminder_fallback"))
    if unit is not None:
        parts.append(texts("reminder_focus", topic=render.unit_heading(unit)))
        tip = focus_tip(library, unit.id)
        if tip:
            parts.append(f"> {tip}")
    embed = discord.Embed(
        title=texts("reminder_snooze_title" if item.kind == "snooze" else "reminder_title"),
        description="\n\n".join(parts),
        colour=render.ANSWER_COLOUR,
    )
    embed.set_footer(text=library.disclaimer)
    view = discord.ui.View(timeout=None)
    view.add_item(DoneButton(item.user_id, int(item.due_utc.timestamp()), texts))
    view.add_item(SnoozeButton(item.user_id, texts))
    view.add_item(StopButton(item.user_id, texts))
    if unit is not None:
        view.add_item(render.UnitButton(unit.id, render.unit_heading(unit)))
    return render.Reply(content=content, embed=render.fit_embed(embed), view=view)


def _nudge_reply(
    library: Library, texts: Texts, item: Outgoing, content: str | None
) -> render.Reply:
    from knowledge.texts import default_texts

    progress = default_texts()
    targets = item.targets
    parts: list[str] = []
    details = item.details or {}
    summary = details.get("text")
    if isinstance(summary, str) and summary:
        parts.append(summary)  # the walk log's verdict on last week (the week planner's)
    elif targets is not None:
        parts.append(
            progress.get("nudge.targets", cadence=targets.cadence, minutes=targets.minutes)
        )
        if targets.incline:
            parts.append(progress.get("nudge.reasons.cadence_goal", cadence=targets.cadence))
        parts.append(progress.get("nudge.always"))
    embed = discord.Embed(
        title=texts("nudge_title", week=targets.week if targets else "?"),
        description="\n\n".join(parts),
        colour=render.INFO_COLOUR,
    )
    embed.set_footer(text=library.disclaimer)
    return render.Reply(content=content, embed=render.fit_embed(embed))


def status_reply(texts: Texts, status: SubscriptionStatus | None) -> render.Reply:
    if status is None:
        return render.Reply(content=texts("reminders_off"), ephemeral=True)
    where = texts("where_dm") if status.where == "dm" else f"<#{status.channel_id}>"
    lines = [
        texts("status_time", time=status.time_text, timezone=status.timezone),
        texts("status_where", where=where),
        texts("status_nudges_on" if status.nudges else "status_nudges_off"),
        texts(
            "status_targets",
            cadence=status.targets.cadence,
            minutes=status.targets.minutes,
            week=status.targets.week,
        ),
    ]
    if status.paused_reason is not None:
        lines.append(pause_text(texts, status.paused_reason))
    elif status.next_due_local is not None and status.next_due_unix is not None:
        lines.append(
            texts(
                "status_next",
                local=f"{status.next_due_local:%A %d %B, %H:%M} ({status.timezone})",
                stamp=f"<t:{status.next_due_unix}:F>",
                relative=f"<t:{status.next_due_unix}:R>",
            )
        )
    if status.snooze_due_utc is not None:
        lines.append(texts("status_snooze", at=f"<t:{int(status.snooze_due_utc.timestamp())}:t>"))
    embed = discord.Embed(
        title=texts("status_title"), description="\n".join(lines), colour=render.INFO_COLOUR
    )
    return render.Reply(embed=render.fit_embed(embed), ephemeral=True)


def timezone_choices(current: str) -> list[app_commands.Choice[str]]:
    """The timezone autocomplete (``/reminders start``, ``/club setup``): fuzzy IANA names, each
    shown with its current local time."""
    from schedules.reminders.zones import search_timezones

    found = search_timezones(current[:100], datetime.now(UTC), limit=25)
    return [app_commands.Choice(name=label, value=name) for name, label in found]


def missing_channel_permissions(permissions: discord.Permissions) -> list[str]:
    return [name for name in CHANNEL_NEEDS if not getattr(permissions, name)]


class Reminders(
    commands.GroupCog,
    group_name="reminders",
    group_description="Daily walk reminders and weekly progression nudges",
):
    def __init__(self, bot: WalkWell) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        if self.bot.services.engine is None:
            log.info("reminders: no storage, no engine")
            return
        self.bot.health.beat("sweep", SWEEP_MAX_AGE)
        self.bot.health.probes.append(self._sweep_beat)

    async def cog_unload(self) -> None:
        if self._sweep_beat in self.bot.health.probes:
            self.bot.health.probes.remove(self._sweep_beat)

    @commands.Cog.listener()
    async def on_reminder_sweep(self, report: Any, seconds: float) -> None:
        metrics.sweep(seconds)
        self.bot.health.beat("sweep", SWEEP_MAX_AGE)

    def _sweep_beat(self) -> None:
        """Health, before each write of the health file: a sweep still sending a big fan-out is
        busy, not stuck, for up to :data:`SWEEP_BUSY_MAX_AGE`; a sweep that stopped running goes
        stale :data:`SWEEP_MAX_AGE` after its last run."""
        engine = self.bot.services.engine
        if engine is None or engine.sweeping_since is None:
            return
        if (engine.clock() - engine.sweeping_since).total_seconds() <= SWEEP_BUSY_MAX_AGE:
            self.bot.health.beat("sweep", SWEEP_MAX_AGE)

    @app_commands.command(name="start", description="Get a daily walk reminder at your local time")
    @needs_storage()
    @app_commands.describe(
        time="Your reminder time, e.g. 7:30, 07:30, 7:30am or 19:30",
        timezone="Your timezone: start typing a city, e.g. Berlin or New York",
        where="dm: a direct message (default); here: this channel, mentioning only you",
        nudges="A weekly nudge that moves your targets forward (default: on)",
    )
    async def start(
        self,
        interaction: discord.Interaction[Any],
        time: app_commands.Range[str, 1, 40],
        timezone: app_commands.Range[str, 1, 100],
        where: Literal["dm", "here"] = "dm",
        nudges: bool = True,
    ) -> None:
        service = self.bot.services.reminder_service()
        texts = self.bot.texts
        channel_id = guild_id = None
        if where == "here":
            if interaction.guild_id is None or interaction.channel_id is None:
                await errors.send_private(interaction, texts("here_needs_server"))
                return
            if not interaction.permissions.send_messages:  # no daily posts where they can't post
                await errors.send_private(interaction, texts("here_member_cannot_send"))
                return
            missing = missing_channel_permissions(interaction.app_permissions)
            if missing:
                names = ", ".join(n.replace("_", " ") for n in missing)
                await errors.send_private(interaction, texts("here_no_permission", missing=names))
                return
            channel_id, guild_id = interaction.channel_id, interaction.guild_id
        await interaction.response.defer(ephemeral=True, thinking=True)  # before any write
        status = await service.subscribe(
            interaction.user.id,
            str(time),
            str(timezone),
            where="channel" if where == "here" else "dm",
            channel_id=channel_id,
            guild_id=guild_id,
            nudges=bool(nudges),
        )
        reply = status_reply(texts, status)
        reply.content = texts("reminders_started")
        await render.respond(interaction, reply)

    @start.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    @app_commands.command(name="stop", description="Stop your walk reminders and nudges")
    @needs_storage()
    async def stop(self, interaction: discord.Interaction[Any]) -> None:
        service = self.bot.services.reminder_service()
        await interaction.response.defer(ephemeral=True, thinking=True)  # before the write
        was_on = await service.unsubscribe(interaction.user.id)
        await errors.send_private(
            interaction, self.bot.texts("reminders_stopped" if was_on else "reminders_were_off")
        )

    @app_commands.command(name="status", description="Your reminder settings and the next one")
    @needs_storage()
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        service = self.bot.services.reminder_service()
        await interaction.response.defer(ephemeral=True, thinking=True)  # a slow database
        await service.pop_pause_notice(interaction.user.id)  # shown below, not again later
        await render.respond(
            interaction, status_reply(self.bot.texts, await service.status(interaction.user.id))
        )

    @commands.Cog.listener()
    async def on_app_command_completion(
        self, interaction: discord.Interaction[Any], command: Any
    ) -> None:
        """Tell a user once, after any command, that their reminders were paused and why."""
        service = self.bot.services.reminders
        if service is None or command.qualified_name.startswith("reminders"):
            return
        try:
            reason = await service.pop_pause_notice(interaction.user.id)
            if reason:
                await interaction.followup.send(pause_text(self.bot.texts, reason), ephemeral=True)
        except Exception as exc:  # the command was answered; this can wait for the next one
            log.warning(
                "could not tell user %s about paused reminders (%s)",
                interaction.user.id,
                type(exc).__name__,
            )


PAUSE_REASONS = ("dms_blocked", "channel_unavailable", "invalid_timezone")


def pause_text(texts: Texts, reason: str) -> str:
    """What to tell someone whose reminders were paused for ``reason`` (``paused_reason``)."""
    return texts(f"reminders_paused_{reason}" if reason in PAUSE_REASONS else "reminders_paused")


def reminder_sender(bot: WalkWell) -> DiscordSender:
    """The reminder engine's ``Sender`` for ``bot``: each item rendered by :func:`reminder_reply`."""
    return DiscordSender(bot, lambda item: reminder_reply(bot.library, bot.texts, item))


async def setup(bot: WalkWell) -> None:
    bot.add_dynamic_items(*BUTTONS)
    await bot.add_cog(Reminders(bot))


async def teardown(bot: WalkWell) -> None:
    bot.remove_dynamic_items(*BUTTONS)
