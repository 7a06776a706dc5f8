"""FakeDiscord: one aiohttp server on 127.0.0.1 speaking Discord's gateway and REST API.

Usage::

    async with FakeDiscord() as fake:
        guild = fake.add_guild("Walkers")
        general = fake.add_text_channel(guild, "general")
        alice = fake.add_user("alice")
        fake.add_member(guild, alice)
        ...  # point a discord.py client at fake.api_base / fake.gateway_url with fake.token
        await fake.wait_ready()
        ix = await fake.slash(alice, "ask", {"question": "how fast should I walk?"}, channel=general)
        resp = await ix.response()
        assert resp.ephemeral is False and "cadence" in resp.text()

This module holds the state, the server's lifecycle, addresses, waiting and the READY and
application payloads; the rest of the test-facing API comes from the parts it is made of:

======================  =====================================================================
``world.py``            users, guilds, roles, channels, members, DMs, injected failures
``commands.py``         the registered application commands; the data of a command a user runs
``messages.py``         messages (the bot's and the users'), their events, queries for tests
``actions.py``          slash commands, autocomplete, clicks, selects and modals as a user
``gateway.py``          the websocket sessions: HELLO, IDENTIFY, RESUME, shards, drops
``rest.py``             the REST route table and middleware (auth, records, failures, 429s)
``routes_*.py``         the REST handlers: application, interactions and webhooks, channels
``api.py``              error bodies, JSON responses, request records and payloads
``limits.py``           Discord's payload limits (400 / 50035); ``ratelimit.py`` its buckets
``models.py``           the world's objects and their payloads; ``pings.py`` allowed_mentions
``interactions.py``     an interaction and the bot's answers to it
``cast.py``             the usual people of a test (a guild, #general, alice, bob, @walkers)
======================  =====================================================================
"""

# The test-facing API takes explicit timeouts on purpose (``await ix.response(timeout=3)``).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from .actions import UserActions
from .api import API_PREFIX, RecordedRequest
from .commands import Commands
from .gateway import (
    APP_FLAG_GUILD_MEMBERS_LIMITED,
    APP_FLAG_MESSAGE_CONTENT_LIMITED,
    APP_FLAG_PRESENCE_LIMITED,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_PRESENCES,
    INTENT_MESSAGE_CONTENT,
    Gateway,
    GatewaySession,
)
from .interactions import FakeInteraction
from .messages import Messages
from .models import FakeChannel, FakeGuild, FakeMessage, FakeUser, Snowflakes, fake_token
from .ratelimit import RateLimiter
from .rest import RestApi
from .world import DEFAULT_BOT_PERMISSIONS, World

T = TypeVar("T")

__all__ = ["DEFAULT_BOT_PERMISSIONS", "FakeDiscord"]


class FakeDiscord(World, Commands, Messages, UserActions):
    """A Discord for tests: gateway + REST on 127.0.0.1, a test-facing API to act as users.

    Parameters
    ----------
    global_rate:
        requests per second allowed across all bot-authenticated routes (Discord: 50);
        ``None`` disables. Interaction callbacks and webhook-token routes are exempt, as on Discord.
    route_limit:
        default ``(limit, per_seconds)`` of each route bucket (per major parameter).
    privileged_intents:
        intent bits the application is allowed (GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT);
        identifying with any other privileged intent is closed with 4014, like Discord.
    interaction_deadline:
        seconds an interaction token accepts its initial callback (Discord: 3).
    """

    def __init__(
        self,
        *,
        global_rate: int | None = 50,
        route_limit: tuple[int, float] = (50, 1.0),
        privileged_intents: int = 0,
        interaction_deadline: float = 3.0,
        followup_ttl: float = 900.0,
        bot_name: str = "WalkWell",
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
        heartbeat_interval_ms: int = 41250,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.host = host
        self._port = port
        self.ids = Snowflakes()
        self.privileged_intents = privileged_intents
        self.interaction_deadline = interaction_deadline
        self.followup_ttl = followup_ttl
        self.bot_permissions = bot_permissions
        self.ratelimiter = RateLimiter(default_limit=route_limit, global_rate=global_rate)

        self.application_id = self.ids.next()
        self.bot_user = FakeUser(id=self.application_id, username=bot_name, bot=True)
        self.owner = FakeUser(id=self.ids.next(), username="owner")
        self.token = fake_token(self.bot_user.id, secrets.token_urlsafe(27))
        self.public_key = secrets.token_hex(32)

        self.users: dict[int, FakeUser] = {
            self.bot_user.id: self.bot_user,
            self.owner.id: self.owner,
        }
        self.guilds: dict[int, FakeGuild] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.dm_channels: dict[int, FakeChannel] = {}
        self.messages: list[FakeMessage] = []
        self.messages_by_id: dict[int, FakeMessage] = {}
        self.interactions: list[FakeInteraction] = []
        self.interactions_by_id: dict[int, FakeInteraction] = {}
        self.interactions_by_token: dict[str, FakeInteraction] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        #: every PUT of the command list: (guild id or None, payload)
        self.sync_calls: list[tuple[int | None, list[dict[str, Any]]]] = []

        self.blocked_dm_users: set[int] = set()
        self.blocked_dm_attempts = 0
        self.nonce_dedupes = 0
        self._nonces: dict[tuple[int, str], tuple[float, FakeMessage]] = {}
        self.typing: list[int] = []
        self.reactions: list[tuple[int, str]] = []

        #: every REST request, in order
        self.requests: list[RecordedRequest] = []
        #: "METHOD /path" of requests no route matched
        self.unknown_routes: list[str] = []
        #: requests refused with 400 / 50035 (a payload broke Discord's limits)
        self.rejected: list[RecordedRequest] = []
        #: tracebacks of bugs in the fake itself
        self.server_errors: list[str] = []
        #: (scope, retry_after) of every 429 sent
        self.sent_429: list[tuple[str, float]] = []

        self.gateway = Gateway(self, heartbeat_interval_ms=heartbeat_interval_ms)
        self.rest = RestApi(self)
        #: callables run by wait_until; each may raise to abort waits early (e.g. "the bot died")
        self.watchdogs: list[Callable[[], None]] = []
        self._change: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        self._change = asyncio.Event()
        app = web.Application(middlewares=[self.rest.middleware], client_max_size=64 * 1024 * 1024)
        for method, path, handler in self.rest.routes():
            app.router.add_route(method, path, handler)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway-resume", self.gateway.handle)
        app.router.add_get(
            "/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment
        )
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self._port)
        await self._site.start()
        server = self._site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self._port = int(sockets[0].getsockname()[1])
        return self

    async def close(self) -> None:
        for conn in list(self.gateway.connections):
            if conn.open:
                await conn.close(1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- addresses -----------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def http_base(self) -> str:
        return f"http://{self.host}:{self._port}"

    @property
    def api_base(self) -> str:
        return self.http_base + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self._port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        """Where READY tells the bot to RESUME (the same gateway under another path)."""
        return self.gateway_url + "-resume"

    def bot_env(self) -> dict[str, str]:
        """The environment a bot process needs to talk to this fake."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
        }

    @staticmethod
    def shard_env(shard_id: int, shard_count: int) -> dict[str, str]:
        """The environment that makes a bot process run shard ``shard_id`` of ``shard_count``."""
        return {"DISCORD_SHARD_ID": str(shard_id), "DISCORD_SHARD_COUNT": str(shard_count)}

    # -- waiting -------------------------------------------------------------------------------------

    def _touch(self) -> None:
        if self._change is not None:
            self._change.set()
            self._change = asyncio.Event()

    async def wait_until(
        self, predicate: Callable[[], T], *, timeout: float = 5.0, what: str = "a condition"
    ) -> T:
        """Wait until ``predicate()`` is truthy and return it; AssertionError after ``timeout``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for check in self.watchdogs:
                check()
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
            event = self._change
            assert event is not None, "FakeDiscord is not started"
            try:
                await asyncio.wait_for(event.wait(), timeout=min(remaining, 0.5))
            except TimeoutError:
                pass

    async def wait_ready(self, timeout: float = 20.0) -> None:
        """A bot identified, got READY and every GUILD_CREATE, and has handled them.

        A sharded bot is ready when every shard of its shard count is connected.
        """
        await self.wait_until(
            lambda: self.gateway.ready_count > 0 and self.gateway.all_shards_connected(),
            timeout=timeout,
            what="a bot to IDENTIFY and get READY (every shard)",
        )
        await self.gateway.barrier(timeout=timeout)

    async def wait_connected(
        self, *, resumes: int | None = None, identifies: int | None = None, timeout: float = 20.0
    ) -> None:
        """After a drop: wait until the bot is connected again (and, if given, the counters reached)."""

        def ok() -> bool:
            if not self.gateway.all_shards_connected():
                return False
            if resumes is not None and self.gateway.resumes < resumes:
                return False
            return not (identifies is not None and len(self.gateway.identifies) < identifies)

        await self.wait_until(ok, timeout=timeout, what="the bot to reconnect to the gateway")
        await self.gateway.barrier(timeout=timeout)

    async def drop_gateway(self, code: int = 4000, *, abrupt: bool = False, shard: int = 0) -> None:
        """Close the bot's gateway socket (with ``code``, or by killing the TCP connection)."""
        await self.gateway.drop(code, abrupt=abrupt, shard=shard)

    def request_reconnect(self, *, shard: int = 0) -> None:
        """Send op 7 RECONNECT."""
        self.gateway.request_reconnect(shard=shard)

    def invalidate_session(self, *, resumable: bool = False, shard: int = 0) -> None:
        """Send op 9 INVALID_SESSION."""
        self.gateway.invalidate_session(resumable=resumable, shard=shard)

    @property
    def intents(self) -> int:
        session = self.gateway.current
        return session.intents if session is not None else 0

    # -- payloads ------------------------------------------------------------------------------------

    def application_payload(self) -> dict[str, Any]:
        flags = 0
        if self.privileged_intents & INTENT_GUILD_PRESENCES:
            flags |= APP_FLAG_PRESENCE_LIMITED
        if self.privileged_intents & INTENT_GUILD_MEMBERS:
            flags |= APP_FLAG_GUILD_MEMBERS_LIMITED
        if self.privileged_intents & INTENT_MESSAGE_CONTENT:
            flags |= APP_FLAG_MESSAGE_CONTENT_LIMITED
        return {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "description": "A fake application",
            "icon": None,
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": self.bot_user.payload(),
            "owner": self.owner.payload(),
            "team": None,
            "verify_key": self.public_key,
            "summary": "",
            "flags": flags,
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(self.guilds_of(self.bot_user)),
            "integration_types_config": {"0": {}},
        }

    def ready_payload(self, session: GatewaySession, guilds: list[FakeGuild]) -> dict[str, Any]:
        me = self.bot_user.payload()
        me.update({"verified": True, "mfa_enabled": False, "flags": 0, "email": None})
        return {
            "v": 10,
            "user": me,
            "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "shard": session.shard,
            "application": {
                "id": str(self.application_id),
                "flags": self.application_payload()["flags"],
            },
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": ["fake"],
            "auth": {},
            "_trace": ["fake-discord"],
        }
