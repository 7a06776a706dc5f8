"""``/cadence``."""

from __future__ import annotations

from typing import Any

import pytest

from bot.exts.cadence import Cadence, weekly_target
from knowledge.models import Library
from tests.helpers import MockInteraction, sent


@pytest.mark.parametrize(
    ("current", "target"),
    [(40, 45), (80, 85), (100, 105), (117, 120), (119, 120), (120, 120), (160, 160)],
)
def test_weekly_target_steps_up_and_never_past_the_goal(
    library: Library, current: int, target: int
) -> None:
    assert weekly_target(library.cadence, current) == target


async def test_cadence_without_current_shows_the_guides_targets(bot: Any) -> None:
    interaction = MockInteraction(client=bot)
    cog = Cadence(bot)
    await cog.cadence.callback(cog, interaction, current=None)
    kwargs = sent(interaction.response.send_message)
    text = kwargs["embed"].description
    assert "80" in text and "90" in text and "120" in text
    assert kwargs["ephemeral"] is False


async def test_cadence_with_current_gives_this_weeks_target(bot: Any) -> None:
    interaction = MockInteraction(client=bot)
    cog = Cadence(bot)
    await cog.cadence.callback(cog, interaction, current=100)
    kwargs = sent(interaction.response.send_message)
    assert "**105**" in kwargs["embed"].description
    assert kwargs["ephemeral"] is True


async def test_cadence_at_the_goal_keeps_it(bot: Any) -> None:
    interaction = MockInteraction(client=bot)
    cog = Cadence(bot)
    await cog.cadence.callback(cog, interaction, current=130)
    text = sent(interaction.response.send_message)["embed"].description
    assert bot.texts("cadence_at_goal", current=130, goal=120) in text


@pytest.mark.parametrize("current", [0, 29, 251, 10_000, -5])
async def test_cadence_out_of_range_is_refused_privately(bot: Any, current: int) -> None:
    interaction = MockInteraction(client=bot)
    cog = Cadence(bot)
    await cog.cadence.callback(cog, interaction, current=current)
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True and "embed" not in kwargs
