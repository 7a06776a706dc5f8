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
from bot.errors import needs_storage
from bot.ui.buttons import OwnerButton
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

    return await export_user(bot.services.database(), user_id)


def is_empty(data: dict[str, Any]) -> bool:
    return all(not value for value in data.values())


#: Club calls this recent show a count an erase changes (their counts are edited afterwards).
RECOUNT_DAYS = 2


async def erase_everything(bot: WalkWell, user_id: int) -> bool:
    """Erase everything stored about ``user_id`` (the reminder engine forgets them first).
    The recent club calls they pressed are announced afterwards (``club_counts_changed``), so the
    club cog edits their shown counts down."""
    from schedules.club.store import ClubStore
    from schedules.store.userdata import erase_user

    db = bot.services.database()
    if bot.services.engine is not None:
        bot.services.engine.forget_user(user_id)
    since = datetime.now(UTC).date() - timedelta(days=RECOUNT_DAYS)
    pressed = await ClubStore(db).pressed_calls(user_id, since)
    erased = await erase_user(db, user_id) > 0
    if pressed:
        bot.dispatch("club_counts_changed", pressed)
    return erased


class _Confirm(
    OwnerButton,
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
    def from_match(cls, client: Any, item: discord.ui.Item[Any], match: re.Match[str]) -> _Confirm:
        return cls(match["action"], int(match["user"]), int(match["at"]), client.texts)

    async def press(self, interaction: discord.Interaction[Any]) -> None:
        bot = cast(WalkWell, interaction.client)
        texts = bot.texts
        if self.action == "keep":
            await interaction.response.edit_message(content=texts("privacy_cancelled"), view=None)
            return
        age = datetime.now(UTC).timestamp() - self.at
        if not 0 <= age <= CONFIRM_SECONDS:
            await interaction.response.edit_message(content=texts("privacy_expired"), view=None)
            return
        # Acknowledge the click first: a slow database delays the "done", not the response.
        await interaction.response.defer()
        erased = await erase_everything(bot, self.user_id)
        await interaction.edit_original_response(
            content=texts("privacy_deleted" if erased else "privacy_nothing"), view=None
        )


class Privacy(commands.GroupCog, group_name="privacy", group_description="See or erase your data"):
    def __init__(self, bot: WalkWell) -> None:
        self.bot = bot
        #: Held while a prune runs: unloading waits for it, so a query is never cut off mid-way
        #: (a cancelled aiosqlite query can orphan its connection thread and hang the exit).
        self._pruning = asyncio.Lock()
        super().__init__()

    async def cog_load(self) -> None:
        if self.bot.services.storage:
            self.prune.start()

    async def cog_unload(self) -> None:
        async with self._pruning:
            self.prune.cancel()

    @tasks.loop(hours=6)
    async def prune(self) -> None:
        """Forget what is kept only for a while (see the module docstring)."""
        from schedules.feedback.store import prune_answers, prune_unanswered

        db = self.bot.services.db
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

    @app_commands.command(name="export", description="Get everything WalkWell stores about you")
    @needs_storage()
    async def export(self, interaction: discord.Interaction[Any]) -> None:
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
    @needs_storage()
    async def delete(self, interaction: discord.Interaction[Any]) -> None:
        texts = self.bot.texts
        at = int(datetime.now(UTC).timestamp())
        view = discord.ui.View(timeout=None)
        view.add_item(_Confirm("del", interaction.user.id, at, texts))
        view.add_item(_Confirm("keep", interaction.user.id, at, texts))
        await errors.send_private(interaction, texts("privacy_delete_confirm"), view=view)


async def setup(bot: WalkWell) -> None:
    bot.add_dynamic_items(_Confirm)
    await bot.add_cog(Privacy(bot))


async def teardown(bot: WalkWell) -> None:
    bot.remove_dynamic_items(_Confirm)
