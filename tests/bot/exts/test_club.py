"""The walking club's Discord side without Discord: the call's message and mentions, the sender's
mapping of Discord's answers, paced edits, the admin check, and /club status."""

from __future__ import annotations

import asyncio
import types
import unittest.mock
from datetime import UTC, date, datetime, time
from typing import Any

import discord
import pytest

from bot.exts.club.call import DiscordClubSender, EditPacer, WalkedButton, call_embed, call_mentions
from bot.exts.club.cog import Club, setup_problem, status_reply
from knowledge.content import default_library
from knowledge.texts import Texts
from schedules.club.calls import ClubCall, WeekFigures
from schedules.club.store import ClubStatus
from tests.helpers import MockInteraction, private_text, run_command

LIBRARY = default_library()
TEXTS = Texts.from_library(LIBRARY)
DAY = date(2026, 3, 9)


def a_call(**changes: Any) -> ClubCall:
    values: dict[str, Any] = {
        "guild_id": 1,
        "channel_id": 2,
        "role_id": 3,
        "club_day": DAY,
        "due_utc": datetime(2026, 3, 9, 6, 0, tzinfo=UTC),
        "local_time": time(7, 0),
        "timezone": "Europe/Berlin",
        "late": False,
        "nonce": "abc",
        "topic": "posture",
        "week": WeekFigures(DAY),
    }
    return ClubCall(**{**values, **changes})


def test_the_call_may_ping_its_role_and_nobody_else() -> None:
    mentions = call_mentions(3).to_dict()
    assert mentions["parse"] == [] and mentions["roles"] == [3]
    assert not mentions.get("users") and not mentions.get("replied_user")
    none = call_mentions(None).to_dict()
    assert none["parse"] == [] and not none.get("roles")


def test_the_call_shows_focus_week_summary_and_count() -> None:
    summary = WeekFigures(date(2026, 3, 2), walkers=4, walks=9, days=3,
                          best_day=date(2026, 3, 4), best_count=5)  # fmt: skip
    embed = call_embed(LIBRARY, TEXTS, a_call(summary=summary), 7)
    text = embed.description or ""
    assert "4 people walked, on 3 days" in text and "Wednesday" in text
    assert "Posture" in text or "posture" in text
    assert "7 walked today" in text
    assert "new week" in text  # an empty week so far
    quiet = call_embed(LIBRARY, TEXTS, a_call(summary=WeekFigures(date(2026, 3, 2))), 0)
    assert "quiet" in (quiet.description or "")
    later = call_embed(LIBRARY, TEXTS, a_call(week=WeekFigures(DAY, 2, 5, 3)), 0)
    assert "5 walks by 2 people on 3 days" in (later.description or "")


def test_the_button_keeps_club_and_day_in_its_custom_id() -> None:
    button = WalkedButton(123, DAY, TEXTS)
    assert button.item.custom_id == f"ww:club:walk:123:{DAY.toordinal()}"
    match = WalkedButton.__discord_ui_compiled_template__.fullmatch(button.item.custom_id)
    assert match is not None
    rebuilt = WalkedButton.from_match(types.SimpleNamespace(texts=TEXTS), button.item, match)
    assert (rebuilt.guild_id, rebuilt.day) == (123, DAY)


def _http(cls: type[discord.HTTPException], status: int, code: int) -> Exception:
    response = types.SimpleNamespace(status=status, reason="x", headers={})
    return cls(response, {"code": code, "message": "refused"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (types.SimpleNamespace(id=77), "ok"),
        (_http(discord.NotFound, 404, 10003), "channel_unavailable"),
        (_http(discord.Forbidden, 403, 50013), "channel_unavailable"),
        (_http(discord.DiscordServerError, 503, 0), "error"),
    ],
)
async def test_the_sender_maps_discords_answers(result: Any, status: str) -> None:
    bot = unittest.mock.MagicMock()
    bot.library, bot.texts = LIBRARY, TEXTS
    channel = unittest.mock.MagicMock()
    if isinstance(result, BaseException):
        channel.send = unittest.mock.AsyncMock(side_effect=result)
    else:
        channel.send = unittest.mock.AsyncMock(return_value=result)
    bot.get_partial_messageable.return_value = channel
    outcome = await DiscordClubSender(bot).post_call(a_call())
    assert outcome.status == status
    kwargs = channel.send.await_args.kwargs
    assert kwargs["nonce"] == "abc" and kwargs["content"] == "<@&3>"
    assert kwargs["allowed_mentions"].to_dict()["roles"] == [3]


async def test_edits_are_coalesced_and_the_last_state_is_shown() -> None:
    state = {"count": 0}
    shown: list[int] = []

    async def edit(key: Any) -> None:
        shown.append(state["count"])

    pacer = EditPacer(edit, interval=0.01)
    for n in range(1, 101):  # 100 presses at once
        state["count"] = n
        pacer.touch((1, DAY))
    await pacer.drain()
    assert shown == [100]
    state["count"] = 101
    pacer.touch((1, DAY))
    state["count"] = 102
    pacer.touch((1, DAY))
    await pacer.drain()
    assert shown[-1] == 102 and len(shown) <= 3


def status(**changes: Any) -> ClubStatus:
    values: dict[str, Any] = {
        "guild_id": 1,
        "channel_id": 2,
        "role_id": 3,
        "local_time": time(7, 0),
        "timezone": "Europe/Berlin",
        "active": True,
        "paused_reason": None,
        "next_due_utc": datetime(2026, 3, 10, 6, 0, tzinfo=UTC),
        "today": DAY,
        "today_count": 4,
        "week": WeekFigures(date(2026, 3, 9), 5, 8, 2),
    }
    return ClubStatus(**{**values, **changes})


def test_status_gives_settings_next_call_and_figures_without_names() -> None:
    reply = status_reply(TEXTS, status())
    text = reply.embed.description if reply.embed else ""
    assert reply.ephemeral
    assert "07:00" in text and "<#2>" in text and "<@&3>" in text
    assert f"<t:{int(datetime(2026, 3, 10, 6, 0, tzinfo=UTC).timestamp())}:F>" in text
    assert "Today: 4 walked" in text and "8 walks by 5 people on 2 days" in text
    paused = status_reply(TEXTS, status(paused_reason="bot_removed", next_due_utc=None))
    assert "removed" in (paused.embed.description if paused.embed else "")
    stopped = status_reply(TEXTS, status(active=False, next_due_utc=None))
    assert "Stopped" in (stopped.embed.description if stopped.embed else "")
    assert "no walking club" in (status_reply(TEXTS, None).content or "")


def _guild(perms: discord.Permissions) -> Any:
    guild = unittest.mock.MagicMock()
    guild.get_channel.return_value.permissions_for.return_value = perms
    return guild


def test_setup_needs_view_send_embed_and_a_mentionable_role() -> None:
    channel = types.SimpleNamespace(id=2)
    ok = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
    assert setup_problem(TEXTS, channel, None, _guild(ok)) is None
    no_embed = discord.Permissions(view_channel=True, send_messages=True)
    assert "embed links" in (setup_problem(TEXTS, channel, None, _guild(no_embed)) or "")
    role = types.SimpleNamespace(mentionable=False, name="walkers")
    assert "walkers" in (setup_problem(TEXTS, channel, role, _guild(ok)) or "")  # type: ignore[arg-type]
    ok.mention_everyone = True
    assert setup_problem(TEXTS, channel, role, _guild(ok)) is None  # type: ignore[arg-type]


async def test_admin_commands_refuse_members_without_manage_server(stored_bot: Any) -> None:
    cog = Club(stored_bot)
    for command, options in (
        (Club.setup, {"channel": types.SimpleNamespace(id=2), "time": "7:00",
                      "timezone": "Europe/Berlin", "role": None}),
        (Club.stop, {}),
    ):  # fmt: skip
        interaction = MockInteraction(guild_id=1, guild=unittest.mock.MagicMock(id=1))
        interaction.permissions = discord.Permissions(send_messages=True)
        await run_command(command, cog, interaction, **options)
        assert "Manage Server" in private_text(interaction)
    assert await cog.store().status(1, datetime.now(UTC)) is None
    await asyncio.sleep(0)
