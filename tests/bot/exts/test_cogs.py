"""Each cog, driven through spec_set mocks of discord.py objects (no network)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
import pytest
from discord import app_commands

from bot import errors
from bot.exts.ask import Ask
from bot.exts.cadence import Cadence, weekly_target
from bot.exts.checklist import Checklist, ToggleButton, build_checklist
from bot.exts.faq import Faq
from bot.exts.guide import Guide
from bot.ui import render, textsplit
from knowledge.content import default_library
from knowledge.models import Library
from tests.helpers import (
    FakeEngine,
    FakeResult,
    MockGuild,
    MockInteraction,
    MockMessage,
    MockTextChannel,
    make_bot,
    sent,
)


@pytest.fixture(scope="module")
def library() -> Library:
    return default_library()


@pytest.fixture
def engine(library: Library) -> FakeEngine:
    return FakeEngine(
        library,
        {
            "how should i stand": FakeResult("answer", "posture", 0.9),
            "which shoes": FakeResult("answer", "footwear", 0.8),
            "heat or ice": FakeResult("none", None, 0.2, ["warmup", "intro", "summary", "incline"]),
            "i cannot control my bladder": FakeResult("urgent", None, 1.0, ["posture"]),
        },
    )


@pytest.fixture
def bot(library: Library, engine: FakeEngine) -> Any:
    return make_bot(library, engine)


def _custom_ids(view: discord.ui.View | None) -> list[str]:
    return [getattr(item, "custom_id", "") for item in (view.children if view else [])]


# --- /ask ---------------------------------------------------------------------------------


async def test_ask_answer_is_public_with_title_text_note_and_related(
    bot: Any, library: Library
) -> None:
    interaction = MockInteraction(client=bot)
    await Ask(bot).ask.callback(Ask(bot), interaction, question="how should i stand")
    kwargs = sent(interaction.response.send_message)
    unit = library.units["posture"]
    embed = kwargs["embed"]
    assert embed.title == unit.title and embed.description == unit.body
    assert embed.footer.text == library.disclaimer
    assert kwargs["ephemeral"] is False
    ids = _custom_ids(kwargs["view"])
    assert 1 <= len(ids) <= 3
    assert ids == [f"ww:unit:{u}" for u in unit.related[:3]]


async def test_ask_not_in_guide_is_private_with_suggestions(bot: Any) -> None:
    interaction = MockInteraction(client=bot)
    cog = Ask(bot)
    await cog.ask.callback(cog, interaction, question="heat or ice")
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert _custom_ids(kwargs["view"]) == ["ww:unit:warmup", "ww:unit:intro", "ww:unit:summary"]
    assert bot.texts("not_in_guide") in kwargs["embed"].description


async def test_ask_urgent_is_seek_care_alone(bot: Any, library: Library) -> None:
    interaction = MockInteraction(client=bot)
    cog = Ask(bot)
    await cog.ask.callback(cog, interaction, question="i cannot control my bladder")
    kwargs = sent(interaction.response.send_message)
    assert kwargs["embed"].description == library.seek_care
    assert "view" not in kwargs  # never related topics or tips beside it
    assert kwargs["embed"].footer.text is None


async def test_ask_hostile_question_is_cleaned_before_matching(
    bot: Any, engine: FakeEngine
) -> None:
    interaction = MockInteraction(client=bot)
    cog = Ask(bot)
    question = "@everyone <@&1234567890> how\u200b do I walk? " + "x" * 6000
    await cog.ask.callback(cog, interaction, question=question)
    (seen,) = engine.questions
    assert len(seen) <= 2000
    assert "@everyone" not in seen and "<@&" not in seen and "\u200b" not in seen
    kwargs = sent(interaction.response.send_message)
    embed = kwargs["embed"]
    assert len(embed) <= textsplit.EMBED_TOTAL_LIMIT
    assert "@everyone" not in embed.description


async def test_mention_in_a_server_is_answered_as_a_reply(bot: Any, library: Library) -> None:
    channel = MockTextChannel()
    message = MockMessage(
        content=f"<@{bot.user.id}> which shoes",
        guild=MockGuild(),
        channel=channel,
        mentions=[bot.user],
    )
    await Ask(bot).on_message(message)
    kwargs = sent(message.reply)
    assert kwargs["mention_author"] is False
    assert kwargs["embed"].title == library.units["footwear"].title


async def test_messages_not_for_the_bot_are_ignored(bot: Any) -> None:
    other = MockMessage(content="which shoes", guild=MockGuild(), channel=MockTextChannel())
    from_bot = MockMessage(content="which shoes")
    from_bot.author.bot = True
    everyone = MockMessage(
        content="@everyone which shoes", guild=MockGuild(), channel=MockTextChannel()
    )
    everyone.mention_everyone = True
    for message in (other, from_bot, everyone):
        await Ask(bot).on_message(message)
        message.reply.assert_not_awaited()


async def test_dm_is_answered_and_misses_are_a_normal_reply(bot: Any) -> None:
    message = MockMessage(content="heat or ice")  # a DM: no guild
    await Ask(bot).on_message(message)
    kwargs = sent(message.reply)
    assert "ephemeral" not in kwargs
    assert bot.texts("you_asked", question="") not in kwargs["embed"].description
    assert len(_custom_ids(kwargs["view"])) == 3


async def test_empty_mention_gets_a_hint(bot: Any) -> None:
    message = MockMessage(
        content=f"<@{bot.user.id}>",
        guild=MockGuild(),
        channel=MockTextChannel(),
        mentions=[bot.user],
    )
    await Ask(bot).on_message(message)
    assert sent(message.reply)["content"] == bot.texts("ask_empty")


async def test_without_embed_links_the_answer_is_plain_text(bot: Any, library: Library) -> None:
    no_embeds = discord.Permissions.text()
    no_embeds.embed_links = False
    channel = MockTextChannel(permissions=no_embeds)
    message = MockMessage(
        content=f"<@{bot.user.id}> how should i stand",
        guild=MockGuild(),
        channel=channel,
        mentions=[bot.user],
    )
    await Ask(bot).on_message(message)
    kwargs = sent(message.reply)
    assert "embed" not in kwargs
    assert kwargs["content"].startswith(f"**{library.units['posture'].title}**")
    assert all(
        len(c.args[0] if c.args else c.kwargs["content"]) <= 2000
        for c in message.reply.await_args_list
    )


async def test_message_error_is_logged_with_an_id_and_the_user_told(
    bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    bot.engine.answer = lambda text: 1 / 0
    message = MockMessage(content="anything")
    with caplog.at_level(logging.ERROR):
        await Ask(bot).on_message(message)
    reply = sent(message.reply)["content"]
    error_id = re.search(r"`([0-9a-f]{8})`", reply)
    assert error_id, reply
    record = next(r for r in caplog.records if error_id.group(1) in r.getMessage())
    assert record.exc_info and record.exc_info[0] is ZeroDivisionError


# --- topic buttons ------------------------------------------------------------------------


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


# --- /guide -------------------------------------------------------------------------------


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
    assert _custom_ids(kwargs["view"]) == expected


async def test_guide_autocomplete_within_discord_limits(bot: Any, library: Library) -> None:
    cog = Guide(bot)
    interaction = MockInteraction(client=bot, type=discord.InteractionType.autocomplete)
    choices = await cog.topic_choices(interaction, "")
    assert 1 <= len(choices) <= 25
    assert all(1 <= len(c.name) <= 100 and c.value in library.units for c in choices)
    bot.engine.topics = lambda partial, limit=25: list(library.units.values()) * 5
    choices = await cog.topic_choices(interaction, "a")
    assert len(choices) == 25


# --- /faq ---------------------------------------------------------------------------------


async def test_faq_lists_every_question_each_openable(bot: Any, library: Library) -> None:
    interaction = MockInteraction(client=bot)
    cog = Faq(bot)
    await cog.faq.callback(cog, interaction)
    kwargs = sent(interaction.response.send_message)
    faqs = [u for u in library.units.values() if u.kind == "faq"]
    assert len(faqs) == 5
    for unit in faqs:
        assert (unit.question or unit.title) in kwargs["embed"].description
    assert _custom_ids(kwargs["view"]) == [f"ww:unit:{u.id}" for u in faqs]


# --- /checklist ---------------------------------------------------------------------------


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


# --- /cadence -----------------------------------------------------------------------------


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


# --- the shared error handler -------------------------------------------------------------


async def test_command_error_gives_a_private_apology_with_the_logged_id(
    bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    interaction = MockInteraction(client=bot)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        command = Ask(bot).ask
        error = app_commands.CommandInvokeError(command, exc)
    interaction.command = command
    with caplog.at_level(logging.ERROR):
        await errors.on_app_command_error(interaction, error)
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    error_id = re.search(r"`([0-9a-f]{8})`", kwargs["content"])
    assert error_id
    record = next(r for r in caplog.records if error_id.group(1) in r.getMessage())
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert "/ask" in record.getMessage()


async def test_error_after_a_response_goes_to_a_followup(bot: Any) -> None:
    interaction = MockInteraction(client=bot)
    await interaction.response.defer()
    await errors.report(interaction, RuntimeError("late"), "test")
    assert sent(interaction.followup.send)["ephemeral"] is True


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (app_commands.CheckFailure("no"), "error_not_allowed"),
        (app_commands.CommandOnCooldown(app_commands.Cooldown(1, 10.0), 4.2), "error_cooldown"),
    ],
)
async def test_refusals_are_private_notes_without_an_error_id(
    bot: Any, caplog: pytest.LogCaptureFixture, error: app_commands.AppCommandError, key: str
) -> None:
    interaction = MockInteraction(client=bot)
    with caplog.at_level(logging.ERROR):
        await errors.on_app_command_error(interaction, error)
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert kwargs["content"] == bot.texts(key, seconds=4)
    assert not caplog.records
