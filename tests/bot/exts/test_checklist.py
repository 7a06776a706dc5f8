"""``/checklist``: private, ticked with its state in its buttons, expiring."""

from __future__ import annotations

import asyncio
from typing import Any

import discord

from bot.exts.checklist import Checklist, ToggleButton, build_checklist
from knowledge.models import Library
from tests.helpers import MockInteraction, sent


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_checklist_is_private_and_ticks_with_state_in_the_buttons(
    bot: Any, library: Library
) -> None:
    clock = Clock()
    cog = Checklist(bot, clock=clock)
    interaction = MockInteraction(client=bot)
    await cog.checklist.callback(cog, interaction)
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    buttons = kwargs["view"].children
    assert len(buttons) == len(library.checklist) == 8
    assert all(isinstance(b, ToggleButton) and not b.mask for b in buttons)

    # Tick every item, one click at a time, each click answered by editing the same message.
    state = buttons
    for n in range(len(library.checklist)):
        click = MockInteraction(client=bot, type=discord.InteractionType.component)
        button = state[n]
        await cog.toggle(click, button.stamp, button.mask, button.index)
        edit = sent(click.response.edit_message)
        state = edit["view"].children
        assert state[n].mask >> n & 1
        ready = bot.texts("checklist_ready") in edit["embed"].description
        assert ready == (n == len(library.checklist) - 1)
    # Unticking one takes the ready line away again.
    click = MockInteraction(client=bot, type=discord.InteractionType.component)
    await cog.toggle(click, state[0].stamp, state[0].mask, 0)
    assert (
        bot.texts("checklist_ready") not in sent(click.response.edit_message)["embed"].description
    )
    await cog.cog_unload()


async def test_checklist_button_parses_its_own_custom_id(bot: Any, library: Library) -> None:
    reply = build_checklist(library.checklist, bot.texts, library.disclaimer, 0b101, 1_800_000_000)
    button = reply.view.children[2]  # type: ignore[union-attr]
    assert isinstance(button, ToggleButton)
    assert len(button.custom_id) <= 100
    match = button.template.fullmatch(button.custom_id)
    assert match is not None
    again = await ToggleButton.from_custom_id(MockInteraction(client=bot), button.item, match)
    assert (again.stamp, again.mask, again.index) == (1_800_000_000, 0b101, 2)


async def test_an_old_checklist_says_it_expired(bot: Any) -> None:
    clock = Clock()
    cog = Checklist(bot, clock=clock)
    stamp = int(clock.now)
    clock.now += cog.timeout + 1
    click = MockInteraction(client=bot, type=discord.InteractionType.component)
    await cog.toggle(click, stamp, 0, 0)
    edit = sent(click.response.edit_message)
    assert edit["content"] == bot.texts("checklist_expired")
    assert edit["view"] is None and edit["embed"] is None


async def test_an_idle_checklist_is_edited_to_say_it_expired(bot: Any) -> None:
    cog = Checklist(bot, clock=Clock())
    cog.timeout = 0.01
    interaction = MockInteraction(client=bot)
    interaction.response.send_message.return_value.resource.id = 42
    await cog.checklist.callback(cog, interaction)
    for _ in range(100):
        if interaction.edit_original_response.await_count:
            break
        await asyncio.sleep(0.01)
    edit = sent(interaction.edit_original_response)
    assert edit["content"] == bot.texts("checklist_expired") and edit["view"] is None
    assert not cog._timers
