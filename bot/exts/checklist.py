"""``/checklist``: the pre-walk checklist, private, with items the user ticks.

The state lives with the message, nowhere else: every button's custom id carries which items are
ticked (a bit mask) and when the checklist was last touched, ``ww:chk:<stamp>:<mask>:<item>``.
A click therefore works after a restart, and nothing is stored. A checklist left alone for
:attr:`Checklist.timeout` seconds expires: a timer edits it to say so, and a click on a checklist
that is too old (say, after a restart lost the timer) gets the same answer.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import WalkWell
from bot.ui import render
from bot.ui.buttons import Pressable
from knowledge.models import ChecklistItem
from knowledge.texts import Texts

log = logging.getLogger(__name__)

#: A message holds at most 25 buttons.
MAX_ITEMS = 25
TICKED = "✅"
UNTICKED = "⬜"


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def full_mask(count: int) -> int:
    return (1 << count) - 1


class ToggleButton(
    Pressable,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(
        r"ww:chk:(?P<stamp>[0-9a-z]{1,10}):(?P<mask>[0-9a-f]{1,8}):(?P<item>\d{1,2})"
    ),
):
    """One checklist item; clicking it flips that item and redraws the checklist."""

    def __init__(self, stamp: int, mask: int, index: int, item: ChecklistItem) -> None:
        ticked = bool(mask >> index & 1)
        super().__init__(
            discord.ui.Button(
                label=item.label,
                emoji=TICKED if ticked else UNTICKED,
                style=discord.ButtonStyle.success if ticked else discord.ButtonStyle.secondary,
                custom_id=f"ww:chk:{_b36(stamp)}:{mask:x}:{index}",
            )
        )
        self.stamp, self.mask, self.index = stamp, mask, index

    @classmethod
    def from_match(
        cls, client: Any, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ToggleButton:
        stamp, mask, index = int(match["stamp"], 36), int(match["mask"], 16), int(match["item"])
        items = cast(WalkWell, client).library.checklist
        # An id from an older content version may point past the list: clamp, the click expires.
        entry = items[index] if index < len(items) else items[0]
        return cls(stamp, mask, index, entry)

    async def press(self, interaction: discord.Interaction[Any]) -> None:
        cog = interaction.client.get_cog(Checklist.__cog_name__)  # type: ignore[attr-defined]
        if not isinstance(cog, Checklist):
            raise RuntimeError("the checklist cog is not loaded")
        await cog.toggle(interaction, self.stamp, self.mask, self.index)


def build_checklist(
    items: Sequence[ChecklistItem], texts: Texts, disclaimer: str, mask: int, stamp: int
) -> render.Reply:
    """The checklist with ``mask``'s items ticked; buttons carry ``mask`` and ``stamp``."""
    items = items[:MAX_ITEMS]
    lines = [texts("checklist_intro"), ""]
    for n, item in enumerate(items):
        mark = TICKED if mask >> n & 1 else UNTICKED
        lines.append(f"{mark} **{item.label}**: {item.detail}")
    done = sum(1 for n in range(len(items)) if mask >> n & 1)
    lines += ["", texts("checklist_progress", done=done, total=len(items))]
    if items and mask & full_mask(len(items)) == full_mask(len(items)):
        lines += ["", f"**{texts('checklist_ready')}**"]
    embed = discord.Embed(
        title=texts("checklist_title"), description="\n".join(lines), colour=render.ANSWER_COLOUR
    )
    embed.set_footer(text=disclaimer)
    view = discord.ui.View(timeout=None)
    for n, item in enumerate(items):
        view.add_item(ToggleButton(stamp, mask, n, item))
    return render.Reply(embed=render.fit_embed(embed), view=view, ephemeral=True)


class Checklist(commands.Cog):
    #: Seconds a checklist stays usable after its last click (an interaction token lasts 15 min,
    #: and the expiry edit needs one).
    timeout: float = 600.0

    def __init__(self, bot: WalkWell, clock: Callable[[], float] = time.time) -> None:
        self.bot = bot
        self.clock = clock
        self._timers: dict[int, asyncio.Task[None]] = {}

    async def cog_unload(self) -> None:
        for task in self._timers.values():
            task.cancel()
        self._timers.clear()

    def _render(self, mask: int) -> render.Reply:
        library = self.bot.library
        return build_checklist(
            library.checklist, self.bot.texts, library.disclaimer, mask, int(self.clock())
        )

    def _expired(self) -> render.Reply:
        return render.Reply(content=self.bot.texts("checklist_expired"), ephemeral=True)

    def _arm_timer(self, message_id: int | None, interaction: discord.Interaction[Any]) -> None:
        """(Re)start the expiry timer of one checklist message."""
        if message_id is None:
            return
        old = self._timers.pop(message_id, None)
        if old is not None:
            old.cancel()
        self._timers[message_id] = asyncio.create_task(self._expire_later(message_id, interaction))

    async def _expire_later(self, message_id: int, interaction: discord.Interaction[Any]) -> None:
        try:
            await asyncio.sleep(self.timeout)
            await interaction.edit_original_response(
                content=self.bot.texts("checklist_expired"), embed=None, view=None
            )
        except discord.HTTPException as exc:
            log.info("could not mark checklist %s expired: %s", message_id, exc.status)
        except Exception:  # a dropped connection, a bug: logged, never the task's death
            log.warning("could not mark checklist %s expired", message_id, exc_info=True)
        finally:
            if self._timers.get(message_id) is asyncio.current_task():
                del self._timers[message_id]

    @app_commands.command(name="checklist", description="Your pre-walk checklist, tick as you go")
    async def checklist(self, interaction: discord.Interaction[Any]) -> None:
        reply = self._render(0)
        callback = await interaction.response.send_message(ephemeral=True, **reply.kwargs())
        resource = getattr(callback, "resource", None)
        self._arm_timer(getattr(resource, "id", None), interaction)

    async def toggle(
        self, interaction: discord.Interaction[Any], stamp: int, mask: int, index: int
    ) -> None:
        count = min(len(self.bot.library.checklist), MAX_ITEMS)
        message_id = interaction.message.id if interaction.message else None
        if self.clock() - stamp > self.timeout or index >= count:
            reply = self._expired()
            await interaction.response.edit_message(content=reply.content, embed=None, view=None)
            return
        reply = self._render((mask ^ (1 << index)) & full_mask(count))
        await interaction.response.edit_message(**reply.kwargs())
        self._arm_timer(message_id, interaction)


async def setup(bot: WalkWell) -> None:
    bot.add_dynamic_items(ToggleButton)
    await bot.add_cog(Checklist(bot))


async def teardown(bot: WalkWell) -> None:
    bot.remove_dynamic_items(ToggleButton)
