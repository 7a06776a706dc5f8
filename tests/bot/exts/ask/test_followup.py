"""Follow-ups in context: which unit a replied-to answer was on, and how the context is used."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import discord

from bot.exts.ask import Ask
from bot.exts.ask.followup import (
    asks_something,
    choose,
    new_topic,
    replied_unit,
    unit_of_answer,
    with_topic,
)
from bot.ui import render
from knowledge.models import Library
from schedules.feedback.store import remember_answer
from tests.helpers import FakeResult, MockGuild, MockMessage, MockTextChannel, MockUser, sent


def bot_answer(bot: Any, **kwargs: Any) -> Any:
    """A message by the bot (an answer it sent earlier)."""
    defaults: dict[str, Any] = {"author": bot.user, "embeds": [], "components": [], "content": ""}
    return MockMessage(**{**defaults, **kwargs})


def reply_to(bot: Any, answer: Any, text: str) -> Any:
    """A user's Discord reply to ``answer`` (it mentions the bot, as replies do by default)."""
    ref = discord.MessageReference(message_id=answer.id, channel_id=1, fail_if_not_exists=False)
    ref.resolved = answer
    return MockMessage(
        content=text,
        guild=MockGuild(),
        channel=MockTextChannel(),
        mentions=[bot.user],
        reference=ref,
    )


def row(*custom_ids: str) -> Any:
    return SimpleNamespace(children=[SimpleNamespace(custom_id=c) for c in custom_ids])


def test_unit_from_the_feedback_buttons_before_anything_else(bot: Any, library: Library) -> None:
    answer = bot_answer(
        bot,
        components=[row("ww:unit:incline"), row("ww:fb:y:cadence:12", "ww:fb:n:cadence:12")],
        embeds=[discord.Embed(title=library.units["footwear"].title)],
    )
    # the topic buttons (related units) are not what the answer was about
    assert unit_of_answer(library, answer) == "cadence"


def test_unit_from_the_embed_title_or_the_plain_text_title(bot: Any, library: Library) -> None:
    faq = library.units["faq_how_often"]
    embedded = bot_answer(bot, embeds=[discord.Embed(title=render.unit_heading(faq))])
    assert unit_of_answer(library, embedded) == "faq_how_often"
    plain = bot_answer(bot, content=f"**{library.units['posture'].title}**\n\nStand tall...")
    assert unit_of_answer(library, plain) == "posture"


def test_no_unit_for_seek_care_or_not_in_guide(bot: Any, library: Library) -> None:
    care = render.seek_care_reply(library, bot.texts)
    missed = render.not_found_reply(library, bot.texts, ["warmup", "intro"])
    for reply in (care, missed):
        answer = bot_answer(
            bot,
            embeds=[reply.embed],
            components=[row(*(c.custom_id for c in reply.view.children))] if reply.view else [],
        )
        assert unit_of_answer(library, answer) is None


async def test_context_only_from_a_reply_to_the_bot(bot: Any, library: Library) -> None:
    cadence = discord.Embed(title=library.units["cadence"].title)
    mine = reply_to(bot, bot_answer(bot, embeds=[cadence]), "what about on hills?")
    assert await replied_unit(library, bot.services, bot.user.id, mine) == "cadence"
    someone = reply_to(bot, bot_answer(bot, author=MockUser(), embeds=[cadence]), "hills?")
    assert await replied_unit(library, bot.services, bot.user.id, someone) is None
    plain = MockMessage(content="hills?", guild=MockGuild(), reference=None)
    assert await replied_unit(library, bot.services, bot.user.id, plain) is None
    gone = reply_to(bot, bot_answer(bot), "hills?")
    gone.reference.resolved = discord.DeletedReferencedMessage(gone.reference)
    assert await replied_unit(library, bot.services, bot.user.id, gone) is None


async def test_context_from_the_stored_answer_when_the_message_does_not_say(
    stored_bot: Any, library: Library
) -> None:
    bot = stored_bot
    question_id = 424242424242
    await remember_answer(
        bot.services.database(), question_id, "incline", "is uphill ok", now=datetime.now(UTC)
    )
    # e.g. an answer cut to plain text whose title line was edited away: only the row knows
    answer = bot_answer(bot, content="Walking uphill...")
    answer.reference = discord.MessageReference(message_id=question_id, channel_id=1)
    follow = reply_to(bot, answer, "how steep?")
    assert await replied_unit(library, bot.services, bot.user.id, follow) == "incline"
    # without storage there is nothing to look up: no context, no error
    assert await replied_unit(library, bot.services.off(), bot.user.id, follow) is None


def test_with_topic_carries_the_title_and_aliases(library: Library) -> None:
    text = with_topic("how do I count them?", library.units["cadence"])
    assert text.startswith("how do I count them? (")
    assert library.units["cadence"].title in text and "steps per minute" in text


def test_choose() -> None:
    incline = FakeResult("answer", "incline", 1.0)
    cadence = FakeResult("answer", "cadence", 1.0)
    weak = SimpleNamespace(kind="none", id=None, score=0.3, suggestions=[], reason="weak")
    pills = SimpleNamespace(kind="none", id=None, score=0.3, suggestions=[], reason="not_covered")
    urgent = FakeResult("urgent", None, 1.0)
    vague = FakeResult("answer", "summary", 0.6)
    assert choose(incline, cadence) is incline  # names its own topic: it wins
    assert choose(weak, cadence) is cadence  # weak alone: read in context
    assert choose(vague, cadence) is cadence  # a vague answer alone: read in context
    assert choose(pills, cadence) is pills  # "not covered" is never talked over
    assert choose(urgent, cadence) is urgent and choose(weak, urgent) is urgent
    assert choose(weak, weak) is weak


async def test_a_reply_to_an_answer_is_answered_in_its_topic(bot: Any, library: Library) -> None:
    cadence = library.units["cadence"]
    question = "how do I count them?"
    bot.engine.results[with_topic(question, cadence)] = FakeResult("answer", "cadence", 1.0)
    answer = bot_answer(bot, embeds=[discord.Embed(title=cadence.title)])
    message = reply_to(bot, answer, question)
    cog = Ask(bot)
    try:
        await cog.on_message(message)
    finally:
        cog.answers.close()
    assert sent(message.reply)["embed"].title == cadence.title
    assert sorted(bot.engine.questions) == sorted([question, with_topic(question, cadence)])


async def test_the_same_question_without_a_reply_is_not_in_the_guide(bot: Any) -> None:
    message = MockMessage(
        content="how do I count them?",
        guild=MockGuild(),
        channel=MockTextChannel(),
        mentions=[bot.user],
        reference=None,
    )
    cog = Ask(bot)
    try:
        await cog.on_message(message)
    finally:
        cog.answers.close()
    assert sent(message.reply)["embed"].title == bot.texts("not_in_guide_title")
    assert bot.engine.questions == ["how do I count them?"]


def test_only_a_reply_that_asks_something_is_read_in_context() -> None:
    for text in (
        "what about on hills?",
        "and how often",
        "how high?",
        "is 100 too many?",
        "tell me more",
        "What's the point",
    ):
        assert asks_something(text), text
    for text in ("thanks!", "ok", "great, that helps", "", "👍"):
        assert not asks_something(text), text


async def test_thanks_in_reply_is_not_answered_with_the_same_unit(
    bot: Any, library: Library
) -> None:
    cadence = library.units["cadence"]
    bot.engine.results[with_topic("thanks!", cadence)] = FakeResult("answer", "cadence", 1.0)
    message = reply_to(bot, bot_answer(bot, embeds=[discord.Embed(title=cadence.title)]), "thanks!")
    cog = Ask(bot)
    try:
        await cog.on_message(message)
    finally:
        cog.answers.close()
    assert bot.engine.questions == ["thanks!"]
    assert sent(message.reply)["embed"].title != cadence.title


def test_a_reply_with_a_topic_the_guide_does_not_know_is_a_new_question(library: Library) -> None:
    for text in ("best pizza in town?", "can I bring my dog", "any good podcasts?"):
        assert new_topic(library, text), text
    for text in ("how do I count them?", "how high?", "is 100 too many?", "what about on hills?"):
        assert not new_topic(library, text), text


async def test_an_off_topic_reply_is_not_answered_with_the_answers_unit(
    bot: Any, library: Library
) -> None:
    cadence = library.units["cadence"]
    question = "best pizza in town?"
    bot.engine.results[with_topic(question, cadence)] = FakeResult("answer", "cadence", 1.0)
    message = reply_to(bot, bot_answer(bot, embeds=[discord.Embed(title=cadence.title)]), question)
    cog = Ask(bot)
    try:
        await cog.on_message(message)
    finally:
        cog.answers.close()
    assert bot.engine.questions == [question]
    assert sent(message.reply)["embed"].title != cadence.title
