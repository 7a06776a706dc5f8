"""The reminder's Discord side without Discord: the sender's mapping of Discord's answers, and the
reminder, nudge and status messages."""

from __future__ import annotations

import dataclasses
import types
import unittest.mock
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.exts.reminders.cog import (
    PAUSE_REASONS,
    DoneButton,
    SnoozeButton,
    StopButton,
    focus_tip,
    missing_channel_permissions,
    pause_text,
    reminder_reply,
    status_reply,
)
from bot.exts.reminders.sender import DiscordSender, user_only
from bot.ui.render import Reply
from knowledge.content import default_library
from knowledge.texts import Texts
from schedules.plan.progression import WeeklyTargets
from schedules.reminders.delivery import FOCUS_TOPICS, Outgoing, make_nonce
from schedules.reminders.service import SubscriptionStatus

LIBRARY = default_library()
TEXTS = Texts.from_library(LIBRARY)
DUE = datetime(2026, 3, 29, 5, 30, tzinfo=UTC)


def item(**changes: Any) -> Outgoing:
    values: dict[str, Any] = {
        "user_id": 4242,
        "kind": "reminder",
        "where": "dm",
        "channel_id": None,
        "guild_id": None,
        "dm_channel_id": 777,
        "due_utc": DUE,
        "local_date": date(2026, 3, 29),
        "local_time": time(7, 30),
        "timezone": "Europe/Berlin",
        "late": False,
        "nonce": make_nonce(4242, "reminder", DUE),
        "topic": "posture",
    }
    values.update(changes)
    return Outgoing(**values)


def http_error(cls: type[discord.HTTPException], status: int, code: int) -> Exception:
    response = types.SimpleNamespace(status=status, reason="x", headers={})
    return cls(response, {"code": code, "message": "refused"})  # type: ignore[arg-type]


def sender_with(result: Any) -> tuple[DiscordSender, Any, Any]:
    client = unittest.mock.MagicMock(spec_set=discord.Client)
    channel = unittest.mock.MagicMock()
    channel.id = 999
    if isinstance(result, BaseException):
        channel.send = unittest.mock.AsyncMock(side_effect=result)
    else:
        channel.send = unittest.mock.AsyncMock(return_value=types.SimpleNamespace(id=result))
    client.get_partial_messageable.return_value = channel
    client.create_dm = unittest.mock.AsyncMock(return_value=channel)
    return DiscordSender(client, lambda it: reminder_reply(LIBRARY, TEXTS, it)), client, channel


async def test_a_cached_dm_costs_one_request_with_the_nonce_and_no_pings() -> None:
    sender, client, channel = sender_with(5555)
    outcome = await sender.send(item())
    assert outcome.status == "ok" and outcome.message_id == 5555
    assert outcome.dm_channel_id is None  # nothing new to cache
    client.create_dm.assert_not_called()
    kwargs = channel.send.await_args.kwargs
    assert kwargs["nonce"] == item().nonce
    mentions = kwargs["allowed_mentions"].to_dict()
    assert mentions["parse"] == [] and not mentions.get("users")


async def test_without_a_cached_dm_the_dm_is_opened_and_reported() -> None:
    sender, client, _ = sender_with(5555)
    outcome = await sender.send(item(dm_channel_id=None))
    client.create_dm.assert_awaited_once()
    assert outcome.dm_channel_id == 999


async def test_a_channel_reminder_pings_its_user_only() -> None:
    sender, _, channel = sender_with(1)
    await sender.send(item(where="channel", channel_id=321, guild_id=654, dm_channel_id=None))
    kwargs = channel.send.await_args.kwargs
    assert kwargs["content"] == "<@4242>"
    mentions = kwargs["allowed_mentions"].to_dict()
    assert mentions["parse"] == [] and mentions["users"] == [4242]
    assert mentions.get("roles", []) == []


@pytest.mark.parametrize(
    ("where", "error", "status"),
    [
        ("dm", http_error(discord.Forbidden, 403, 50007), "blocked_dm"),
        ("channel", http_error(discord.Forbidden, 403, 50013), "channel_unavailable"),
        ("channel", http_error(discord.NotFound, 404, 10003), "channel_unavailable"),
        ("dm", http_error(discord.NotFound, 404, 10003), "channel_unavailable"),
        ("dm", http_error(discord.DiscordServerError, 503, 0), "error"),
        ("dm", discord.RateLimited(12.5), "rate_limited"),
        ("dm", TimeoutError(), "error"),
        ("dm", RuntimeError("a bug"), "error"),
    ],
)
async def test_discord_answers_become_outcomes(where: str, error: Exception, status: str) -> None:
    sender, _, _ = sender_with(error)
    extra = {"channel_id": 321, "guild_id": 654} if where == "channel" else {}
    outcome = await sender.send(item(where=where, **extra))
    assert outcome.status == status
    if status == "rate_limited":
        assert outcome.retry_after == 12.5


def buttons(reply: Reply) -> list[str]:
    assert reply.view is not None
    return [str(getattr(child, "custom_id", "")) for child in reply.view.children]


@pytest.mark.parametrize("topic", FOCUS_TOPICS)
def test_every_focus_topic_has_words_from_the_guide(topic: str) -> None:
    tip = focus_tip(LIBRARY, topic)
    assert 20 <= len(tip) <= 400
    reply = reminder_reply(LIBRARY, TEXTS, item(topic=topic))
    assert reply.embed is not None and tip in (reply.embed.description or "")
    assert reply.embed.footer.text == LIBRARY.disclaimer
    ids = buttons(reply)
    assert ids[:3] == [
        f"ww:rem:done:4242:{int(DUE.timestamp())}",
        "ww:rem:snooze:4242",
        "ww:rem:stop:4242",
    ]
    assert f"ww:unit:{topic}" in ids
    assert reply.content is None  # a DM needs no mention


def test_late_and_fallback_reminders_say_so() -> None:
    reply = reminder_reply(LIBRARY, TEXTS, item(late=True, fallback=True))
    text = reply.embed.description if reply.embed else ""
    assert "late" in (text or "") and "07:30" in (text or "")
    assert "paused" in (text or "")


def test_the_nudge_gives_targets_and_always_says_hold_the_step() -> None:
    targets = WeeklyTargets(week=3, cadence=95, minutes=20, incline=False)
    reply = reminder_reply(LIBRARY, TEXTS, item(kind="nudge", targets=targets))
    assert reply.embed is not None
    text = reply.embed.description or ""
    assert "95" in text and "20" in text and "Hold the step" in text
    assert "3" in (reply.embed.title or "")
    assert reply.view is None  # a nudge is information, not tips mixed with buttons
    incline = reminder_reply(
        LIBRARY, TEXTS, item(kind="nudge", targets=WeeklyTargets(9, 120, 30, True))
    )
    assert incline.embed is not None
    assert "incline" in (incline.embed.description or "").lower()


def test_status_shows_the_local_time_a_discord_timestamp_and_pauses() -> None:
    due = datetime(2026, 3, 30, 5, 30, tzinfo=UTC)
    status = SubscriptionStatus(
        user_id=1,
        local_time=time(7, 30),
        timezone="Europe/Berlin",
        where="dm",
        channel_id=None,
        guild_id=None,
        nudges=True,
        paused_reason=None,
        next_due_utc=due,
        next_due_local=due.astimezone(ZoneInfo("Europe/Berlin")),
        targets=WeeklyTargets(1, 85, 10, False),
        snooze_due_utc=None,
    )
    reply = status_reply(TEXTS, status)
    assert reply.ephemeral and reply.embed is not None
    text = reply.embed.description or ""
    assert "07:30" in text and f"<t:{int(due.timestamp())}:F>" in text
    paused = status_reply(
        TEXTS,
        dataclasses.replace(
            status, paused_reason="dms_blocked", next_due_utc=None, next_due_local=None
        ),
    )
    assert paused.embed is not None and "paused" in (paused.embed.description or "")
    off = status_reply(TEXTS, None)
    assert off.ephemeral and "/reminders start" in (off.content or "")


def test_missing_channel_permissions_are_named() -> None:
    assert missing_channel_permissions(discord.Permissions.all()) == []
    none = missing_channel_permissions(discord.Permissions.none())
    assert none == ["view_channel", "send_messages", "embed_links"]


def test_user_only_mentions_cannot_ping_everyone_or_roles() -> None:
    data = user_only(7).to_dict()
    assert data["parse"] == [] and data["users"] == [7] and not data.get("roles")


def test_reminder_buttons_round_trip_their_custom_ids() -> None:
    for button, pattern in (
        (DoneButton(5, 1_700_000_000), DoneButton.__discord_ui_compiled_template__),
        (SnoozeButton(5), SnoozeButton.__discord_ui_compiled_template__),
        (StopButton(5), StopButton.__discord_ui_compiled_template__),
    ):
        assert pattern.fullmatch(button.custom_id)
        assert len(button.custom_id) <= 100


def test_each_pause_reason_has_its_own_words() -> None:
    texts = Texts()
    words = {reason: pause_text(texts, reason) for reason in PAUSE_REASONS}
    assert len(set(words.values())) == len(PAUSE_REASONS)
    assert "direct message" in words["dms_blocked"]
    assert "channel" in words["channel_unavailable"]
    assert "timezone" in words["invalid_timezone"]
    assert pause_text(texts, "something_new") == texts("reminders_paused")
