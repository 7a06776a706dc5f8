"""The walk call: how it looks, how it is posted (:class:`DiscordClubSender`, the bot's side of
:class:`schedules.club.calls.ClubSender`), its "I walked" button and the paced count edits.

- The call pings the club's role and nobody else: its allowed mentions name that one role
  (``roles=[role]``, ``everyone=False``, ``users=False``); every other message keeps the client's
  default (no role pings).
- The count ("3 walked today") lives in the embed and is always read from the presses table. Edits
  are coalesced by :class:`EditPacer`: at most one edit per :data:`EDIT_INTERVAL` seconds per
  call, and one more after the last press, so the last state is always shown.
- The button's custom id is ``ww:club:walk:<guild id>:<club day ordinal>``: it works after a
  restart, and anyone may press it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time as time_module
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any, cast

import aiohttp
import discord

from bot import errors
from bot.app import WalkWell
from bot.exts.reminders.cog import focus_tip
from bot.ui import render
from bot.ui.buttons import Pressable
from knowledge.models import Library
from knowledge.texts import Texts
from schedules.club.calls import ClubCall, WeekFigures
from schedules.club.store import ClubStore
from schedules.reminders.delivery import SendOutcome

log = logging.getLogger(__name__)

#: At most one edit of a call's count this often (seconds).
EDIT_INTERVAL = 3.0


def call_mentions(role_id: int | None) -> discord.AllowedMentions:
    """The walk call's allowed mentions: the club's role, nobody else."""
    roles: Any = [discord.Object(id=role_id)] if role_id is not None else False
    return discord.AllowedMentions(everyone=False, users=False, roles=roles, replied_user=False)


def _week_line(texts: Texts, week: WeekFigures) -> str:
    if week.empty:
        return texts("club_week_empty")
    return texts("club_week_line", walks=week.walks, walkers=week.walkers, days=week.days)


def _summary(texts: Texts, summary: WeekFigures) -> str:
    if summary.empty or summary.best_day is None:
        return texts("club_summary_empty")
    return texts(
        "club_summary",
        walkers=summary.walkers,
        days=summary.days,
        best_day=f"{summary.best_day:%A}",
        best_count=summary.best_count,
    )


def call_embed(library: Library, texts: Texts, call: ClubCall, count: int) -> discord.Embed:
    """The call's embed: the summary (first call of a week), today's focus and tip, the week
    line and the count."""
    parts: list[str] = []
    if call.late:
        parts.append(texts("club_call_late", time=f"{call.local_time:%H:%M}"))
    if call.summary is not None:
        parts.append(_summary(texts, call.summary))
    unit = library.units.get(call.topic)
    if unit is not None:
        parts.append(texts("club_call_focus", topic=render.unit_heading(unit)))
        tip = focus_tip(library, unit.id)
        if tip:
            parts.append(f"> {tip}")
    parts.append(_week_line(texts, call.week))
    parts.append(f"**{texts('club_call_count', count=count)}**")
    embed = discord.Embed(
        title=texts("club_call_title"), description="\n\n".join(parts), colour=render.ANSWER_COLOUR
    )
    embed.set_footer(text=library.disclaimer)
    return render.fit_embed(embed)


class WalkedButton(
    Pressable,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ww:club:walk:(?P<guild>\d{1,20}):(?P<day>\d{1,7})",
):
    """ "I walked": counts the presser once for the club day."""

    def __init__(self, guild_id: int, day: date, texts: Texts | None = None) -> None:
        super().__init__(  # type: ignore[call-arg]
            discord.ui.Button[Any](
                label=(texts or Texts())("club_walked_label"),
                style=discord.ButtonStyle.success,
                custom_id=f"ww:club:walk:{guild_id}:{day.toordinal()}",
            )
        )
        self.guild_id = guild_id
        self.day = day

    @classmethod
    def from_match(
        cls, client: Any, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> WalkedButton:
        return cls(int(match["guild"]), date.fromordinal(int(match["day"])), client.texts)

    async def press(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast(WalkWell, interaction.client)
        cog = bot.get_cog("Club")
        shared = getattr(cog, "store", None)  # the cog's store batches the writes
        store = shared() if callable(shared) else ClubStore(bot.services.database())
        now = datetime.now(UTC)
        result = await store.press(self.guild_id, self.day, interaction.user.id, now)
        if result is None:
            await errors.send_private(interaction, bot.texts("club_walked_no_call"))
            return
        if not result.new:
            await errors.send_private(interaction, bot.texts("club_walked_again"))
            return
        text = bot.texts("club_walked_thanks")
        streak = await _streak(bot, interaction.user.id, now)
        if streak:
            text = f"{text} {bot.texts('club_walked_streak', days=streak)}"
        await errors.send_private(interaction, text)
        pacer = getattr(cog, "pacer", None)
        if isinstance(pacer, EditPacer):
            pacer.touch((self.guild_id, self.day))


async def _streak(bot: WalkWell, user_id: int, now: datetime) -> int:
    """The presser's walk log streak (0 when they log no walks)."""
    from datetime import timedelta

    from schedules.journal.progress import current_streak
    from schedules.journal.store import user_timezone, walks_between
    from schedules.journal.walklog import local_day

    db = bot.services.database()
    zone = await user_timezone(db, user_id)
    if zone is None:
        return 0
    today = local_day(now, zone)
    walks = await walks_between(db, user_id, today - timedelta(days=400), today)
    return current_streak(walks, today)


Key = tuple[int, date]


class EditPacer:
    """Coalesces count edits: ``touch(key)`` asks for an edit; ``edit(key)`` runs at most once per
    ``interval`` seconds per key, and once more after the last touch."""

    def __init__(
        self,
        edit: Callable[[Key], Awaitable[None]],
        interval: float = EDIT_INTERVAL,
        *,
        clock: Callable[[], float] = time_module.monotonic,
    ) -> None:
        self.edit = edit
        self.interval = interval
        self.clock = clock
        self.edits = 0
        self._tasks: dict[Key, asyncio.Task[None]] = {}
        self._dirty: set[Key] = set()
        self._last: dict[Key, float] = {}

    def touch(self, key: Key) -> None:
        task = self._tasks.get(key)
        if task is not None and not task.done():
            self._dirty.add(key)
            return
        self._tasks[key] = asyncio.create_task(self._run(key))

    async def _run(self, key: Key) -> None:
        while True:
            last = self._last.get(key)
            if last is not None:
                wait = last + self.interval - self.clock()
                if wait > 0:
                    await asyncio.sleep(wait)
            self._dirty.discard(key)
            self.edits += 1
            try:
                await self.edit(key)
            except Exception:
                log.warning("could not edit the club call %s", key, exc_info=True)
            # counted from the end of an edit: Discord sees two edits at least interval apart
            self._last[key] = self.clock()
            if key not in self._dirty:
                return

    async def drain(self) -> None:
        """Wait for the pending edits (tests, shutdown)."""
        while any(not t.done() for t in self._tasks.values()):
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()


class DiscordClubSender:
    """Posts walk calls for the club sweep. Never raises."""

    def __init__(self, bot: WalkWell) -> None:
        self.bot = bot

    def view(self, call: ClubCall) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        view.add_item(WalkedButton(call.guild_id, call.club_day, self.bot.texts))
        return view

    async def post_call(self, call: ClubCall) -> SendOutcome:
        channel = self.bot.get_partial_messageable(
            call.channel_id, guild_id=call.guild_id, type=discord.ChannelType.text
        )
        try:
            message = await channel.send(
                content=f"<@&{call.role_id}>" if call.role_id is not None else None,
                embed=call_embed(self.bot.library, self.bot.texts, call, call.count),
                view=self.view(call),
                nonce=call.nonce,
                allowed_mentions=call_mentions(call.role_id),
            )
        except discord.RateLimited as exc:
            return SendOutcome.rate_limited(exc.retry_after)
        except (discord.Forbidden, discord.NotFound) as exc:
            return SendOutcome.channel_unavailable(f"{exc.status} {exc.code}")
        except discord.HTTPException as exc:
            if exc.status == 429:
                return SendOutcome.rate_limited(1.0)
            return SendOutcome.error(f"HTTP {exc.status} {exc.code}")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            return SendOutcome.error(type(exc).__name__)
        except Exception as exc:
            log.exception("could not post the club call of guild %s", call.guild_id)
            return SendOutcome.error(type(exc).__name__)
        return SendOutcome.ok(message.id)

    async def edit_count(self, key: Key) -> None:
        """Show the call's current count (read from the table now)."""
        guild_id, day = key
        store = ClubStore(self.bot.services.database())
        found = await store.call_for(guild_id, day)
        if found is None:
            return
        call, message_id = found
        count = await store.count(guild_id, day)
        message = self.bot.get_partial_messageable(
            call.channel_id, guild_id=guild_id, type=discord.ChannelType.text
        ).get_partial_message(message_id)
        await message.edit(embed=call_embed(self.bot.library, self.bot.texts, call, count))
