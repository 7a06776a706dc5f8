"""The fake Discord, proved against the real discord.py 2.7 client.

One fake server and one minimal discord.py bot process (``tests/fakediscord/minibot.py``, started
through the same harness as the real bot) are shared by the module. The raw wire checks, with no
bot, are in ``test_wire.py``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from tests.e2e.harness import BotDied, BotProcess, running_bot, token_leaks
from tests.fakediscord import FakeDiscord
from tests.fakediscord.cast import Cast
from tests.fakediscord.gateway import INTENT_MESSAGE_CONTENT

pytestmark = pytest.mark.asyncio(loop_scope="module")

MINIBOT = [sys.executable, "-m", "tests.fakediscord.minibot"]


@dataclass
class World(Cast):
    fake: FakeDiscord
    bot: BotProcess


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with FakeDiscord() as fake:
        cast = Cast.join(fake, "Walkers")
        bot = BotProcess(fake, tmp_path_factory.mktemp("minibot"), argv=MINIBOT)
        await bot.start()
        try:
            await bot.wait_ready(timeout=30)
            yield World(**vars(cast), fake=fake, bot=bot)
        finally:
            await bot.stop()
        bot.assert_clean_exit()
        assert not fake.server_errors, fake.server_errors


# -- start-up, READY, sync -------------------------------------------------------------------------


async def test_login_ready_and_sync(world: World) -> None:
    fake = world.fake
    paths = [(r.method, r.template) for r in fake.requests]
    assert ("GET", "/users/@me") in paths
    assert ("GET", "/oauth2/applications/@me") in paths
    # tree.sync() stored the commands, typed options included
    names = {c["name"] for c in fake.global_commands}
    assert {"ping", "echo", "guide", "reminders"} <= names
    echo = fake.command("echo")
    assert echo is not None
    assert [(o["name"], o["type"], o.get("required", False)) for o in echo["options"]] == [
        ("text", 3, True),
        ("times", 4, False),
    ]
    assert len(fake.sync_calls) == 1 and fake.sync_calls[0][0] is None
    identify = fake.gateway.identifies[0]
    assert identify["token"] == fake.token
    assert not identify["intents"] & INTENT_MESSAGE_CONTENT


# -- slash commands --------------------------------------------------------------------------------


async def test_slash_ephemeral(world: World) -> None:
    ix = await world.fake.slash(world.alice, "ping", channel=world.general)
    resp = await ix.response()
    assert resp.type == 4
    assert resp.ephemeral and resp.content == "pong"
    assert ix.original is not None and ix.original is resp.message and ix.original.ephemeral


async def test_typed_options_and_allowed_mentions(world: World) -> None:
    fake = world.fake
    text = f"hi @everyone {world.walkers.mention} {world.bob.mention}"
    ix = await fake.slash(world.alice, "echo", {"text": text, "times": 2}, channel=world.general)
    resp = await ix.response()
    assert resp.content == f"{text} {text}"
    assert not resp.ephemeral
    assert resp.allowed_mentions == {"parse": []}
    pings = resp.message.pings() if resp.message else None
    assert pings is not None and not pings.everyone and not pings.roles and not pings.users
    option_types = {o["name"]: o["type"] for o in ix.payload["data"]["options"]}
    assert option_types == {"text": 3, "times": 4}
    assert ix.payload["member"]["permissions"].isdigit()
    assert ix.payload["guild_id"] == str(world.guild.id)
    assert ix.payload["context"] == 0
    assert resp.message in fake.bot_messages(world.general)


async def test_invalid_options_refused_like_discords_client(world: World) -> None:
    fake = world.fake
    with pytest.raises(ValueError):
        await fake.slash(world.alice, "echo", {"text": "x", "times": 9}, channel=world.general)
    with pytest.raises(TypeError):
        await fake.slash(world.alice, "echo", {"text": "x", "times": "2"}, channel=world.general)
    with pytest.raises(ValueError):
        await fake.slash(world.alice, "echo", {}, channel=world.general)
    with pytest.raises(ValueError):
        await fake.slash(world.alice, "echo", {"text": "x", "nope": 1}, channel=world.general)
    with pytest.raises(LookupError):
        await fake.slash(world.alice, "nosuchcommand", channel=world.general)


async def test_subcommand_with_choice(world: World) -> None:
    ix = await world.fake.slash(
        world.alice, "reminders start", {"time": "07:30", "where": "here"}, channel=world.general
    )
    resp = await ix.response()
    assert resp.ephemeral and resp.content == "reminders at 07:30 via here"
    sub = ix.payload["data"]["options"][0]
    assert sub["type"] == 1 and sub["name"] == "start"
    with pytest.raises(ValueError):
        await world.fake.slash(world.alice, "reminders start", {"time": "07:30", "where": "mars"})


async def test_slash_in_dm(world: World) -> None:
    dm = world.fake.dm_channel(world.bob)
    ix = await world.fake.slash(world.bob, "ping", channel=dm)
    resp = await ix.response()
    assert resp.content == "pong"
    assert ix.payload["user"]["id"] == str(world.bob.id)
    assert ix.payload["channel"]["type"] == 1 and "guild_id" not in ix.payload


async def test_autocomplete(world: World) -> None:
    choices = await world.fake.autocomplete(world.alice, "guide", {"topic": "tu"}, focused="topic")
    assert choices == [{"name": "Posture", "value": "posture"}]
    ix = world.fake.interactions[-1]
    assert ix.payload["data"]["options"][0] == {
        "name": "topic",
        "type": 3,
        "value": "tu",
        "focused": True,
    }


async def test_button_click_edits_message_and_select(world: World) -> None:
    fake = world.fake
    ix = await fake.slash(world.alice, "buttons", channel=world.general)
    msg = (await ix.response()).message
    assert msg is not None and msg.custom_ids() == ["mini:count", "mini:pick"]
    click = await fake.click(world.bob, msg, "mini:count")
    resp = await click.response()
    assert resp.type == 7
    assert msg.content == "clicked 1 by bob"
    assert (msg.find_component("mini:count") or {}).get("label") == "Count 1"
    picked = await fake.select(world.alice, msg, "mini:pick", ["posture"])
    assert (await picked.response()).content == "picked posture"
    with pytest.raises(ValueError):
        await fake.click(world.alice, msg, "mini:nope")


async def test_modal_submit(world: World) -> None:
    fake = world.fake
    ix = await fake.slash(world.alice, "form", channel=world.general)
    modal = await ix.response()
    assert modal.type == 9 and modal.data["title"] == "Feedback"
    submitted = await fake.submit_modal(
        world.alice, ix, {"mini:text": "lovely", "mini:mood": "good"}
    )
    resp = await submitted.response()
    assert resp.ephemeral and resp.content == "thanks: lovely / good"
    with pytest.raises(ValueError):  # a required field left empty
        await fake.submit_modal(world.alice, ix, {"mini:mood": "meh"})


async def test_defer_then_followup_replaces_thinking(world: World) -> None:
    ix = await world.fake.slash(world.alice, "slow", channel=world.general)
    first = await ix.response()
    assert first.type == 5 and first.ephemeral
    final = await ix.final()
    assert final is ix.original and final.content == "done thinking" and final.ephemeral


async def test_defer_edit_original_then_followup(world: World) -> None:
    ix = await world.fake.slash(world.alice, "slowedit", channel=world.general)
    final = await ix.final()
    assert final.content == "edited after defer" and not final.ephemeral
    follow = await ix.followup(0)
    assert follow is not final and follow.ephemeral and follow.content == "and a follow-up"


async def test_file_upload_is_parsed(world: World) -> None:
    ix = await world.fake.slash(world.alice, "chart", channel=world.general)
    resp = await ix.response()
    assert resp.ephemeral
    [att] = resp.attachments
    assert att.filename == "chart.png" and att.content_type == "image/png"
    assert att.data.startswith(b"\x89PNG\r\n\x1a\n")
    async with aiohttp.ClientSession() as session, session.get(att.url) as r:
        assert await r.read() == att.data


async def test_command_error_still_answers(world: World) -> None:
    ix = await world.fake.slash(world.alice, "boom", channel=world.general)
    resp = await ix.response()
    assert resp.ephemeral and resp.content == "sorry, that failed"


# -- messages, mentions and DMs --------------------------------------------------------------------


async def test_mention_gets_a_reply(world: World) -> None:
    fake = world.fake
    msg = await fake.user_message(world.alice, world.general, "how do i stand?", mention_bot=True)
    reply = await fake.wait_for_bot_message(world.general, after=msg)
    assert reply.content == "you said: how do i stand?"
    assert reply.referenced is msg
    assert reply.allowed_mentions is not None and reply.allowed_mentions["parse"] == []
    assert not reply.pings().users


async def test_message_content_hidden_without_intent_unless_mentioned(world: World) -> None:
    fake = world.fake
    plain = await fake.user_message(world.bob, world.general, "secret words")
    mention = await fake.user_message(world.bob, world.general, "<@BOT> visible words")
    session = fake.gateway.current
    assert session is not None
    sent = {
        int(frame["d"]["id"]): frame["d"]
        for _, frame in session.buffer
        if frame["t"] == "MESSAGE_CREATE"
    }
    assert sent[plain.id]["content"] == ""
    assert sent[mention.id]["content"] == f"<@{fake.bot_user.id}> visible words"
    await fake.wait_for_bot_message(world.general, after=mention)


async def test_dm_gets_a_reply(world: World) -> None:
    msg = await world.fake.user_dm(world.bob, "what shoes?")
    reply = await world.fake.wait_for_bot_message(msg.channel, after=msg)
    assert reply.content == "you said: what shoes?"
    assert reply.channel.is_dm and reply.channel.recipient is world.bob


async def test_blocked_dm_is_forbidden_50007(world: World) -> None:
    fake = world.fake
    carol = fake.add_user("carol")
    fake.add_member(world.guild, carol)
    fake.block_dms(carol)
    ix = await fake.slash(world.alice, "dm", {"user": carol}, channel=world.general)
    assert (await ix.response()).content == "forbidden 403 50007"
    assert fake.blocked_dm_attempts == 1
    assert ix.payload["data"]["resolved"]["users"][str(carol.id)]["username"] == "carol"
    fake.unblock_dms(carol)
    ix = await fake.slash(world.alice, "dm", {"user": carol}, channel=world.general)
    assert (await ix.response()).content == "sent"
    assert fake.bot_messages(fake.dm_channel(carol))[-1].content == "hello from minibot"


# -- rate limits -----------------------------------------------------------------------------------


async def test_429_with_via_is_retried_by_the_client(world: World) -> None:
    fake = world.fake
    rule = fake.fail_next("POST", "/channels/{channel_id}/messages", status=429, retry_after=0.05)
    before = len(fake.bot_messages(world.general))
    ix = await fake.slash(world.alice, "spam", {"count": 2}, channel=world.general)
    done = await ix.followup(0, timeout=10)
    assert done.content == "sent 2"
    assert rule.hits == 1
    sent = [m.content for m in fake.bot_messages(world.general)[before:] if m.kind == "channel"]
    assert sent == ["spam 0", "spam 1"]
    statuses = [r.status for r in fake.requests_to("POST", "/channels/{channel_id}/messages")]
    assert statuses[-3:] == [429, 200, 200]


async def test_global_limit_429s_are_waited_out(world: World) -> None:
    fake = world.fake
    fake.ratelimiter.global_rate = 2
    try:
        before = fake.ratelimiter.sent_global_429
        ix = await fake.slash(world.alice, "spam", {"count": 4}, channel=world.general)
        done = await ix.followup(0, timeout=15)
    finally:
        fake.ratelimiter.global_rate = 50
    assert done.content == "sent 4"
    assert fake.ratelimiter.sent_global_429 > before
    assert ix.responses and not ix.rejected  # the callback itself is exempt from the global limit


async def test_route_bucket_headers_are_respected(world: World) -> None:
    fake = world.fake
    fake.limit_route("POST", "/channels/{channel_id}/messages", limit=2, per=0.3)
    try:
        ix = await fake.slash(world.alice, "spam", {"count": 5}, channel=world.general)
        done = await ix.followup(0, timeout=15)
    finally:
        fake.limit_route("POST", "/channels/{channel_id}/messages", limit=50, per=1.0)
    assert done.content == "sent 5"
    recent = fake.requests_to("POST", "/channels/{channel_id}/messages")[-5:]
    assert all(r.status == 200 for r in recent)
    assert 0 in [r.ratelimit_remaining for r in recent]


# -- refused payloads and late answers -------------------------------------------------------------


async def test_over_long_content_is_refused_400_50035(world: World) -> None:
    fake = world.fake
    ix = await fake.slash(
        world.alice, "echo", {"text": "x" * 1000, "times": 3}, channel=world.general
    )
    resp = await ix.response()  # the error handler's apology is the accepted callback
    assert resp.content == "sorry, that failed"
    status, code, body = ix.rejected[0]
    assert (status, code) == (400, 50035)
    assert body["errors"]["data"]["content"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert fake.rejected and (fake.rejected[-1].template or "").startswith("/interactions/")
    fake.rejected.pop()
    ix.rejected.clear()


async def test_late_callback_is_unknown_interaction(world: World) -> None:
    fake = world.fake
    fake.interaction_deadline = 0.0
    try:
        ix = await fake.slash(world.alice, "ping", channel=world.general)
        await fake.wait_until(lambda: len(ix.rejected) >= 1, what="the late callback")
    finally:
        fake.interaction_deadline = 3.0
    assert ix.late and not ix.responses
    assert ix.rejected[0][:2] == (404, 10062)
    ix.rejected.clear()


# -- the gateway connection ------------------------------------------------------------------------


async def test_survives_gateway_drop_with_resume(world: World) -> None:
    fake = world.fake
    resumes = fake.gateway.resumes
    await fake.drop_gateway(4000)
    # dispatched while the bot is away: replayed on RESUME
    ix = await fake.slash(world.alice, "ping", channel=world.general)
    assert (await ix.response(timeout=15)).content == "pong"
    assert fake.gateway.resumes == resumes + 1
    assert fake.gateway.connection is not None
    assert fake.gateway.connection.path == "/gateway-resume"


async def test_survives_abrupt_tcp_drop(world: World) -> None:
    fake = world.fake
    resumes = fake.gateway.resumes
    await fake.drop_gateway(abrupt=True)
    ix = await fake.slash(world.alice, "ping", channel=world.general)
    assert (await ix.response(timeout=15)).content == "pong"
    assert fake.gateway.resumes == resumes + 1


async def test_invalid_session_makes_the_client_identify_again(world: World) -> None:
    fake = world.fake
    identifies = len(fake.gateway.identifies)
    fake.invalidate_session(resumable=False)
    await fake.wait_connected(identifies=identifies + 1, timeout=20)
    ix = await fake.slash(world.alice, "ping", channel=world.general)
    assert (await ix.response()).content == "pong"


async def test_reconnect_request_resumes(world: World) -> None:
    fake = world.fake
    resumes = fake.gateway.resumes
    fake.request_reconnect()
    await fake.wait_connected(resumes=resumes + 1, timeout=20)
    ix = await fake.slash(world.alice, "ping", channel=world.general)
    assert (await ix.response()).content == "pong"


async def test_world_is_clean_and_token_not_logged(world: World) -> None:
    fake = world.fake
    assert fake.problems() == []
    assert fake.mass_pings() == []
    assert token_leaks(fake, world.bot.log_text()) == []


async def test_fake_survives_concurrent_interactions(world: World) -> None:
    fake = world.fake
    ixs = [await fake.slash(world.alice, "ping", channel=world.general) for _ in range(30)]
    responses = await asyncio.gather(*(ix.response(timeout=10) for ix in ixs))
    assert all(r.content == "pong" for r in responses)


async def test_two_shards_get_their_own_guilds(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        guilds = [fake.add_guild(f"shard {i}", shard=(i, 2)) for i in range(2)]
        channels = [fake.add_text_channel(g) for g in guilds]
        erin = fake.add_user("erin")
        for g in guilds:
            fake.add_member(g, erin)
        bots: list[BotProcess] = []
        for i in range(2):
            env = {**fake.shard_env(i, 2), "MINIBOT_SYNC": "1" if i == 0 else "0"}
            bots.append(BotProcess(fake, tmp_path / f"shard{i}", argv=MINIBOT, env=env))
            await bots[-1].start()
        try:
            await fake.wait_ready(timeout=30)
            assert sorted(s.shard[0] for s in fake.gateway.shards.values()) == [0, 1]
            for shard, channel in enumerate(channels):
                ix = await fake.slash(erin, "ping", channel=channel)
                assert (await ix.response()).content == "pong"
                owner = fake.gateway.shards[shard]
                assert any(f["d"].get("id") == str(ix.id) for _, f in owner.buffer)
                ready = next(f["d"] for _, f in owner.buffer if f["t"] == "READY")
                assert [g["id"] for g in ready["guilds"]] == [str(guilds[shard].id)]
            dm = await fake.user_dm(erin, "hello")  # DMs go to shard 0
            reply = await fake.wait_for_bot_message(dm.channel, after=dm)
            assert reply.content == "you said: hello"
        finally:
            for bot in bots:
                await bot.stop()
        for bot in bots:
            bot.assert_clean_exit()


async def test_running_bot_starts_answers_and_stops_cleanly(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        guild = fake.add_guild()
        channel = fake.add_text_channel(guild)
        fay = fake.add_user("fay")
        fake.add_member(guild, fay)
        async with running_bot(fake, tmp_path, argv=MINIBOT) as bot:
            ix = await fake.slash(fay, "ping", channel=channel)
            assert (await ix.response()).content == "pong"
            assert bot.returncode is None
        assert bot.returncode == 0
        assert "closed cleanly" in bot.log_text()


async def test_harness_reports_a_bot_that_dies(tmp_path: Path) -> None:
    dying = [sys.executable, "-c", "import sys; print('cannot start: no settings'); sys.exit(3)"]
    async with FakeDiscord() as fake:
        with pytest.raises(BotDied, match="code 3") as info:
            async with running_bot(fake, tmp_path, argv=dying, ready_timeout=30):
                pass
    assert "cannot start: no settings" in str(info.value)
