"""The base of every button (and form) that keeps its state in its custom id.

Mix :class:`Pressable` (or :class:`OwnerButton`) into a ``discord.ui.DynamicItem`` subclass and
write ``press``: a press runs through the one component error path
(:func:`bot.errors.on_component_error`): bad input gets its note, storage off its text, a fault an
error id. Each feature registers its own buttons in its extension's ``setup``.
"""

from __future__ import annotations

import re
from typing import Any

import discord

from bot import errors
from knowledge.texts import Texts


class Pressable:
    """Mixed into a dynamic button: ``callback`` runs :meth:`press` through the error path, and
    a button is rebuilt from its custom id by :meth:`from_match`."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Any:
        return cls.from_match(interaction.client, item, match)

    @classmethod
    def from_match(cls, client: Any, item: discord.ui.Item[Any], match: re.Match[str]) -> Any:
        """The button a custom id (``match``, of the class's template) stands for; ``client``
        is the bot (its ``texts`` and ``library``)."""
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        try:
            await self.press(interaction)
        except Exception as exc:
            await errors.on_component_error(
                interaction, exc, f"button {getattr(self, 'custom_id', '?')}"
            )

    async def press(self, interaction: discord.Interaction[Any]) -> None:
        raise NotImplementedError


class OwnerButton(Pressable):
    """A button only one person may use (their reminder, their confirmation): anyone else gets
    the private ``not_yours`` text and the press does nothing."""

    user_id: int
    not_yours: str

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.user.id == self.user_id:
            return True
        texts = getattr(interaction.client, "texts", None)
        await errors.send_private(
            interaction, (texts if isinstance(texts, Texts) else Texts())(self.not_yours)
        )
        return False
