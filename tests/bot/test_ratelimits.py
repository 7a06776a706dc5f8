"""Discord's 429s reach the reminder engine: a long Retry-After is not slept through, and a
global one is reported as global (over a real HTTP connection to a tiny local server)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any

import discord
import pytest
from aiohttp import web

from bot.app import WalkWell
from bot.exts.reminders.sender import DiscordSender
from bot.ratelimits import MAX_RATELIMIT_WAIT, GlobalLimitWatch
from bot.ui.render import Reply
from schedules.reminders.delivery import Outgoing, make_nonce

DUE = datetime(2026, 3, 29, 5, 30, tzinfo=UTC)


def outgoing() -> Outgoing:
    return Outgoing(
        user_id=4242,
        kind="reminder",
        where="dm",
        channel_id=None,
        guild_id=None,
        dm_channel_id=777,
        due_utc=DUE,
        local_date=date(2026, 3, 29),
        local_time=dtime(7, 30),
        timezone="UTC",
        late=False,
        nonce=make_nonce(4242, "reminder", DUE),
        topic="posture",
    )


@pytest.fixture
async def discord_429() -> AsyncIterator[dict[str, Any]]:
    state: dict[str, Any] = {"global": True, "retry_after": 20.0, "posts": 0}

    async def me(_request: web.Request) -> web.Response:
        return web.json_response(
            {"id": "1", "username": "walkwell", "discriminator": "0", "avatar": None, "bot": True}
        )

    async def post(_request: web.Request) -> web.Response:
        state["posts"] += 1
        headers = {"Via": "1.1 google", "Retry-After": str(int(state["retry_after"]))}
        if state["global"]:
            headers |= {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
        return web.json_response(
            {
                "message": "You are being rate limited.",
                "retry_after": state["retry_after"],
                "global": state["global"],
            },
            status=429,
            headers=headers,
        )

    app = web.Application()
    app.router.add_get("/api/v10/users/@me", me)
    app.router.add_post("/api/v10/channels/{cid}/messages", post)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    old = discord.http.Route.BASE
    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    state["client"] = client = WalkWell(load_knowledge=False)
    await client.http.static_login("x.y.z")
    try:
        yield state
    finally:
        await client.http.close()
        discord.http.Route.BASE = old
        await runner.cleanup()


def sender_of(client: WalkWell) -> DiscordSender:
    return DiscordSender(client, lambda _item: Reply(content="walk"))


async def test_the_client_caps_discord_py_waits_at_a_few_seconds() -> None:
    client = WalkWell(load_knowledge=False)
    assert client.http.max_ratelimit_timeout == MAX_RATELIMIT_WAIT < 30
    assert client.http.http_trace is client.global_limit.trace


async def test_a_long_global_429_comes_back_to_the_engine_as_global(
    discord_429: dict[str, Any],
) -> None:
    started = time.monotonic()
    outcome = await sender_of(discord_429["client"]).send(outgoing())
    assert time.monotonic() - started < 10  # not slept through (Retry-After was 20 s)
    assert outcome.status == "rate_limited" and outcome.is_global
    assert outcome.retry_after == 20.0 and discord_429["posts"] == 1


async def test_a_long_route_429_is_not_reported_as_global(discord_429: dict[str, Any]) -> None:
    discord_429["global"] = False
    outcome = await sender_of(discord_429["client"]).send(outgoing())
    assert outcome.status == "rate_limited" and not outcome.is_global


def test_the_watch_remembers_a_global_limit_until_it_ends() -> None:
    now = [100.0]
    watch = GlobalLimitWatch(clock=lambda: now[0])
    watch.observe(429, {"X-RateLimit-Scope": "user", "Retry-After": "9"})
    assert not watch.active()
    watch.observe(429, {"X-RateLimit-Global": "true", "Retry-After": "3"})
    assert watch.active() and watch.seen == 1
    now[0] = 103.5
    assert not watch.active()
