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
"""

# The test-facing API takes explicit timeouts on purpose (``await ix.response(timeout=3)``).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from aiohttp import web

from . import limits
from .gateway import (
    APP_FLAG_GUILD_MEMBERS_LIMITED,
    APP_FLAG_MESSAGE_CONTENT_LIMITED,
    APP_FLAG_PRESENCE_LIMITED,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILD_PRESENCES,
    INTENT_MESSAGE_CONTENT,
    Gateway,
    GatewaySession,
)
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    FakeInteraction,
    InteractionResponse,
)
from .models import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    ATTACH_FILES,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM,
    EMBED_LINKS,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    GUILD_TEXT,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    Snowflakes,
    fake_token,
)
from .ratelimit import RateLimiter
from .rest import (
    FailureRule,
    RecordedRequest,
    RestApi,
    UploadedFile,
    _guess_type,
    apply_edit,
    json_response,
)

T = TypeVar("T")

#: The bot's own role in each guild: what `walkwell invite` should ask for, no more.
DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
)

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# Option types.
OPT_SUB_COMMAND = 1
OPT_SUB_COMMAND_GROUP = 2
OPT_STRING = 3
OPT_INTEGER = 4
OPT_BOOLEAN = 5
OPT_USER = 6
OPT_CHANNEL = 7
OPT_ROLE = 8
OPT_MENTIONABLE = 9
OPT_NUMBER = 10
OPT_ATTACHMENT = 11

_USER_MENTION = re.compile(r"<@!?(\d{1,20})>")


class FakeDiscord:
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
        return f"{self.http_base}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self._port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://{self.host}:{self._port}/gateway-resume"

    def bot_env(self) -> dict[str, str]:
        """The environment a bot process needs to talk to this fake."""
        return {
            "DISCORD_TOKEN": self.token,
            "DISCORD_API_BASE": self.api_base,
            "DISCORD_GATEWAY_URL": self.gateway_url,
        }

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

    # -- building the world --------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        *,
        bot: bool = False,
        locale: str = "en-US",
        global_name: str | None = None,
    ) -> FakeUser:
        user = FakeUser(
            id=self.ids.next(), username=username, bot=bot, locale=locale, global_name=global_name
        )
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "Test Guild",
        *,
        owner: FakeUser | None = None,
        everyone_permissions: int = DEFAULT_EVERYONE_PERMISSIONS,
        add_bot: bool = True,
        locale: str = "en-US",
        shard: tuple[int, int] | None = None,
    ) -> FakeGuild:
        """A guild (with @everyone, the owner and the bot). ``shard=(id, count)`` picks a guild id
        that a bot sharded ``count`` ways receives on shard ``id``."""
        owner = owner or self.owner
        gid = self.ids.next_for_shard(*shard) if shard is not None else self.ids.next()
        guild = FakeGuild(id=gid, name=name, owner_id=owner.id, locale=locale)
        guild.roles[guild.id] = FakeRole(
            id=guild.id, guild_id=guild.id, name="@everyone", permissions=everyone_permissions
        )
        self.guilds[guild.id] = guild
        self.add_member(guild, owner)
        if add_bot:
            self.add_bot_to(guild)
        return guild

    def add_bot_to(self, guild: FakeGuild, *, permissions: int | None = None) -> FakeMember:
        role = FakeRole(
            id=self.ids.next(),
            guild_id=guild.id,
            name=self.bot_user.username,
            permissions=self.bot_permissions if permissions is None else permissions,
            position=1,
            managed=True,
            bot_id=self.bot_user.id,
        )
        guild.roles[role.id] = role
        member = self.add_member(guild, self.bot_user, roles=[role])
        self._dispatch_if_connected(guild, "GUILD_CREATE", guild.payload)
        return member

    def add_role(
        self, guild: FakeGuild, name: str, *, permissions: int = 0, mentionable: bool = True
    ) -> FakeRole:
        role = FakeRole(
            id=self.ids.next(),
            guild_id=guild.id,
            name=name,
            permissions=permissions,
            position=len(guild.roles),
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        self._dispatch_if_connected(
            guild, "GUILD_ROLE_CREATE", lambda: {"guild_id": str(guild.id), "role": role.payload()}
        )
        return role

    def add_text_channel(
        self,
        guild: FakeGuild,
        name: str = "general",
        *,
        overwrites: Iterable[dict[str, Any]] = (),
        topic: str | None = None,
    ) -> FakeChannel:
        channel = FakeChannel(
            id=self.ids.next(),
            type=GUILD_TEXT,
            name=name,
            guild=guild,
            position=len(guild.channels),
            topic=topic,
            permission_overwrites=[dict(o) for o in overwrites],
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        self._dispatch_if_connected(guild, "CHANNEL_CREATE", channel.payload)
        return channel

    def add_member(
        self, guild: FakeGuild, user: FakeUser, *, roles: Iterable[FakeRole] = ()
    ) -> FakeMember:
        self.users.setdefault(user.id, user)
        member = FakeMember(user=user, guild=guild, roles=[r.id for r in roles])
        guild.members[user.id] = member
        if user is not self.bot_user:
            self._dispatch_if_connected(
                guild,
                "GUILD_MEMBER_ADD",
                lambda: {**member.payload(), "guild_id": str(guild.id)},
                intent=INTENT_GUILD_MEMBERS,
            )
        return member

    def remove_member(self, guild: FakeGuild, user: FakeUser) -> None:
        """The user leaves the guild (GUILD_MEMBER_REMOVE needs the privileged members intent)."""
        guild.members.pop(user.id, None)
        self._dispatch_if_connected(
            guild,
            "GUILD_MEMBER_REMOVE",
            lambda: {"guild_id": str(guild.id), "user": user.payload()},
            intent=INTENT_GUILD_MEMBERS,
        )

    def can_dm(self, user: FakeUser) -> bool:
        """Discord lets a bot DM a user who shares a guild with it or has written to it first."""
        if user.id in self.blocked_dm_users:
            return False
        if any(user.id in g.members for g in self.guilds_of(self.bot_user)):
            return True
        channel = self.dm_channels.get(user.id)
        return channel is not None and any(
            m.channel is channel and m.author is user for m in self.messages
        )

    def set_channel_overwrite(
        self, channel: FakeChannel, target: FakeRole | FakeUser, *, allow: int = 0, deny: int = 0
    ) -> None:
        kind = 0 if isinstance(target, FakeRole) else 1
        channel.permission_overwrites = [
            o for o in channel.permission_overwrites if int(o["id"]) != target.id
        ]
        channel.permission_overwrites.append(
            {"id": str(target.id), "type": kind, "allow": str(allow), "deny": str(deny)}
        )
        if channel.guild is not None:
            self._dispatch_if_connected(channel.guild, "CHANNEL_UPDATE", channel.payload)

    def dm_channel(self, user: FakeUser) -> FakeChannel:
        channel = self.dm_channels.get(user.id)
        if channel is None:
            channel = FakeChannel(id=self.ids.next(), type=DM, recipient=user)
            self.dm_channels[user.id] = channel
            self.channels[channel.id] = channel
        return channel

    def block_dms(self, user: FakeUser) -> None:
        """The user closed their DMs: the bot's messages to them get 403 / 50007.

        (A user who shares no guild with the bot and never wrote to it gets the same answer.)
        """
        self.blocked_dm_users.add(user.id)

    def unblock_dms(self, user: FakeUser) -> None:
        self.blocked_dm_users.discard(user.id)

    def delete_channel(self, channel: FakeChannel, *, notify: bool = True) -> None:
        """Further requests to the channel get 404 / 10003 (Unknown Channel)."""
        channel.deleted = True
        if notify and channel.guild is not None:
            self.gateway.dispatch("CHANNEL_DELETE", channel.payload(), guild_id=channel.guild.id)

    def deny_send(
        self,
        channel: FakeChannel,
        *,
        status: int = 403,
        code: int = 50013,
        message: str = "Missing Permissions",
    ) -> None:
        """The bot's messages to this channel fail with this error (default: 403 / 50013)."""
        channel.send_error = (status, code, message)

    def allow_send(self, channel: FakeChannel) -> None:
        channel.send_error = None

    def fail_next(
        self,
        method: str,
        template: str,
        *,
        status: int = 429,
        count: int = 1,
        retry_after: float = 0.05,
        is_global: bool = False,
        via: bool = True,
        code: int = 0,
        message: str = "",
    ) -> FailureRule:
        """Answer the next ``count`` requests matching ``METHOD /route/{template}`` with an error.

        ``template`` uses the route's placeholders, e.g. ``/channels/{channel_id}/messages``,
        or ``*`` for any. A 429 carries Discord's headers and body (``via=False`` drops ``Via``).
        """
        rule = FailureRule(
            method=method.upper(),
            template=template,
            status=status,
            count=count,
            retry_after=retry_after,
            is_global=is_global,
            via=via,
            code=code,
            message=message,
        )
        self.rest.failures.append(rule)
        return rule

    def limit_route(self, method: str, template: str, *, limit: int, per: float) -> None:
        """Give one route its own bucket size, e.g. Discord's 5 per 5 s for channel messages."""
        self.ratelimiter.limit_route(method, template, limit, per)

    def _dispatch_if_connected(
        self,
        guild: FakeGuild,
        event: str,
        data: Callable[[], dict[str, Any]],
        *,
        intent: int | None = None,
    ) -> None:
        if self.gateway.session_for(guild.id) is not None and self.bot_user.id in guild.members:
            self.gateway.dispatch(event, data(), intent=intent, guild_id=guild.id)

    def guilds_of(self, user: FakeUser) -> list[FakeGuild]:
        return [g for g in self.guilds.values() if user.id in g.members]

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

    # -- commands ------------------------------------------------------------------------------------

    def registered_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        if guild_id is None:
            return list(self.global_commands)
        return list(self.guild_commands.get(guild_id, []))

    def _set_commands(self, guild_id: int | None, commands: list[dict[str, Any]]) -> None:
        if guild_id is None:
            self.global_commands = commands
        else:
            self.guild_commands[guild_id] = commands

    def command(self, name: str, *, guild: FakeGuild | None = None) -> dict[str, Any] | None:
        """A registered chat-input command by name (global first, then the guild's)."""
        for cmd in self.global_commands:
            if cmd["name"] == name and int(cmd.get("type", 1)) == 1:
                return cmd
        if guild is not None:
            for cmd in self.guild_commands.get(guild.id, []):
                if cmd["name"] == name and int(cmd.get("type", 1)) == 1:
                    return cmd
        return None

    # -- messages (used by the REST layer) -----------------------------------------------------------

    def _attachment(
        self, channel: FakeChannel, upload: UploadedFile, meta: dict[str, Any]
    ) -> FakeAttachment:
        aid = self.ids.next()
        filename = str(meta.get("filename") or upload.filename)
        return FakeAttachment(
            id=aid,
            filename=filename,
            data=upload.data,
            content_type=_guess_type(filename, upload.content_type),
            description=meta.get("description"),
            url=f"{self.http_base}/attachments/{channel.id}/{aid}/{filename}",
        )

    def _uploads(
        self, channel: FakeChannel, payload: dict[str, Any], files: list[UploadedFile]
    ) -> dict[int, FakeAttachment]:
        meta_by_index: dict[int, dict[str, Any]] = {}
        for entry in payload.get("attachments") or []:
            try:
                meta_by_index[int(entry["id"])] = entry
            except (KeyError, TypeError, ValueError):
                continue
        return {
            f.index: self._attachment(channel, f, meta_by_index.get(f.index, {})) for f in files
        }

    def _new_message(
        self,
        *,
        channel: FakeChannel,
        payload: dict[str, Any],
        files: list[UploadedFile],
        kind: str,
        interaction: FakeInteraction | None = None,
        ephemeral: bool = False,
        loading: bool = False,
        referenced: FakeMessage | None = None,
    ) -> FakeMessage:
        uploads = self._uploads(channel, payload, files)
        flags = int(payload.get("flags") or 0) & (FLAG_EPHEMERAL | (1 << 2) | (1 << 12) | (1 << 15))
        if ephemeral:
            flags |= FLAG_EPHEMERAL
        if loading:
            flags |= FLAG_LOADING
        msg = FakeMessage(
            id=self.ids.next(),
            channel=channel,
            author=self.bot_user,
            content=payload.get("content") or "",
            embeds=list(payload.get("embeds") or []),
            components=list(payload.get("components") or []),
            attachments=list(uploads.values()),
            flags=flags,
            allowed_mentions=payload.get("allowed_mentions"),
            nonce=payload.get("nonce"),
            tts=bool(payload.get("tts")),
            referenced=referenced,
            message_reference=(
                {
                    "type": 0,
                    "message_id": str(referenced.id),
                    "channel_id": str(referenced.channel.id),
                    **(
                        {"guild_id": str(referenced.channel.guild.id)}
                        if referenced.channel.guild
                        else {}
                    ),
                }
                if referenced is not None
                else None
            ),
            webhook_id=self.application_id if kind in ("response", "followup") else None,
            application_id=self.application_id if kind in ("response", "followup") else None,
            interaction=interaction,
            kind=kind,
        )
        if ephemeral:
            for a in msg.attachments:
                a.ephemeral = True
        msg.history.append(dict(payload))
        self.messages.append(msg)
        self.messages_by_id[msg.id] = msg
        if not msg.ephemeral:
            channel.last_message_id = msg.id
            self._dispatch_message("MESSAGE_CREATE", msg)
        self._touch()
        return msg

    def _edit_message(
        self, msg: FakeMessage, payload: dict[str, Any], files: list[UploadedFile]
    ) -> None:
        uploads = self._uploads(msg.channel, payload, files)
        new_files = list(uploads.values())
        if msg.ephemeral:
            for a in new_files:
                a.ephemeral = True
        apply_edit(msg, payload, new_files, uploads)
        if not msg.ephemeral:
            self._dispatch_message("MESSAGE_UPDATE", msg)
        self._touch()

    def _delete_message(self, msg: FakeMessage) -> None:
        msg.deleted = True
        if not msg.ephemeral:
            data = {"id": str(msg.id), "channel_id": str(msg.channel.id)}
            if msg.channel.guild is not None:
                data["guild_id"] = str(msg.channel.guild.id)
            intent = INTENT_DIRECT_MESSAGES if msg.channel.is_dm else INTENT_GUILD_MESSAGES
            guild_id = msg.channel.guild.id if msg.channel.guild is not None else None
            self.gateway.dispatch("MESSAGE_DELETE", data, intent=intent, guild_id=guild_id)
        self._touch()

    def _dispatch_message(self, event: str, msg: FakeMessage) -> None:
        """MESSAGE_CREATE/UPDATE with Discord's intent and MESSAGE_CONTENT rules."""
        channel = msg.channel
        intent = INTENT_DIRECT_MESSAGES if channel.is_dm else INTENT_GUILD_MESSAGES
        guild_id = channel.guild.id if channel.guild is not None else None
        session = self.gateway.session_for(guild_id)
        if session is None or not session.has_intent(intent):
            return
        if channel.guild is not None:
            me = channel.guild.members.get(self.bot_user.id)
            if me is None or not me.permissions_in(channel) & VIEW_CHANNEL:
                return  # Discord only sends a bot the messages of channels it can see
        data = msg.payload()
        if channel.guild is not None:
            member = channel.guild.members.get(msg.author.id)
            if member is not None:
                data["member"] = member.payload(with_user=False)
        else:
            data["channel_type"] = DM
        mentioned_bot = any(u.id == self.bot_user.id for u in msg.mention_users)
        content_visible = (
            session.has_intent(INTENT_MESSAGE_CONTENT)
            or channel.is_dm
            or msg.author is self.bot_user
            or mentioned_bot
        )
        if not content_visible:
            data.update({"content": "", "embeds": [], "attachments": [], "components": []})
            data.pop("poll", None)
        self.gateway.dispatch(event, data, intent=intent, guild_id=guild_id)

    async def _serve_attachment(self, request: web.Request) -> web.StreamResponse:
        msg_att = None
        aid = int(request.match_info["attachment_id"])
        for msg in self.messages:
            for att in msg.attachments:
                if att.id == aid:
                    msg_att = att
        if msg_att is None:
            return json_response({"message": "404: Not Found", "code": 0}, status=404)
        return web.Response(
            body=msg_att.data, content_type=msg_att.content_type or "application/octet-stream"
        )

    # -- queries for tests ---------------------------------------------------------------------------

    @property
    def sent_messages(self) -> list[FakeMessage]:
        """Every message the bot created (channel messages, interaction responses, follow-ups)."""
        return [m for m in self.messages if m.author is self.bot_user]

    def bot_messages(self, channel: FakeChannel | None = None) -> list[FakeMessage]:
        return [m for m in self.sent_messages if channel is None or m.channel is channel]

    async def wait_for_bot_message(
        self,
        channel: FakeChannel,
        *,
        after: FakeMessage | None = None,
        timeout: float = 5.0,
        predicate: Callable[[FakeMessage], bool] | None = None,
        include_ephemeral: bool = False,
    ) -> FakeMessage:
        """The first bot message in ``channel`` newer than ``after`` (and matching ``predicate``)."""

        def find() -> FakeMessage | None:
            for m in self.messages:
                if m.author is not self.bot_user or m.channel is not channel or m.deleted:
                    continue
                if m.ephemeral and not include_ephemeral:
                    continue
                if after is not None and m.id <= after.id:
                    continue
                if m.loading:
                    continue
                if predicate is None or predicate(m):
                    return m
            return None

        found = await self.wait_until(find, timeout=timeout, what=f"a bot message in {channel!r}")
        assert found is not None
        return found

    def requests_to(self, method: str, template: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method.upper() and r.template == template]

    def mass_pings(self) -> list[FakeMessage]:
        """Bot messages whose content + allowed_mentions would ping @everyone/@here or a role."""
        return [m for m in self.sent_messages if any(p.any_mass_ping for p in m.all_pings())]

    def problems(self) -> list[str]:
        """Everything a clean run should not have: unknown routes, refused payloads, late answers…"""
        out = [f"unknown route: {r}" for r in self.unknown_routes]
        out += [f"refused payload: {r.method} {r.path} {r.error}" for r in self.rejected]
        out += [f"fake bug: {e}" for e in self.server_errors]
        for ix in self.interactions:
            for status, code, body in ix.rejected:
                out.append(
                    f"callback refused for {ix.describe()}: {status} {code} {body.get('message')}"
                )
        out += [f"mass ping possible: {m!r}" for m in self.mass_pings()]
        return out

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "fake Discord saw problems:\n" + "\n".join(problems)

    # -- acting as users -----------------------------------------------------------------------------

    def _member(self, guild: FakeGuild, user: FakeUser) -> FakeMember:
        member = guild.members.get(user.id)
        if member is None:
            raise ValueError(f"{user!r} is not a member of {guild!r}; call fake.add_member first")
        return member

    def _default_channel(self, user: FakeUser) -> FakeChannel:
        for guild in self.guilds_of(self.bot_user):
            if user.id in guild.members:
                for ch in guild.channels.values():
                    if not ch.deleted and ch.type == GUILD_TEXT:
                        return ch
        return self.dm_channel(user)

    def _channel_payload(self, channel: FakeChannel, user: FakeUser) -> dict[str, Any]:
        data = channel.payload()
        if channel.guild is not None:
            data["permissions"] = str(self._member(channel.guild, user).permissions_in(channel))
        return data

    def _new_interaction(
        self,
        *,
        itype: int,
        user: FakeUser,
        channel: FakeChannel,
        data: dict[str, Any],
        command_name: str | None = None,
        message: FakeMessage | None = None,
        locale: str | None = None,
    ) -> FakeInteraction:
        if channel.deleted:
            raise ValueError(f"{channel!r} was deleted")
        ix = FakeInteraction(
            self,
            id=self.ids.next(),
            token="aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48),
            type=itype,
            user=user,
            channel=channel,
            data=data,
            command_name=command_name,
            message=message,
        )
        guild = channel.guild
        payload: dict[str, Any] = {
            "id": str(ix.id),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": ix.token,
            "version": 1,
            "locale": locale or user.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": ix.integration_owners(),
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel": self._channel_payload(channel, user),
            "channel_id": str(channel.id),
        }
        if guild is not None:
            member = self._member(guild, user)
            bot_member = guild.members[self.bot_user.id]
            payload["guild_id"] = str(guild.id)
            payload["guild"] = {"id": str(guild.id), "locale": guild.locale, "features": []}
            payload["guild_locale"] = guild.locale
            payload["member"] = {
                **member.payload(),
                "permissions": str(member.permissions_in(channel)),
            }
            payload["app_permissions"] = str(bot_member.permissions_in(channel))
            payload["context"] = 0
        else:
            payload["user"] = user.payload()
            payload["app_permissions"] = str(
                VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY
            )
            payload["context"] = 1
        if message is not None:
            payload["message"] = message.payload()
        ix.payload = payload
        self.interactions.append(ix)
        self.interactions_by_id[ix.id] = ix
        self.interactions_by_token[ix.token] = ix
        ix.dispatched_at = time.monotonic()
        if not self.gateway.dispatch(
            "INTERACTION_CREATE", payload, guild_id=guild.id if guild is not None else None
        ):
            raise RuntimeError(
                "no gateway session: is the bot connected? (await fake.wait_ready())"
            )
        self._touch()
        return ix

    def _check_invocable(self, cmd: dict[str, Any], user: FakeUser, channel: FakeChannel) -> None:
        context = 1 if channel.guild is None else 0
        contexts = cmd.get("contexts")
        if contexts is not None and context not in contexts:
            raise ValueError(
                f"Discord does not offer /{cmd['name']} in {'DMs' if context else 'guilds'} (contexts={contexts})"
            )
        if context == 1 and cmd.get("dm_permission") is False:
            raise ValueError(f"Discord does not offer /{cmd['name']} in DMs (dm_permission=false)")
        needed = cmd.get("default_member_permissions")
        if needed is not None and channel.guild is not None:
            perms = self._member(channel.guild, user).permissions_in(channel)
            if not perms & ADMINISTRATOR and int(needed) & ~perms:
                raise ValueError(
                    f"{user!r} lacks default_member_permissions={needed} for /{cmd['name']}"
                )

    def _command_data(
        self,
        user: FakeUser,
        name: str,
        options: dict[str, Any],
        channel: FakeChannel,
        *,
        focused: str | None,
        validate: bool,
    ) -> dict[str, Any]:
        parts = name.strip().lstrip("/").split()
        if not parts:
            raise ValueError("empty command name")
        guild = channel.guild
        cmd = self.command(parts[0], guild=guild)
        if cmd is None and (self.global_commands or self.guild_commands) and validate:
            known = sorted(
                {c["name"] for c in self.global_commands}
                | {c["name"] for cs in self.guild_commands.values() for c in cs}
            )
            raise LookupError(f"/{parts[0]} is not registered (registered: {', '.join(known)})")
        if cmd is not None and validate:
            self._check_invocable(cmd, user, channel)
        resolved: dict[str, dict[str, Any]] = {}
        schema: list[dict[str, Any]] | None = (
            list(cmd.get("options") or []) if cmd is not None else None
        )
        root: dict[str, Any] = {
            "id": cmd["id"] if cmd is not None else str(self.ids.next()),
            "name": parts[0],
            "type": 1,
        }
        if cmd is not None and cmd.get("guild_id"):
            root["guild_id"] = cmd["guild_id"]
        holder = root
        for sub in parts[1:]:
            spec = None
            if schema is not None:
                spec = next(
                    (o for o in schema if o.get("name") == sub and o.get("type") in (1, 2)), None
                )
                if spec is None and validate:
                    raise LookupError(f"/{name}: no subcommand {sub!r}")
            node: dict[str, Any] = {
                "name": sub,
                "type": spec["type"] if spec else OPT_SUB_COMMAND,
                "options": [],
            }
            holder.setdefault("options", []).append(node)
            holder = node
            schema = list(spec.get("options") or []) if spec is not None else None
        if schema is not None and validate and any(o.get("type") in (1, 2) for o in schema):
            raise ValueError(f"/{name} needs a subcommand: {[o['name'] for o in schema]}")
        leaf: list[dict[str, Any]] = []
        for opt_name, value in options.items():
            spec = next((o for o in schema or [] if o.get("name") == opt_name), None)
            if spec is None and schema is not None and validate:
                raise ValueError(
                    f"/{name} has no option {opt_name!r} (options: {[o['name'] for o in schema]})"
                )
            is_focused = opt_name == focused
            leaf.append(
                self._option(
                    spec,
                    opt_name,
                    value,
                    guild,
                    resolved,
                    focused=is_focused,
                    validate=validate and not is_focused and focused is None,
                )
            )
        if schema is not None and validate and focused is None:
            for spec in schema:
                if spec.get("required") and spec["name"] not in options:
                    raise ValueError(f"/{name}: required option {spec['name']!r} missing")
        if focused is not None and focused not in options:
            raise ValueError(f"focused option {focused!r} must be given a (partial) value")
        if leaf:
            holder["options"] = leaf
        elif "options" not in holder and holder is root:
            pass
        if resolved:
            root["resolved"] = resolved
        return root

    def _option(
        self,
        spec: dict[str, Any] | None,
        name: str,
        value: Any,
        guild: FakeGuild | None,
        resolved: dict[str, dict[str, Any]],
        *,
        focused: bool,
        validate: bool,
    ) -> dict[str, Any]:
        otype = int(spec["type"]) if spec is not None else self._infer_type(value)
        if focused:
            return {"name": name, "type": otype, "value": str(value), "focused": True}
        out: dict[str, Any] = {"name": name, "type": otype}
        if otype == OPT_STRING:
            if validate and not isinstance(value, str):
                raise TypeError(f"option {name!r} is a string, got {value!r}")
            text = str(value)
            if validate and spec is not None:
                max_len = int(spec.get("max_length") or limits.STRING_OPTION_MAX)
                min_len = int(spec.get("min_length") or 0)
                if not min_len <= len(text) <= max_len:
                    raise ValueError(
                        f"option {name!r}: Discord allows {min_len}..{max_len} characters, got {len(text)}"
                    )
            out["value"] = text
        elif otype == OPT_INTEGER:
            if validate and (not isinstance(value, int) or isinstance(value, bool)):
                raise TypeError(f"option {name!r} is an integer, got {value!r}")
            out["value"] = int(value)
            self._check_range(spec, name, out["value"], validate)
        elif otype == OPT_NUMBER:
            out["value"] = float(value)
            self._check_range(spec, name, out["value"], validate)
        elif otype == OPT_BOOLEAN:
            out["value"] = bool(value)
        elif otype in (OPT_USER, OPT_MENTIONABLE) and isinstance(value, (FakeUser, FakeMember)):
            user = value.user if isinstance(value, FakeMember) else value
            out["value"] = str(user.id)
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            if guild is not None and user.id in guild.members:
                member = guild.members[user.id]
                resolved.setdefault("members", {})[str(user.id)] = {
                    **member.payload(with_user=False),
                    "permissions": str(member.base_permissions()),
                }
        elif otype in (OPT_ROLE, OPT_MENTIONABLE) and isinstance(value, FakeRole):
            out["value"] = str(value.id)
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
        elif otype == OPT_CHANNEL and isinstance(value, FakeChannel):
            out["value"] = str(value.id)
            data = value.payload()
            data["permissions"] = str(ALL_PERMISSIONS)
            resolved.setdefault("channels", {})[str(value.id)] = data
        elif otype == OPT_ATTACHMENT:
            if isinstance(value, FakeAttachment):
                att = value
            else:
                filename, blob = value
                att = FakeAttachment(
                    id=self.ids.next(),
                    filename=filename,
                    data=blob,
                    content_type=_guess_type(filename, None),
                )
                att.url = f"{self.http_base}/attachments/0/{att.id}/{filename}"
            out["value"] = str(att.id)
            resolved.setdefault("attachments", {})[str(att.id)] = att.payload()
        else:
            if validate:
                raise TypeError(f"option {name!r} of type {otype}: cannot use {value!r}")
            out["value"] = value
        if (
            validate
            and spec is not None
            and spec.get("choices")
            and otype in (OPT_STRING, OPT_INTEGER, OPT_NUMBER)
        ):
            allowed = [c["value"] for c in spec["choices"]]
            if out["value"] not in allowed:
                raise ValueError(f"option {name!r} must be one of {allowed}, got {out['value']!r}")
        return out

    @staticmethod
    def _check_range(spec: dict[str, Any] | None, name: str, value: float, validate: bool) -> None:
        if not validate or spec is None:
            return
        lo, hi = spec.get("min_value"), spec.get("max_value")
        if lo is not None and value < lo or hi is not None and value > hi:
            raise ValueError(f"option {name!r}: Discord allows {lo}..{hi}, got {value}")

    @staticmethod
    def _infer_type(value: Any) -> int:
        if isinstance(value, bool):
            return OPT_BOOLEAN
        if isinstance(value, int):
            return OPT_INTEGER
        if isinstance(value, float):
            return OPT_NUMBER
        if isinstance(value, (FakeUser, FakeMember)):
            return OPT_USER
        if isinstance(value, FakeRole):
            return OPT_ROLE
        if isinstance(value, FakeChannel):
            return OPT_CHANNEL
        if isinstance(value, (FakeAttachment, tuple)):
            return OPT_ATTACHMENT
        return OPT_STRING

    async def slash(
        self,
        user: FakeUser,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        channel: FakeChannel | None = None,
        locale: str | None = None,
        validate: bool = True,
    ) -> FakeInteraction:
        """``user`` runs ``/name [sub] options…`` in ``channel`` (a guild channel or a DM channel).

        Options are typed from the registered schema (what the bot synced); ``validate=False``
        sends values Discord's client would never let through.
        """
        channel = channel or self._default_channel(user)
        data = self._command_data(
            user, name, dict(options or {}), channel, focused=None, validate=validate
        )
        return self._new_interaction(
            itype=APPLICATION_COMMAND,
            user=user,
            channel=channel,
            data=data,
            command_name=name,
            locale=locale,
        )

    async def autocomplete_interaction(
        self,
        user: FakeUser,
        name: str,
        options: dict[str, Any],
        *,
        focused: str,
        channel: FakeChannel | None = None,
        locale: str | None = None,
    ) -> FakeInteraction:
        channel = channel or self._default_channel(user)
        data = self._command_data(
            user, name, dict(options), channel, focused=focused, validate=True
        )
        return self._new_interaction(
            itype=AUTOCOMPLETE,
            user=user,
            channel=channel,
            data=data,
            command_name=name,
            locale=locale,
        )

    async def autocomplete(
        self,
        user: FakeUser,
        name: str,
        options: dict[str, Any],
        *,
        focused: str,
        channel: FakeChannel | None = None,
        timeout: float = 3.0,
    ) -> list[dict[str, Any]]:
        """What the user sees while typing ``options[focused]``: the bot's choices."""
        ix = await self.autocomplete_interaction(
            user, name, options, focused=focused, channel=channel
        )
        resp = await ix.response(timeout=timeout)
        return resp.choices

    async def click(self, user: FakeUser, message: FakeMessage, custom_id: str) -> FakeInteraction:
        """``user`` presses the button ``custom_id`` on ``message``."""
        comp = self._component(user, message, custom_id)
        if comp.get("type") != 2:
            raise ValueError(
                f"{custom_id!r} is a type {comp.get('type')} component, not a button; use select()"
            )
        data = {"custom_id": custom_id, "component_type": 2}
        if comp.get("id") is not None:
            data["id"] = comp["id"]
        return self._new_interaction(
            itype=MESSAGE_COMPONENT, user=user, channel=message.channel, data=data, message=message
        )

    async def select(
        self, user: FakeUser, message: FakeMessage, custom_id: str, values: list[str]
    ) -> FakeInteraction:
        """``user`` picks ``values`` in the select menu ``custom_id`` on ``message``."""
        comp = self._component(user, message, custom_id)
        ctype = int(comp.get("type", 0))
        if ctype not in (3, 5, 6, 7, 8):
            raise ValueError(f"{custom_id!r} is not a select menu")
        lo, hi = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
        if not lo <= len(values) <= hi:
            raise ValueError(f"select {custom_id!r} takes {lo}..{hi} values, got {len(values)}")
        if ctype == 3:
            allowed = {o["value"] for o in comp.get("options") or []}
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(
                    f"select {custom_id!r} has no option(s) {bad}; options: {sorted(allowed)}"
                )
        data: dict[str, Any] = {
            "custom_id": custom_id,
            "component_type": ctype,
            "values": list(values),
        }
        return self._new_interaction(
            itype=MESSAGE_COMPONENT, user=user, channel=message.channel, data=data, message=message
        )

    def _component(self, user: FakeUser, message: FakeMessage, custom_id: str) -> dict[str, Any]:
        if message.author is not self.bot_user:
            raise ValueError("components can only be used on the bot's messages")
        if message.deleted:
            raise ValueError(f"{message!r} was deleted")
        if (
            message.ephemeral
            and message.interaction is not None
            and message.interaction.user is not user
        ):
            raise ValueError(f"{user!r} cannot see the ephemeral {message!r}")
        comp = message.find_component(custom_id)
        if comp is None:
            raise ValueError(
                f"no component {custom_id!r} on {message!r}; custom_ids: {message.custom_ids()}"
            )
        if comp.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        return comp

    async def submit_modal(
        self,
        user: FakeUser,
        modal: InteractionResponse | FakeInteraction,
        values: dict[str, Any],
        *,
        validate: bool = True,
    ) -> FakeInteraction:
        """``user`` fills the modal the bot opened (its type 9 callback) with ``values`` and submits."""
        if isinstance(modal, FakeInteraction):
            source_ix = modal
            if not modal.responses:
                raise ValueError(f"{modal!r} has no response yet; await ix.response() first")
            response = modal.responses[0]
        else:
            response = modal
            source_ix = next(ix for ix in self.interactions if response in ix.responses)
        if response.type != MODAL:
            raise ValueError(f"that response is {response.type_name}, not a modal")
        if source_ix.user is not user:
            raise ValueError("only the user the modal was shown to can submit it")
        remaining = dict(values)
        components: list[dict[str, Any]] = []

        def fill(comp: dict[str, Any]) -> dict[str, Any] | None:
            ctype = comp.get("type")
            cid = str(comp.get("custom_id"))
            if ctype == 4:
                value = str(remaining.pop(cid, comp.get("value") or ""))
                if validate:
                    lo, hi = int(comp.get("min_length") or 0), int(comp.get("max_length") or 4000)
                    if comp.get("required", True) and not value:
                        raise ValueError(f"modal field {cid!r} is required")
                    if value and not lo <= len(value) <= hi:
                        raise ValueError(
                            f"modal field {cid!r} takes {lo}..{hi} characters, got {len(value)}"
                        )
                return {"type": 4, "custom_id": cid, "value": value}
            if ctype in (3, 5, 6, 7, 8):
                picked = remaining.pop(cid, [])
                return {"type": ctype, "custom_id": cid, "values": list(picked)}
            return None

        for item in response.data.get("components") or []:
            if item.get("type") == 1:
                inner = [
                    c for c in (fill(x) for x in item.get("components") or []) if c is not None
                ]
                components.append({"type": 1, "components": inner})
            elif item.get("type") == 18:
                filled = fill(item.get("component") or {})
                if filled is not None:
                    components.append({"type": 18, "component": filled})
            elif item.get("type") == 10:
                components.append({"type": 10, "id": item.get("id")})
        if remaining and validate:
            raise ValueError(f"the modal has no field(s) {sorted(remaining)}")
        data = {"custom_id": response.data.get("custom_id"), "components": components}
        return self._new_interaction(
            itype=MODAL_SUBMIT,
            user=user,
            channel=source_ix.channel,
            data=data,
            message=source_ix.message,
        )

    async def user_message(
        self,
        user: FakeUser,
        channel: FakeChannel,
        content: str,
        *,
        mention_bot: bool = False,
        reply_to: FakeMessage | None = None,
        mention_reply_author: bool = True,
    ) -> FakeMessage:
        """``user`` posts ``content`` in ``channel`` (``<@BOT>`` becomes the bot's mention)."""
        content = content.replace("<@BOT>", self.bot_user.mention)
        if (
            mention_bot
            and self.bot_user.mention not in content
            and f"<@!{self.bot_user.id}>" not in content
        ):
            content = f"{self.bot_user.mention} {content}"
        if channel.guild is not None:
            self._member(channel.guild, user)
        elif channel.recipient is not user:
            raise ValueError(f"{user!r} is not the recipient of {channel!r}")
        mentioned = []
        for uid in dict.fromkeys(int(x) for x in _USER_MENTION.findall(content)):
            if uid in self.users:
                mentioned.append(self.users[uid])
        if reply_to is not None and mention_reply_author and reply_to.author not in mentioned:
            mentioned.append(reply_to.author)
        msg = FakeMessage(
            id=self.ids.next(),
            channel=channel,
            author=user,
            content=content,
            kind="user",
            nonce=str(self.ids.next()),
            mention_users=mentioned,
            referenced=reply_to,
            message_reference=(
                {"type": 0, "message_id": str(reply_to.id), "channel_id": str(reply_to.channel.id)}
                if reply_to is not None
                else None
            ),
        )
        self.messages.append(msg)
        self.messages_by_id[msg.id] = msg
        channel.last_message_id = msg.id
        self._dispatch_message("MESSAGE_CREATE", msg)
        self._touch()
        return msg

    async def user_dm(self, user: FakeUser, content: str) -> FakeMessage:
        """``user`` writes ``content`` to the bot in their DM channel."""
        return await self.user_message(user, self.dm_channel(user), content)
