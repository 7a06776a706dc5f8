"""The real bot, started by its real start-up code (``python -m bot``), over Discord's wire protocol.

One fake Discord and one bot process serve the whole module: ``walkwell sync`` registers the
commands first (REST only), then the bot connects, and every test drives it as a Discord user
would. Expected answers come from the engine itself (``walkwell ask --json``) and the guide's
data, so these tests check the Discord layer, not the wording of the guide.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from knowledge.content import default_library
from knowledge.models import Library
from tests.e2e.harness import BotProcess, running_bot, token_leaks, walkwell
from tests.fakediscord import (
    FakeDiscord,
    FakeInteraction,
    FakeMessage,
)
from tests.fakediscord.cast import Cast
from tests.fakediscord.gateway import PRIVILEGED_INTENTS

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]

#: The slash commands of CONTRACT.md: name -> {option: (type, required)}.
CONTRACT: dict[str, dict[str, tuple[int, bool]]] = {
    "ask": {"question": (3, True)},
    "guide": {"topic": (3, True)},
    "faq": {},
    "checklist": {},
    "cadence": {"current": (4, False)},
    "reminders": {},
    "walk": {},
    "progress": {"weeks": (4, False)},
    "privacy": {},
    "club": {},
}

QUESTIONS = {
    "answer": "how fast should I walk?",
    "none": "what is the capital of france?",
    "urgent": "I suddenly cannot control my bladder and my legs are numb",
}

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


@dataclass
class World(Cast):
    fake: FakeDiscord
    bot: BotProcess
    library: Library
    #: walkwell ask --json for each of QUESTIONS
    expected: dict[str, dict[str, Any]]
    sync_output: str


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    workdir = tmp_path_factory.mktemp("walkwell-e2e")
    library = default_library()
    async with FakeDiscord() as fake:
        cast = Cast.join(fake, "Back pain walkers")

        asked = await walkwell(
            fake, workdir, "ask", "--json", stdin="\n".join(QUESTIONS.values()).encode() + b"\n"
        )
        assert asked.returncode == 0, asked.output
        lines = [json.loads(line) for line in asked.output.splitlines() if line.startswith("{")]
        expected = dict(zip(QUESTIONS, lines, strict=True))

        synced = await walkwell(fake, workdir, "sync")
        assert synced.returncode == 0, synced.output

        async with running_bot(fake, workdir, ready_timeout=60) as bot:
            yield World(
                **vars(cast),
                fake=fake,
                bot=bot,
                library=library,
                expected=expected,
                sync_output=synced.output,
            )


def heading(library: Library, unit_id: str) -> str:
    unit = library.units[unit_id]
    return unit.question if unit.kind == "faq" and unit.question else unit.title


def unit_buttons(msg: FakeMessage) -> list[str]:
    return [cid.removeprefix("ww:unit:") for cid in msg.custom_ids() if cid.startswith("ww:unit:")]


async def answered(ix: FakeInteraction) -> FakeMessage:
    """The message the user sees (waits out a defer).

    The fake refuses a first callback later than Discord's 3 seconds (404 / 10062), so a slow
    answer fails here and shows up in ``fake.problems()``.
    """
    return await ix.final(timeout=10)


# -- registration and start-up ---------------------------------------------------------------------


async def test_sync_registers_contract_commands(world: World) -> None:
    fake = world.fake
    registered = {c["name"]: c for c in fake.global_commands}
    assert registered, world.sync_output
    assert set(registered) <= set(CONTRACT), (
        f"not in the contract: {set(registered) - set(CONTRACT)}"
    )
    assert {"ask", "guide", "faq", "checklist", "cadence"} <= set(registered)
    for name, cmd in registered.items():
        options = {o["name"]: (o["type"], bool(o.get("required"))) for o in cmd["options"]}
        if options and all(t not in (1, 2) for t, _ in options.values()):
            assert options == CONTRACT[name], name
    assert next(o for o in registered["guide"]["options"] if o["name"] == "topic")["autocomplete"]
    assert [scope for scope, _ in fake.sync_calls] == [None]  # global, and only by `walkwell sync`


async def test_start_up_needs_no_privileged_intent_and_does_not_sync(world: World) -> None:
    fake = world.fake
    [identify] = fake.gateway.identifies[:1]
    assert identify["token"] == fake.token
    assert not identify["intents"] & PRIVILEGED_INTENTS
    # `walkwell sync` registered the commands once; the running bot never syncs by itself
    assert len(fake.sync_calls) == 1
    assert len(fake.requests_to("PUT", "/applications/{application_id}/commands")) == 1


# -- /ask -------------------------------------------------------------------------------------------


async def test_ask_answers_with_the_unit_disclaimer_and_related_topics(world: World) -> None:
    fake, library = world.fake, world.library
    want = world.expected["answer"]
    assert want["kind"] == "answer"
    ix = await fake.slash(
        world.alice, "ask", {"question": QUESTIONS["answer"]}, channel=world.general
    )
    msg = await answered(ix)
    [embed] = msg.embeds
    assert embed["title"] == heading(library, want["id"])
    assert library.units[want["id"]].body[:200] in embed["description"]
    # the not-medical-advice note, then "Was this helpful?" over its Yes / No buttons
    assert embed["footer"]["text"].startswith(library.disclaimer)
    feedback = [c for c in msg.custom_ids() if c.startswith("ww:fb:")]
    assert [c.split(":")[2:4] for c in feedback] == [["y", want["id"]], ["n", want["id"]]]
    related = unit_buttons(msg)
    assert related and set(related) <= set(library.units)
    assert set(related) <= set(library.units[want["id"]].related)
    # one click on a related topic opens it, privately, for whoever clicks
    click = await fake.click(world.bob, msg, f"ww:unit:{related[0]}")
    opened = await answered(click)
    assert opened.ephemeral
    assert opened.embeds[0]["title"] == heading(library, related[0])


async def test_ask_not_in_guide_is_private(world: World) -> None:
    assert world.expected["none"]["kind"] == "none"
    ix = await world.fake.slash(
        world.alice, "ask", {"question": QUESTIONS["none"]}, channel=world.general
    )
    msg = await answered(ix)
    assert msg.ephemeral
    assert set(unit_buttons(msg)) <= set(world.expected["none"]["suggestions"])


async def test_ask_red_flags_get_the_seek_care_message_alone(world: World) -> None:
    assert world.expected["urgent"]["kind"] == "urgent"
    ix = await world.fake.slash(
        world.alice, "ask", {"question": QUESTIONS["urgent"]}, channel=world.general
    )
    msg = await answered(ix)
    assert world.library.seek_care.strip()[:120] in msg.text()
    assert msg.components == []  # no tips, no related topics
    assert len(msg.embeds) <= 1


# -- /guide ----------------------------------------------------------------------------------------


async def test_guide_autocomplete_from_memory(world: World) -> None:
    fake = world.fake
    choices = await fake.autocomplete(world.alice, "guide", {"topic": "cad"}, focused="topic")
    assert 1 <= len(choices) <= 25
    assert "cadence" in [c["value"] for c in choices]
    assert all(c["value"] in world.library.units for c in choices)
    everything = await fake.autocomplete(world.alice, "guide", {"topic": ""}, focused="topic")
    assert 1 <= len(everything) <= 25
    junk = await fake.autocomplete(
        world.alice, "guide", {"topic": "@everyone " + "x" * 90}, focused="topic"
    )
    assert len(junk) <= 25


async def test_guide_opens_a_section_and_an_faq(world: World) -> None:
    for topic in ("posture", "faq_aggravate"):
        ix = await world.fake.slash(world.alice, "guide", {"topic": topic}, channel=world.general)
        msg = await answered(ix)
        assert msg.embeds[0]["title"] == heading(world.library, topic)
        assert msg.embeds[0]["footer"]["text"].startswith(world.library.disclaimer)
        assert any(c.startswith(f"ww:fb:y:{topic}:") for c in msg.custom_ids())


async def test_guide_unknown_topic_is_private_and_harmless(world: World) -> None:
    topic = f"@everyone {world.walkers.mention} **nope**{ZERO_WIDTH}"
    ix = await world.fake.slash(world.alice, "guide", {"topic": topic}, channel=world.general)
    msg = await answered(ix)
    assert msg.ephemeral
    assert "@everyone" not in msg.content  # escaped, so it does not even look like a ping
    assert not any(p.any_mass_ping for p in msg.all_pings())


# -- /faq, /checklist, /cadence --------------------------------------------------------------------


async def test_faq_lists_every_question_and_opens_each(world: World) -> None:
    fake, library = world.fake, world.library
    faqs = [u.id for u in library.units.values() if u.kind == "faq"]
    ix = await fake.slash(world.bob, "faq", channel=world.general)
    msg = await answered(ix)
    assert unit_buttons(msg) == faqs[:25]
    for unit_id in faqs:
        opened = await answered(await fake.click(world.alice, msg, f"ww:unit:{unit_id}"))
        assert opened.ephemeral and opened.embeds[0]["title"] == heading(library, unit_id)


async def test_checklist_is_private_and_ticks(world: World) -> None:
    fake, library = world.fake, world.library
    ix = await fake.slash(world.alice, "checklist", channel=world.general)
    msg = await answered(ix)
    assert msg.ephemeral
    items = [cid for cid in msg.custom_ids() if cid.startswith("ww:chk:")]
    assert len(items) == min(len(library.checklist), 25)
    with pytest.raises(ValueError):  # nobody else can see it, so nobody else can click it
        await fake.click(world.bob, msg, items[0])
    for n in range(len(items)):
        current = next(
            c for c in msg.custom_ids() if c.startswith("ww:chk:") and c.endswith(f":{n}")
        )
        click = await fake.click(world.alice, msg, current)
        resp = await click.response()
        assert resp.type == 7 and resp.message is msg
    ticked = [c for c in msg.components for b in c["components"] if b.get("style") == 3]
    assert len(ticked) == len(items)
    assert library.checklist[0].label in msg.text()


async def test_cadence_targets_and_weekly_target(world: World) -> None:
    fake, plan = world.fake, world.library.cadence
    public = await answered(await fake.slash(world.alice, "cadence", channel=world.general))
    assert not public.ephemeral
    assert str(plan.goal) in public.text() and str(plan.start_low) in public.text()
    below = plan.goal - plan.weekly_step - 10
    mine = await answered(
        await fake.slash(world.alice, "cadence", {"current": below}, channel=world.general)
    )
    assert mine.ephemeral
    assert f"**{below + plan.weekly_step}**" in mine.text()
    near = await answered(
        await fake.slash(world.alice, "cadence", {"current": plan.goal - 1}, channel=world.general)
    )
    assert f"**{plan.goal}**" in near.text()  # never past the guide's goal
    with pytest.raises(ValueError):  # Discord's client enforces the option's range
        await fake.slash(world.alice, "cadence", {"current": 5}, channel=world.general)


# -- mentions and DMs ------------------------------------------------------------------------------


async def test_mention_is_answered_as_a_reply(world: World) -> None:
    fake = world.fake
    msg = await fake.user_message(world.alice, world.general, "<@BOT> " + QUESTIONS["answer"])
    reply = await fake.wait_for_bot_message(world.general, after=msg, timeout=10)
    assert reply.referenced is msg
    assert reply.embeds[0]["title"] == heading(world.library, world.expected["answer"]["id"])
    assert not reply.pings().any_mass_ping


async def test_plain_message_is_ignored(world: World) -> None:
    fake = world.fake
    plain = await fake.user_message(world.bob, world.general, QUESTIONS["answer"])
    marker = await fake.user_message(world.bob, world.general, "<@BOT> what shoes?")
    reply = await fake.wait_for_bot_message(world.general, after=plain, timeout=10)
    assert reply.referenced is marker  # the first reply after the plain message answers the mention


async def test_dm_is_answered(world: World) -> None:
    fake = world.fake
    msg = await fake.user_dm(world.bob, QUESTIONS["urgent"])
    reply = await fake.wait_for_bot_message(msg.channel, after=msg, timeout=10)
    assert reply.channel.is_dm and reply.referenced is msg
    assert world.library.seek_care.strip()[:120] in reply.text()
    assert reply.components == []


# -- hostile input ---------------------------------------------------------------------------------


async def test_6000_character_question_is_answered_within_limits(world: World) -> None:
    """Longer than /ask allows (Discord's client would stop it): the bot still answers sanely."""
    fake = world.fake
    huge = ("how long should my steps be when I walk " * 200)[:6000]
    ix = await fake.slash(
        world.alice, "ask", {"question": huge}, channel=world.general, validate=False
    )
    msg = await answered(ix)
    assert msg.text() and "Error id" not in msg.text()
    assert not ix.rejected  # within Discord's limits: the fake refuses anything over them


async def test_6000_character_mention_is_answered(world: World) -> None:
    fake = world.fake
    body = ("what shoes should I wear " * 300)[:6000]
    msg = await fake.user_message(world.alice, world.general, body, mention_bot=True)
    reply = await fake.wait_for_bot_message(world.general, after=msg, timeout=10)
    assert reply.referenced is msg and "Error id" not in reply.text()


async def test_hostile_question_pings_nobody(world: World) -> None:
    fake = world.fake
    question = (
        f"@everyone @here {world.walkers.mention} {world.bob.mention} **how** __do__ "
        f"I`stand`{ZERO_WIDTH}? ||spoiler|| ~~x~~ > quote\n# heading"
    )
    ix = await fake.slash(world.alice, "ask", {"question": question}, channel=world.general)
    msg = await answered(ix)
    assert not any(p.any_mass_ping for p in msg.all_pings())
    assert world.bob.id not in msg.pings().users


async def test_hostile_mention_message_pings_nobody(world: World) -> None:
    fake = world.fake
    body = (
        f"@everyone {world.walkers.mention} what shoes {ZERO_WIDTH}**should** I wear? "
        + "walk " * 790
    )[:3900]
    msg = await fake.user_message(world.alice, world.general, body, mention_bot=True)
    reply = await fake.wait_for_bot_message(world.general, after=msg, timeout=10)
    assert not any(p.any_mass_ping for p in reply.all_pings())
    assert reply.pings().users <= {world.alice.id}


async def test_markdown_and_zero_width_only_question(world: World) -> None:
    fake = world.fake
    ix = await fake.slash(
        world.alice, "ask", {"question": f"**{ZERO_WIDTH}**"}, channel=world.general
    )
    msg = await answered(ix)
    assert msg.text() and "Error id" not in msg.text()


# -- the connection --------------------------------------------------------------------------------


async def test_survives_a_dropped_gateway(world: World) -> None:
    fake = world.fake
    resumes = fake.gateway.resumes
    await fake.drop_gateway(4000)
    ix = await fake.slash(
        world.alice, "ask", {"question": QUESTIONS["answer"]}, channel=world.general
    )
    msg = await ix.final(timeout=20)
    assert msg.embeds[0]["title"] == heading(world.library, world.expected["answer"]["id"])
    await fake.drop_gateway(abrupt=True)
    msg2 = await fake.user_message(world.alice, world.general, "<@BOT> what shoes?")
    reply = await fake.wait_for_bot_message(world.general, after=msg2, timeout=20)
    assert reply.referenced is msg2
    assert fake.gateway.resumes == resumes + 2


async def test_nothing_went_wrong_on_the_wire(world: World) -> None:
    fake = world.fake
    assert fake.problems() == []
    assert all(ix.responses for ix in fake.interactions), [
        ix.describe() for ix in fake.interactions if not ix.responses
    ]
    assert token_leaks(fake, world.bot.log_text()) == []


# -- start-up failures (their own processes) -------------------------------------------------------


async def test_missing_token_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        result = await walkwell(fake, tmp_path, "run", env={"DISCORD_TOKEN": ""})
    assert result.returncode == 2, result.output
    lines = [line for line in result.output.splitlines() if "DISCORD_TOKEN" in line]
    assert len(lines) == 1


async def test_rejected_token_fails_without_logging_it(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        bad = fake.token[:-4] + "AAAA"
        result = await walkwell(fake, tmp_path, "run", env={"DISCORD_TOKEN": bad})
        assert result.returncode not in (0, 2), result.output
        assert bad not in result.output and bad.rsplit(".", 1)[-1] not in result.output
        assert not fake.gateway.identifies
