"""``/privacy export`` and ``/privacy delete``: people see and erase what WalkWell stores.

- export: one JSON file, privately: everything every feature keeps about the person
  (:func:`schedules.store.userdata.export_user`: reminders, walks, votes, questions).
- delete: a private confirm button (its state is in its custom id, so it survives a restart, for
  :data:`CONFIRM_SECONDS`), then everything is erased (:func:`schedules.store.userdata.erase_user`);
  reminders stop at once (the engine forgets the user before the rows go).

The cog also prunes what is kept only for a while (see the README): the questions behind answers
after :data:`schedules.feedback.store.KEEP_DAYS` days, unanswered questions after
:data:`UNANSWERED_KEEP_DAYS`.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot import errors
from bot.app import WalkWell
from bot.ui import render
from knowledge.texts import Texts

log = logging.getLogger(__name__)

#: A delete confirmation can be pressed for this long.
CONFIRM_SECONDS = 15 * 60
#: Unanswered questions (for the content report) are kept this long.
UNANSWERED_KEEP_DAYS = 180
EXPORT_FILENAME = "walkwell-data.json"


async def export_everything(bot: WalkWell, user_id: int) -> dict[str, Any]:
    """Everything stored about ``user_id``, JSON-ready."""
    from schedules.store.userdata import export_user

    assert bot.db is not None
    return await export_user(bot.db, user_id)


def is_empty(data: dict[str, Any]) -> bool:
    return all(not value for value in data.values())


async def erase_everything(bot: WalkWell, user_id: int) -> bool:
    """Erase everything stored about ``user_id`` (the reminder engine forgets them first)."""
    from schedules.store.userdata import erase_user

    assert bot.db is not None and bot.reminders is not None
    if bot.reminders.engine is not None:
        bot.reminders.engine.forget_user(user_id)
    return await erase_user(bot.db, user_id) > 0


class _Confirm(
    render.OwnerOnly,
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"ww:priv:(?P<action>del|keep):(?P<user>\d{1,20}):(?P<at>\d{1,12})",
):
    """The confirm (``del``) and cancel (``keep``) buttons of /privacy delete."""

    not_yours = "privacy_not_yours"

    def __init__(self, action: str, user_id: int, at: int, texts: Texts | None = None) -> None:
        t = texts or Texts()
        delete = action == "del"
        super().__init__(
            discord.ui.Button(
                label=t("privacy_delete_button" if delete else "privacy_cancel_button"),
                style=discord.ButtonStyle.danger if delete else discord.ButtonStyle.secondary,
                custom_id=f"ww:priv:{action}:{user_id}:{at}",
            )
        )
        self.action, self.user_id, self.at = action, user_id, at

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> _Confirm:
        texts = cast(WalkWell, interaction.client).texts
        return cls(match["action"], int(match["user"]), int(match["at"]), texts)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast(WalkWell, interaction.client)
        texts = bot.texts
        try:
            if self.action == "keep":
                await interaction.response.edit_message(
                    content=texts("privacy_cancelled"), view=None
                )
                return
            age = datetime.now(UTC).timestamp() - self.at
            if not 0 <= age <= CONFIRM_SECONDS:
                await interaction.response.edit_message(content=texts("privacy_expired"), view=None)
                return
            if bot.db is None or bot.reminders is None:
                await errors.send_private(interaction, texts("storage_off"))
                return
            erased = await erase_everything(bot, self.user_id)
            await interaction.response.edit_message(
                content=texts("privacy_deleted" if erased else "privacy_nothing"), view=None
            )
        except Exception as exc:
            await errors.report(interaction, exc, "privacy delete")


class Privacy(commands.GroupCog, group_name="privacy", group_description="See or erase your data"):
    def __init__(self, bot: WalkWell) -> None:
        self.bot = bot
        #: Held while a prune runs: unloading waits for it, so a query is never cut off mid-way
        #: (a cancelled aiosqlite query can orphan its connection thread and hang the exit).
        self._pruning = asyncio.Lock()
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(_Confirm)
        if self.bot.db is not None:
            self.prune.start()

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(_Confirm)
        async with self._pruning:
            self.prune.cancel()

    @tasks.loop(hours=6)
    async def prune(self) -> None:
        """Forget what is kept only for a while (see the module docstring)."""
        from schedules.feedback.store import prune_answers, prune_unanswered

        db = self.bot.db
        if db is None:
            return
        now = datetime.now(UTC)
        async with self._pruning:
            try:
                answers = await prune_answers(db, now=now)
                questions = await prune_unanswered(
                    db, before=now - timedelta(days=UNANSWERED_KEEP_DAYS)
                )
                if answers or questions:
                    log.info("pruned %d answers and %d unanswered questions", answers, questions)
            except Exception:
                log.exception("pruning old answers failed; trying again later")

    async def _storage(self, interaction: discord.Interaction[Any]) -> bool:
        if self.bot.db is None or self.bot.reminders is None:
            await errors.send_private(interaction, self.bot.texts("storage_off"))
            return False
        return True

    @app_commands.command(name="export", description="Get everything WalkWell stores about you")
    async def export(self, interaction: discord.Interaction[Any]) -> None:
        if not await self._storage(interaction):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        user_id = interaction.user.id
        data = await export_everything(self.bot, user_id)
        document = {
            "user_id": str(user_id),
            "exported_at": datetime.now(UTC).isoformat(),
            "data": data,
        }
        body = json.dumps(document, indent=2, ensure_ascii=False, default=str).encode()
        texts = self.bot.texts
        await interaction.followup.send(
            texts("privacy_export_empty" if is_empty(data) else "privacy_export"),
            file=discord.File(io.BytesIO(body), filename=EXPORT_FILENAME),
            ephemeral=True,
        )

    @app_commands.command(name="delete", description="Erase everything WalkWell stores about you")
    async def delete(self, interaction: discord.Interaction[Any]) -> None:
        if not await self._storage(interaction):
            return
        texts = self.bot.texts
        at = int(datetime.now(UTC).timestamp())
        view = discord.ui.View(timeout=None)
        view.add_item(_Confirm("del", interaction.user.id, at, texts))
        view.add_item(_Confirm("keep", interaction.user.id, at, texts))
        await errors.send_private(interaction, texts("privacy_delete_confirm"), view=view)


async def setup(bot: WalkWell) -> None:
    await bot.add_cog(Privacy(bot))
