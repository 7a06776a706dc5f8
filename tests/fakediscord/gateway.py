"""The gateway: HELLO, heartbeats, IDENTIFY -> READY + GUILD_CREATE, RESUME with replay, drops.

Frames are plain JSON text frames (discord.py only inflates binary frames, so asking for
``compress=zlib-stream`` and getting text is fine).
"""

# The test-facing API takes explicit timeouts on purpose (``await ix.response(timeout=3)``).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

# Gateway opcodes.
OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_VOICE_STATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

# Intents.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Application flags for enabled privileged intents ("limited" variants, as for unverified bots).
APP_FLAG_PRESENCE_LIMITED = 1 << 13
APP_FLAG_GUILD_MEMBERS_LIMITED = 1 << 15
APP_FLAG_MESSAGE_CONTENT_LIMITED = 1 << 19


def _dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


class GatewayConnection:
    """One websocket. Frames go out through a queue so they keep their order."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, path: str) -> None:
        self.ws = ws
        self.request = request
        self.path = path
        self.query = dict(request.query)
        self.session: GatewaySession | None = None
        self.heartbeats = 0
        self.last_heartbeat_seq: int | None = None
        self.client_close_code: int | None = None
        self.server_close_code: int | None = None
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop())

    @property
    def open(self) -> bool:
        return not self.ws.closed and self.server_close_code is None

    def send(self, frame: dict[str, Any]) -> None:
        self._queue.put_nowait(_dumps(frame))

    async def _write_loop(self) -> None:
        while True:
            text = await self._queue.get()
            if text is None:
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                return

    async def close(self, code: int, *, abrupt: bool = False) -> None:
        self.server_close_code = code
        self._queue.put_nowait(None)
        if abrupt:
            transport = self.request.transport
            if transport is not None:
                transport.abort()
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writer, timeout=1.0)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self.ws.close(code=code, message=b"fake discord closed"), timeout=2.0
            )

    async def stop_writer(self) -> None:
        self._queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writer, timeout=1.0)


@dataclass(eq=False)
class GatewaySession:
    id: str
    intents: int
    shard: list[int]
    identify: dict[str, Any]
    seq: int = 0
    buffer: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    conn: GatewayConnection | None = None
    presence: dict[str, Any] | None = None
    invalidated: bool = False

    def dispatch(self, event: str, data: dict[str, Any]) -> int:
        self.seq += 1
        frame = {"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data}
        self.buffer.append((self.seq, frame))
        if len(self.buffer) > 5000:
            del self.buffer[:1000]
        if self.conn is not None and self.conn.open:
            self.conn.send(frame)
        return self.seq

    def has_intent(self, bit: int) -> bool:
        return bool(self.intents & bit)


class Gateway:
    """Sessions by shard, like Discord: a guild's events go to shard ``(guild_id >> 22) % count``,
    DMs to shard 0. A single unsharded bot is shard ``[0, 1]``."""

    def __init__(self, fake: FakeDiscord, *, heartbeat_interval_ms: int = 41250) -> None:
        self.fake = fake
        self.heartbeat_interval_ms = heartbeat_interval_ms
        #: every session ever identified, by session id (for RESUME)
        self.sessions: dict[str, GatewaySession] = {}
        #: the live session of each shard id
        self.shards: dict[int, GatewaySession] = {}
        self.connections: list[GatewayConnection] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes = 0
        self.ready_count = 0
        self.presence_updates: list[dict[str, Any]] = []
        self.member_requests: list[dict[str, Any]] = []
        self.errors: list[str] = []

    # -- queries ---------------------------------------------------------------------------------

    @property
    def shard_count(self) -> int:
        counts = {s.shard[1] for s in self.shards.values()}
        return max(counts) if counts else 1

    def shard_of(self, guild_id: int | None) -> int:
        return (guild_id >> 22) % self.shard_count if guild_id is not None else 0

    def session_for(self, guild_id: int | None = None) -> GatewaySession | None:
        """The live session that receives events of ``guild_id`` (None: DMs, shard 0)."""
        session = self.shards.get(self.shard_of(guild_id))
        if session is None or session.invalidated:
            return None
        return session

    @property
    def current(self) -> GatewaySession | None:
        """Shard 0's session (the only one for an unsharded bot)."""
        return self.session_for(None)

    def connection_for(self, shard: int = 0) -> GatewayConnection | None:
        s = self.shards.get(shard)
        return s.conn if s is not None and s.conn is not None and s.conn.open else None

    @property
    def connection(self) -> GatewayConnection | None:
        return self.connection_for(0)

    def all_shards_connected(self) -> bool:
        if not self.shards:
            return False
        count = self.shard_count
        return all(self.connection_for(i) is not None for i in range(count))

    @property
    def client_close_codes(self) -> list[int]:
        return [c.client_close_code for c in self.connections if c.client_close_code is not None]

    # -- sending ---------------------------------------------------------------------------------

    def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        intent: int | None = None,
        guild_id: int | None = None,
    ) -> bool:
        """Send a dispatch to the shard's session (buffered while it is away, for RESUME)."""
        session = self.session_for(guild_id)
        if session is None:
            return False
        if intent is not None and not session.has_intent(intent):
            return False
        session.dispatch(event, data)
        return True

    async def barrier(self, timeout: float = 5.0, *, shard: int | None = None) -> None:
        """Ask each client for a heartbeat (op 1); its answer proves it handled every earlier frame."""
        shards = [shard] if shard is not None else list(range(self.shard_count))
        for sid in shards:
            conn = await self.fake.wait_until(
                lambda sid=sid: self.connection_for(sid),  # type: ignore[misc]
                timeout=timeout,
                what=f"a gateway connection for shard {sid}",
            )
            assert conn is not None
            before = conn.heartbeats
            conn.send({"op": OP_HEARTBEAT, "d": None})
            await self.fake.wait_until(
                lambda conn=conn, before=before: conn.heartbeats > before,  # type: ignore[misc]
                timeout=timeout,
                what="the client's heartbeat answer",
            )

    def _live(self, shard: int) -> GatewayConnection:
        conn = self.connection_for(shard)
        if conn is None:
            raise RuntimeError(f"no live gateway connection for shard {shard}")
        return conn

    async def drop(self, code: int = 4000, *, abrupt: bool = False, shard: int = 0) -> None:
        await self._live(shard).close(code, abrupt=abrupt)
        self.fake._touch()

    def request_reconnect(self, *, shard: int = 0) -> None:
        self._live(shard).send({"op": OP_RECONNECT, "d": None})

    def invalidate_session(self, *, resumable: bool = False, shard: int = 0) -> None:
        conn = self._live(shard)
        session = conn.session
        assert session is not None
        if not resumable:
            session.invalidated = True
            self.sessions.pop(session.id, None)
        conn.send({"op": OP_INVALID_SESSION, "d": resumable})

    # -- the websocket handler -------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        conn = GatewayConnection(ws, request, request.path)
        self.connections.append(conn)
        self.fake._touch()
        conn.send(
            {
                "op": OP_HELLO,
                "d": {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake-discord"]},
            }
        )
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._on_frame(conn, msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await self._on_frame(conn, msg.data.decode())
                elif msg.type == WSMsgType.ERROR:
                    break
                if conn.server_close_code is not None:
                    break
        finally:
            if conn.server_close_code is None and ws.close_code is not None:
                conn.client_close_code = ws.close_code
            await conn.stop_writer()
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            self.fake._touch()
        return ws

    async def _close(self, conn: GatewayConnection, code: int, reason: str) -> None:
        self.errors.append(f"closed {code}: {reason}")
        await conn.close(code)

    async def _on_frame(self, conn: GatewayConnection, text: str) -> None:
        try:
            frame = json.loads(text)
            op = frame["op"]
        except (ValueError, KeyError, TypeError):
            await self._close(conn, 4002, "decode error")
            return
        data = frame.get("d")
        if op == OP_HEARTBEAT:
            conn.heartbeats += 1
            conn.last_heartbeat_seq = data
            conn.send({"op": OP_HEARTBEAT_ACK, "d": None})
            self.fake._touch()
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            await self._resume(conn, data or {})
        elif conn.session is None:
            await self._close(conn, 4003, "not authenticated")
        elif op == OP_PRESENCE:
            conn.session.presence = data
            self.presence_updates.append(data)
        elif op == OP_REQUEST_MEMBERS:
            self.member_requests.append(data)
            self._chunk(conn.session, data or {})
        elif op == OP_VOICE_STATE:
            pass
        else:
            await self._close(conn, 4001, f"unknown opcode {op}")

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        fake = self.fake
        if conn.session is not None:
            await self._close(conn, 4005, "already authenticated")
            return
        if data.get("token") != fake.token:
            await self._close(conn, 4004, "authentication failed")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~fake.privileged_intents:
            await self._close(conn, 4014, "disallowed intent(s)")
            return
        shard = [int(x) for x in (data.get("shard") or [0, 1])]
        if len(shard) != 2 or not 0 <= shard[0] < shard[1]:
            await self._close(conn, 4010, "invalid shard")
            return
        live_counts = {s.shard[1] for sid, s in self.shards.items() if sid != shard[0]}
        if live_counts and live_counts != {shard[1]}:
            await self._close(conn, 4010, "invalid shard: shard count differs from the others")
            return
        session = GatewaySession(
            id=secrets.token_hex(16), intents=intents, shard=shard, identify=data
        )
        if data.get("presence"):
            session.presence = data["presence"]
        previous = self.shards.get(shard[0])
        if previous is not None:
            # a fresh IDENTIFY for the same shard replaces its previous session
            previous.invalidated = True
        self.sessions[session.id] = session
        self.shards[shard[0]] = session
        session.conn = conn
        conn.session = session
        self.identifies.append(data)
        guilds = [g for g in fake.guilds_of(fake.bot_user) if (g.id >> 22) % shard[1] == shard[0]]
        session.dispatch("READY", fake.ready_payload(session, guilds))
        for guild in guilds:
            session.dispatch("GUILD_CREATE", guild.payload())
        self.ready_count += 1
        fake._touch()

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        fake = self.fake
        if data.get("token") != fake.token:
            await self._close(conn, 4004, "authentication failed")
            return
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.invalidated:
            conn.send({"op": OP_INVALID_SESSION, "d": False})
            return
        old = session.conn
        if old is not None and old is not conn and old.open:
            await old.close(4000)
        session.conn = conn
        conn.session = session
        self.shards[session.shard[0]] = session
        last = data.get("seq")
        replay = [frame for seq, frame in session.buffer if last is None or seq > int(last)]
        for frame in replay:
            conn.send(frame)
        session.dispatch("RESUMED", {"_trace": ["fake-discord"]})
        self.resumes += 1
        fake._touch()

    def _chunk(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild_id = int(data.get("guild_id", 0))
        guild = self.fake.guilds.get(guild_id)
        if guild is None:
            return
        members = list(guild.members.values())
        ids = data.get("user_ids")
        if ids:
            wanted = {int(i) for i in (ids if isinstance(ids, list) else [ids])}
            members = [m for m in members if m.user.id in wanted]
        query = data.get("query")
        if query:
            members = [m for m in members if m.user.username.lower().startswith(str(query).lower())]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        payload: dict[str, Any] = {
            "guild_id": str(guild_id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce") is not None:
            payload["nonce"] = data["nonce"]
        if data.get("presences"):
            payload["presences"] = []
        session.dispatch("GUILD_MEMBERS_CHUNK", payload)
