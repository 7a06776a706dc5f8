"""The button that opens a unit, and the one base of buttons."""

from __future__ import annotations

from typing import Any

import discord

from bot.ui import render
from knowledge.models import Library
from tests.helpers import MockInteraction, sent


async def test_unit_button_opens_the_unit_privately(bot: Any, library: Library) -> None:
    button = render.UnitButton("cadence", "Cadence")
    interaction = MockInteraction(client=bot, type=discord.InteractionType.component)
    await button.callback(interaction)
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert kwargs["embed"].description == library.units["cadence"].body


async def test_unit_button_for_a_removed_unit_says_so(bot: Any) -> None:
    button = render.UnitButton("gone_unit", "Gone")
    interaction = MockInteraction(client=bot, type=discord.InteractionType.component)
    await button.callback(interaction)
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True and kwargs["content"] == bot.texts("unit_gone")


async def test_unit_button_round_trips_its_custom_id() -> None:
    button = render.UnitButton("faq_why", "Why is walking good?")
    match = button.template.fullmatch(button.custom_id)
    assert match is not None
    again = await render.UnitButton.from_custom_id(MockInteraction(), button.item, match)
    assert again.unit_id == "faq_why" and again.item.label == "Why is walking good?"
