"""Follow-ups in context, over the wire: a Discord reply to one of the bot's answers is read in
that answer's topic (CONTRACT.md, after the slash-command table). The real bot (``python -m bot``)
against the fake Discord, which sends replies as Discord does (``message_reference`` and the
``referenced_message`` it resolves, the replied-to author among the mentions)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from knowledge.content import default_library
from knowledge.models import Library
from tests.e2e.harness import BotProcess, running_bot, walkwell
from tests.fakediscord import FakeDiscord, FakeMessage
from tests.fakediscord.cast import Cast

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


@dataclass
class World(Cast):
    fake: FakeDiscord
    bot: BotProcess
    library: Library


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    workdir = tmp_path_factory.mktemp("walkwell-followup")
    async with FakeDiscord() as fake:
        cast = Cast.join(fake, "Back pain walkers")
        synced = await walkwell(fake, workdir, "sync")
        assert synced.returncode == 0, synced.output
        async with running_bot(fake, workdir, ready_timeout=60) as bot:
            yield World(**vars(cast), fake=fake, bot=bot, library=default_library())
        assert not fake.problems(), fake.problems()


def title(world: World, unit_id: str) -> str:
    unit = world.library.units[unit_id]
    return unit.question if unit.kind == "faq" and unit.question else unit.title


async def ask(world: World, text: str, reply_to: FakeMessage | None = None) -> FakeMessage:
    """alice asks (a mention, or a Discord reply to ``reply_to``); the bot's reply to it."""
    fake = world.fake
    if reply_to is None:
        msg = await fake.user_message(world.alice, world.general, text, mention_bot=True)
    else:
        msg = await fake.user_message(world.alice, world.general, text, reply_to=reply_to)
        assert fake.bot_user.mention not in msg.content  # only the reply mentions the bot
    answer = await fake.wait_for_bot_message(
        world.general, after=msg, timeout=15, predicate=lambda m: m.referenced is msg
    )
    assert not answer.pings().any_mass_ping
    return answer


async def test_a_reply_to_the_cadence_answer_about_hills_gets_incline(world: World) -> None:
    cadence = await ask(world, "how many steps per minute should I aim for?")
    assert cadence.embeds[0]["title"] == title(world, "cadence")
    hills = await ask(world, "what about on hills?", reply_to=cadence)
    assert hills.embeds[0]["title"] == title(world, "incline")
    often = await ask(world, "and how often?", reply_to=cadence)
    assert often.embeds[0]["title"] == title(world, "faq_how_often")


async def test_a_vague_follow_up_is_answered_in_the_topic_it_replies_to(world: World) -> None:
    vague = "how do I count them?"
    alone = await ask(world, vague)  # on its own the guide has no answer to it
    assert alone.embeds[0]["title"] != title(world, "cadence")
    cadence = await ask(world, "how many steps per minute should I aim for?")
    follow = await ask(world, vague, reply_to=cadence)
    assert follow.embeds[0]["title"] == title(world, "cadence")
    footwear = await ask(world, "what shoes should I wear?")
    assert footwear.embeds[0]["title"] == title(world, "footwear")
    arms = await ask(world, "how high?", reply_to=await ask(world, "should I swing my arms?"))
    assert arms.embeds[0]["title"] == title(world, "arm_swing")


async def test_a_reply_to_someone_else_is_an_ordinary_question(world: World) -> None:
    fake = world.fake
    bobs = await fake.user_message(world.bob, world.general, "I love walking to the lake")
    msg = await fake.user_message(
        world.alice, world.general, "<@BOT> how do I count them?", reply_to=bobs
    )
    answer = await fake.wait_for_bot_message(
        world.general, after=msg, timeout=15, predicate=lambda m: m.referenced is msg
    )
    assert answer.embeds[0]["title"] != title(world, "cadence")
