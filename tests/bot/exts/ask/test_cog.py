"""``/ask`` and messages to the bot, driven through spec_set mocks (no network)."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
import pytest

from bot.exts.ask import Ask
from bot.ui import textsplit
from knowledge.models import Library
from tests.helpers import (
    FakeEngine,
    MockGuild,
    MockInteraction,
    MockMessage,
    MockTextChannel,
    custom_ids,
    sent,
)


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
    ids = custom_ids(kwargs["view"])
    assert 1 <= len(ids) <= 3
    assert ids == [f"ww:unit:{u}" for u in unit.related[:3]]


async def test_ask_not_in_guide_is_private_with_suggestions(bot: Any) -> None:
    interaction = MockInteraction(client=bot)
    cog = Ask(bot)
    await cog.ask.callback(cog, interaction, question="heat or ice")
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert custom_ids(kwargs["view"]) == ["ww:unit:warmup", "ww:unit:intro", "ww:unit:summary"]
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


def mention(bot: Any, text: str, channel: Any = None) -> Any:
    """A message in a server that mentions the bot: ``<@bot> text``."""
    return MockMessage(
        content=f"<@{bot.user.id}>{text}",
        guild=MockGuild(),
        channel=channel or MockTextChannel(),
        mentions=[bot.user],
    )


async def test_mention_in_a_server_is_answered_as_a_reply(bot: Any, library: Library) -> None:
    message = mention(bot, " which shoes")
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
    assert len(custom_ids(kwargs["view"])) == 3


async def test_empty_mention_gets_a_hint(bot: Any) -> None:
    message = mention(bot, "")
    await Ask(bot).on_message(message)
    assert sent(message.reply)["content"] == bot.texts("ask_empty")


async def test_without_embed_links_the_answer_is_plain_text(bot: Any, library: Library) -> None:
    no_embeds = discord.Permissions.text()
    no_embeds.embed_links = False
    channel = MockTextChannel(permissions=no_embeds)
    message = mention(bot, " how should i stand", channel)
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
