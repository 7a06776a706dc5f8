"""``/club setup|status|stop``: the server's walking club, and what pauses it.

- ``/club setup`` and ``/club stop`` need Manage Server, checked here from
  ``interaction.permissions``: Discord's default permissions apply to a whole top-level command,
  and ``/club status`` is for everyone, so the group has none and the check is the bot's. A member
  without it gets a private refusal and nothing changes. The group is server-only. Setup checks up front that the bot can view, post
  and embed in the channel and may mention the role (the role is mentionable, or the bot has
  "Mention @everyone, @here and All Roles" there).
- ``/club status`` (anyone): the settings, the next call as a Discord timestamp, today's and this
  week's figures (no names), and why the club is paused if it is.
- The channel deleted (CHANNEL_DELETE) or the bot removed from the server (GUILD_DELETE): the club
  pauses with its reason; a 403/404 when posting pauses it too (the club sweep). Only
  ``/club setup`` resumes it.
- On load the extension adds its :class:`~schedules.club.sweep.ClubSweeper` to the reminder
  engine's sources (one minute sweep for both) and registers the "I walked" button.
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
from bot.exts.club.call import DiscordClubSender, EditPacer, WalkedButton
from bot.exts.reminders.cog import missing_channel_permissions, timezone_choices
from bot.ui import render
from knowledge.texts import Texts
from schedules.club.calls import PAUSE_REASONS
from schedules.club.store import ClubStatus, ClubStore
from schedules.club.sweep import ClubSweeper

log = logging.getLogger(__name__)

BUTTONS = (WalkedButton,)


def status_reply(texts: Texts, status: ClubStatus | None) -> render.Reply:
    if status is None:
        return render.Reply(content=texts("club_none"), ephemeral=True)
    lines = [
        texts(
            "club_status_settings",
            time=status.time_text,
            timezone=status.timezone,
            channel=f"<#{status.channel_id}>",
        )
    ]
    if status.role_id is not None:
        lines.append(texts("club_status_role", role=f"<@&{status.role_id}>"))
    if status.paused_reason in PAUSE_REASONS:
        lines.append(texts(f"club_status_paused_{status.paused_reason}"))
    elif not status.active:
        lines.append(texts("club_status_stopped"))
    elif status.next_due_utc is not None:
        stamp = int(status.next_due_utc.timestamp())
        lines.append(texts("club_status_next", stamp=f"<t:{stamp}:F>", relative=f"<t:{stamp}:R>"))
    lines.append(texts("club_status_today", count=status.today_count))
    week = status.week
    lines.append(texts("club_status_week", walks=week.walks, walkers=week.walkers, days=week.days))
    embed = discord.Embed(
        title=texts("club_status_title"), description="\n".join(lines), colour=render.INFO_COLOUR
    )
    return render.Reply(embed=render.fit_embed(embed), ephemeral=True)


def setup_problem(
    texts: Texts, channel: Any, role: discord.Role | None, guild: discord.Guild
) -> str | None:
    """Why the bot could not run a club in ``channel`` pinging ``role`` (None: it can)."""
    me = guild.me
    real = guild.get_channel(channel.id) if guild is not None else None
    if me is None or real is None:
        return texts("club_no_permission", channel=f"<#{channel.id}>", missing="view channel")
    permissions = real.permissions_for(me)
    missing = missing_channel_permissions(permissions)
    if missing:
        names = ", ".join(n.replace("_", " ") for n in missing)
        return texts("club_no_permission", channel=f"<#{channel.id}>", missing=names)
    if role is not None and not role.mentionable and not permissions.mention_everyone:
        return texts("club_role_not_mentionable", role=role.name)
    return None


@app_commands.guild_only()
class Club(
    commands.GroupCog,
    group_name="club",
    group_description="The server's walking club: a daily walk call everyone can answer",
):
    def __init__(self, bot: WalkWell) -> None:
        self.bot = bot
        self.sender = DiscordClubSender(bot)
        self.pacer = EditPacer(self.sender.edit_count)
        self.sweeper: ClubSweeper | None = None
        self._store: ClubStore | None = None
        super().__init__()

    async def cog_load(self) -> None:
        engine = self.bot.services.engine
        if engine is None:
            return
        self.sweeper = ClubSweeper(
            self.bot.services.database(),
            self.sender,
            settings=engine.settings,
            owner=engine.owner,
            bucket=engine.bucket,
            clock=engine.clock,
            stopping=lambda: not engine.running,
        )
        engine.sources.append(self.sweeper)

    async def cog_unload(self) -> None:
        engine = self.bot.services.engine
        if engine is not None and self.sweeper in engine.sources:
            engine.sources.remove(self.sweeper)
        self.pacer.close()

    @commands.Cog.listener()
    async def on_club_counts_changed(self, keys: list[tuple[int, date]]) -> None:
        """Counts changed outside a press (an erase): edit those calls, paced as presses are."""
        for key in keys:
            self.pacer.touch(key)

    def store(self) -> ClubStore:
        """One store per process: its presses are written in batches."""
        db = self.bot.services.database()
        if self._store is None or self._store.db is not db:
            self._store = ClubStore(db)
        return self._store

    async def _admin(self, interaction: discord.Interaction[Any]) -> bool:
        """Manage Server, checked here whatever the default permissions say."""
        texts = self.bot.texts
        if interaction.guild is None:
            await errors.send_private(interaction, texts("club_needs_server"))
            return False
        if not interaction.permissions.manage_guild:
            await errors.send_private(interaction, texts("club_not_admin"))
            return False
        return True

    @app_commands.command(name="setup", description="Start the server's daily walk call")
    @needs_storage()
    @app_commands.describe(
        channel="Where the walk call is posted",
        time="The local time of the walk call, e.g. 7:30 or 18:00",
        timezone="The club's timezone: start typing a city, e.g. Berlin",
        role="A role to ping with each walk call (optional)",
    )
    async def setup(
        self,
        interaction: discord.Interaction[Any],
        channel: discord.TextChannel,
        time: app_commands.Range[str, 1, 40],
        timezone: app_commands.Range[str, 1, 100],
        role: discord.Role | None = None,
    ) -> None:
        if not await self._admin(interaction):
            return
        guild = interaction.guild
        assert guild is not None
        problem = setup_problem(self.bot.texts, channel, role, guild)
        if problem is not None:
            await errors.send_private(interaction, problem)
            return
        status = await self.store().setup(
            guild.id,
            channel.id,
            role.id if role is not None else None,
            str(time),
            str(timezone),
            datetime.now(UTC),
        )
        reply = status_reply(self.bot.texts, status)
        reply.content = self.bot.texts(
            "club_setup_done",
            channel=f"<#{channel.id}>",
            time=status.time_text,
            timezone=status.timezone,
        )
        await render.respond(interaction, reply)

    @setup.autocomplete("timezone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    @app_commands.command(name="stop", description="Stop the server's walk calls")
    @needs_storage()
    async def stop(self, interaction: discord.Interaction[Any]) -> None:
        if not await self._admin(interaction):
            return
        assert interaction.guild_id is not None
        was_on = await self.store().stop(interaction.guild_id, datetime.now(UTC))
        await errors.send_private(
            interaction, self.bot.texts("club_stopped" if was_on else "club_was_off")
        )

    @app_commands.command(name="status", description="The walking club's settings and figures")
    @needs_storage()
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.guild_id is None:
            await errors.send_private(interaction, self.bot.texts("club_needs_server"))
            return
        status = await self.store().status(interaction.guild_id, datetime.now(UTC))
        await render.respond(interaction, status_reply(self.bot.texts, status))

    # -- what pauses a club ----------------------------------------------------------------

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        if self.bot.services.storage:
            await self.store().pause("bot_removed", datetime.now(UTC), guild_id=guild.id)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        if self.bot.services.storage:
            await self.store().pause(
                "channel_unavailable", datetime.now(UTC), channel_id=channel.id
            )


async def setup(bot: WalkWell) -> None:
    bot.add_dynamic_items(*BUTTONS)
    await bot.add_cog(Club(bot))


async def teardown(bot: WalkWell) -> None:
    bot.remove_dynamic_items(*BUTTONS)
