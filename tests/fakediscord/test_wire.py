"""The fake Discord on the wire, with no bot: headers, error bodies, 429 shapes, payload and
command rules, gateway close codes (a plain aiohttp client), and the allowed_mentions rules."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from tests.fakediscord import FakeDiscord, compute_pings
from tests.fakediscord.gateway import INTENT_MESSAGE_CONTENT

pytestmark = pytest.mark.asyncio(loop_scope="module")


def option(name: str, **extra: Any) -> dict[str, Any]:
    """A string option of a command payload (``extra`` adds or overrides keys)."""
    return {"name": name, "description": "o", "type": 3, **extra}


def ask_with(options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A command list of one ``/ask`` with these options."""
    return [{"name": "ask", "description": "x", "type": 1, "options": options}]


def http(fake: FakeDiscord) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(headers={"Authorization": f"Bot {fake.token}"})


async def test_rest_json_headers_and_errors() -> None:
    async with FakeDiscord() as fake, http(fake) as session:
        async with session.get(f"{fake.api_base}/users/@me") as r:
            assert r.status == 200
            assert r.headers["Content-Type"] == "application/json"
            assert r.headers["X-RateLimit-Limit"] == "50"
            assert r.headers["X-RateLimit-Remaining"] == "49"
            assert float(r.headers["X-RateLimit-Reset-After"]) <= 1.0
            assert r.headers["X-RateLimit-Bucket"]
            assert (await r.json())["id"] == str(fake.bot_user.id)
        async with session.get(f"{fake.api_base}/nowhere") as r:
            assert r.status == 404 and await r.json() == {"message": "404: Not Found", "code": 0}
        assert fake.unknown_routes == ["GET /api/v10/nowhere"]
        async with aiohttp.ClientSession() as anon, anon.get(f"{fake.api_base}/users/@me") as r:
            assert r.status == 401 and (await r.json())["code"] == 0


async def test_rest_429_shapes() -> None:
    async with FakeDiscord(global_rate=2) as fake, http(fake) as session:
        statuses = []
        for _ in range(3):
            async with session.get(f"{fake.api_base}/users/@me") as r:
                statuses.append(r.status)
                last_headers, last_body = r.headers, await r.json()
        assert statuses == [200, 200, 429]
        assert last_headers["Via"] and last_headers["X-RateLimit-Global"] == "true"
        assert last_body["global"] is True and 0 < last_body["retry_after"] <= 1.0
        fake.ratelimiter.global_rate = None
        fake.limit_route("GET", "/users/@me", limit=1, per=10)
        async with session.get(f"{fake.api_base}/users/@me") as r:
            assert r.status == 200 and r.headers["X-RateLimit-Remaining"] == "0"
        async with session.get(f"{fake.api_base}/users/@me") as r:
            body = await r.json()
            assert r.status == 429 and r.headers["X-RateLimit-Scope"] == "user" and r.headers["Via"]
            assert body["global"] is False and body["retry_after"] > 5
        assert len(fake.sent_429) == 2


async def test_rest_message_rules() -> None:
    async with FakeDiscord() as fake, http(fake) as session:
        guild = fake.add_guild()
        channel = fake.add_text_channel(guild)
        url = f"{fake.api_base}/channels/{channel.id}/messages"

        async def post(payload: dict[str, Any], target: str = url) -> tuple[int, Any]:
            async with session.post(target, json=payload) as r:
                return r.status, await r.json()

        status, first = await post({"content": "once", "nonce": "n1", "enforce_nonce": True})
        assert status == 200
        status, again = await post({"content": "once", "nonce": "n1", "enforce_nonce": True})
        assert again["id"] == first["id"] and fake.nonce_dedupes == 1
        status, body = await post({"content": "x" * 2001})
        assert (status, body["code"]) == (400, 50035)
        status, body = await post({})
        assert (status, body["code"]) == (400, 50035)
        status, body = await post({"content": "re", "message_reference": {"message_id": "1"}})
        assert status == 400 and "message_reference" in body["errors"]
        status, reply = await post(
            {"content": "re", "message_reference": {"message_id": first["id"]}}
        )
        assert status == 200 and reply["referenced_message"]["id"] == first["id"]
        fake.deny_send(channel)
        assert (await post({"content": "x"}))[1]["code"] == 50013
        fake.allow_send(channel)
        fake.set_channel_overwrite(channel, guild.everyone_role, deny=1 << 11)
        assert (await post({"content": "x"}))[1]["code"] == 50013
        fake.delete_channel(channel)
        status, body = await post({"content": "x"})
        assert (status, body["code"]) == (404, 10003)
        user = fake.add_user("dora")  # shares no guild with the bot: Discord refuses the DM
        async with session.post(
            f"{fake.api_base}/users/@me/channels", json={"recipient_id": str(user.id)}
        ) as r:
            dm = await r.json()
            assert dm["type"] == 1 and dm["recipients"][0]["id"] == str(user.id)
        status, body = await post(
            {"content": "hi"}, f"{fake.api_base}/channels/{dm['id']}/messages"
        )
        assert (status, body) == (
            403,
            {"message": "Cannot send messages to this user", "code": 50007},
        )
        dm_url = f"{fake.api_base}/channels/{dm['id']}/messages"
        fake.add_member(guild, user)
        assert (await post({"content": "hi"}, dm_url))[0] == 200
        fake.block_dms(user)
        status, body = await post({"content": "hi"}, dm_url)
        assert (status, body["code"]) == (403, 50007)
        assert fake.blocked_dm_attempts == 2


async def test_rest_command_sync_rules() -> None:
    async with FakeDiscord() as fake, http(fake) as session:
        url = f"{fake.api_base}/applications/{fake.application_id}/commands"
        good = [
            {
                "name": "ask",
                "description": "Ask",
                "type": 1,
                "options": [{"name": "question", "description": "q", "type": 3, "required": True}],
            }
        ]
        async with session.put(url, json=good) as r:
            stored = await r.json()
            assert (
                r.status == 200
                and stored[0]["id"]
                and stored[0]["application_id"] == str(fake.application_id)
            )
        async with session.put(url, json=good) as r:
            assert (await r.json())[0]["id"] == stored[0]["id"]  # same command keeps its id
        bad_cases = [
            [{"name": "Ask", "description": "upper case", "type": 1}],
            [{"name": "a" * 33, "description": "too long", "type": 1}],
            [{"name": "ask", "description": "d" * 101, "type": 1}],
            [
                {"name": "ask", "description": "x", "type": 1},
                {"name": "ask", "description": "y", "type": 1},
            ],
            ask_with([option(f"o{i}") for i in range(26)]),
            ask_with([option("a"), option("a", type=4)]),
            ask_with([option("a"), option("b", required=True)]),
        ]
        for bad in bad_cases:
            async with session.put(url, json=bad) as r:
                assert r.status == 400 and (await r.json())["code"] == 50035, bad
        assert [c["name"] for c in fake.global_commands] == ["ask"]
        gurl = f"{fake.api_base}/applications/{fake.application_id}/guilds/{fake.add_guild().id}/commands"
        async with session.put(gurl, json=good) as r:
            assert r.status == 200 and (await r.json())[0]["guild_id"]


async def test_gateway_refuses_bad_token_and_privileged_intents() -> None:
    async with FakeDiscord() as fake, aiohttp.ClientSession() as session:

        async def identify(token: str, intents: int) -> int | None:
            async with session.ws_connect(f"{fake.gateway_url}?v=10&encoding=json") as ws:
                hello = await ws.receive_json()
                assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
                await ws.send_json(
                    {"op": 2, "d": {"token": token, "intents": intents, "properties": {}}}
                )
                msg = await ws.receive()
                if msg.type == aiohttp.WSMsgType.TEXT:
                    return json.loads(msg.data)["t"]  # type: ignore[no-any-return]
                return ws.close_code

        assert await identify("wrong", 1) == 4004
        assert await identify(fake.token, 1 | INTENT_MESSAGE_CONTENT) == 4014
        assert await identify(fake.token, 1) == "READY"
        fake.privileged_intents = INTENT_MESSAGE_CONTENT
        assert await identify(fake.token, 1 | INTENT_MESSAGE_CONTENT) == "READY"


async def test_compute_pings_follows_discords_rules() -> None:
    text = "@everyone <@&5> <@7> <@!8>"
    everything = compute_pings(text, None)
    assert everything.everyone and everything.roles == {5} and everything.users == {7, 8}
    nothing = compute_pings(text, {"parse": []})
    assert not nothing.everyone and not nothing.roles and not nothing.users
    users_only = compute_pings(text, {"parse": ["users"]})
    assert users_only.users == {7, 8} and not users_only.any_mass_ping
    explicit = compute_pings(text, {"parse": [], "roles": ["5"], "users": ["8"]})
    assert explicit.roles == {5} and explicit.users == {8}
    assert compute_pings("hi", None, replied_user_id=3).users == {3}
    assert compute_pings("hi", {"parse": []}, replied_user_id=3).users == frozenset()
