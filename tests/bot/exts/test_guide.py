"""``/guide``: a topic by id, unknown topics, autocomplete."""

from __future__ import annotations

from typing import Any

import discord

from bot.exts.guide import Guide
from knowledge.models import Library
from tests.helpers import MockInteraction, custom_ids, sent


async def test_guide_opens_a_topic_by_id(bot: Any, library: Library) -> None:
    interaction = MockInteraction(client=bot)
    cog = Guide(bot)
    await cog.guide.callback(cog, interaction, topic="step_length")
    kwargs = sent(interaction.response.send_message)
    assert kwargs["embed"].description == library.units["step_length"].body
    assert kwargs["ephemeral"] is False


async def test_guide_unknown_topic_is_a_private_error_with_suggestions(bot: Any) -> None:
    interaction = MockInteraction(client=bot)
    cog = Guide(bot)
    await cog.guide.callback(cog, interaction, topic="Step")  # partial: not a topic's name
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert "Step" in kwargs["content"]
    expected = [f"ww:unit:{u.id}" for u in bot.engine.topics("Step", limit=3)]
    assert "ww:unit:step_length" in expected
    assert custom_ids(kwargs["view"]) == expected


async def test_guide_autocomplete_within_discord_limits(bot: Any, library: Library) -> None:
    cog = Guide(bot)
    interaction = MockInteraction(client=bot, type=discord.InteractionType.autocomplete)
    choices = await cog.topic_choices(interaction, "")
    assert 1 <= len(choices) <= 25
    assert all(1 <= len(c.name) <= 100 and c.value in library.units for c in choices)
    bot.engine.topics = lambda partial, limit=25: list(library.units.values()) * 5
    choices = await cog.topic_choices(interaction, "a")
    assert len(choices) == 25
