"""The fake Discord's world: users, guilds, roles, channels, members, messages.

Every object renders itself as the JSON payload Discord would send (``payload()``), in the shapes
discord.py 2.7.1 parses (see ``/work/shared/notes/discord-wire.md``).
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .pings import Pings, compute_pings

if TYPE_CHECKING:
    from .interactions import FakeInteraction

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1

#: What @everyone may do in a freshly made guild (close to Discord's default).
DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MENTION_EVERYONE
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)

# Message flags.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_EMBEDS = 1 << 2

# Channel types.
GUILD_TEXT = 0
DM = 1


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Snowflakes:
    """Monotonic, time-based snowflake ids (so ``discord.utils.snowflake_time`` is sensible)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        if candidate <= self._last:
            candidate = self._last + 1
        self._last = candidate
        return candidate

    def next_for_shard(self, shard_id: int, shard_count: int) -> int:
        """The next id whose guild would belong to ``shard_id`` of ``shard_count``."""
        candidate = self.next()
        while (candidate >> 22) % shard_count != shard_id:
            candidate = ((candidate >> 22) + 1) << 22
        self._last = candidate
        return candidate


def fake_token(bot_id: int, secret: str) -> str:
    """A token shaped like Discord's: base64(bot id) . timestamp-ish . hmac-ish."""
    head = base64.b64encode(str(bot_id).encode()).decode().rstrip("=")
    return f"{head}.GfAkE0.{secret}"


class Named:
    """Shown as ``<FakeX label id>``: users by username, roles, channels and guilds by name."""

    id: int

    def __repr__(self) -> str:
        label = getattr(self, "username", None) or getattr(self, "name", None) or "DM"
        return f"<{type(self).__name__} {label} {self.id}>"


@dataclass(eq=False, repr=False)
class FakeUser(Named):
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    locale: str = "en-US"

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass(eq=False, repr=False)
class FakeRole(Named):
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass(eq=False)
class FakeMember:
    user: FakeUser
    guild: FakeGuild
    roles: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: dt.datetime = field(default_factory=now)

    def payload(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data

    def base_permissions(self) -> int:
        guild = self.guild
        if guild.owner_id == self.user.id:
            return ALL_PERMISSIONS
        perms = guild.everyone_role.permissions
        for role_id in self.roles:
            role = guild.roles.get(role_id)
            if role is not None:
                perms |= role.permissions
        if perms & ADMINISTRATOR:
            return ALL_PERMISSIONS
        return perms

    def permissions_in(self, channel: FakeChannel | None) -> int:
        """Discord's permission computation: base, then @everyone, role and member overwrites."""
        perms = self.base_permissions()
        if perms & ADMINISTRATOR or channel is None:
            return perms
        overwrites = {int(o["id"]): o for o in channel.permission_overwrites}
        everyone = overwrites.get(self.guild.id)
        if everyone is not None:
            perms &= ~int(everyone.get("deny", 0))
            perms |= int(everyone.get("allow", 0))
        allow = deny = 0
        for role_id in self.roles:
            ow = overwrites.get(role_id)
            if ow is not None and ow.get("type", 0) == 0:
                allow |= int(ow.get("allow", 0))
                deny |= int(ow.get("deny", 0))
        perms = (perms & ~deny) | allow
        mine = overwrites.get(self.user.id)
        if mine is not None and mine.get("type", 1) == 1:
            perms = (perms & ~int(mine.get("deny", 0))) | int(mine.get("allow", 0))
        if not perms & VIEW_CHANNEL:
            return 0
        return perms


@dataclass(eq=False, repr=False)
class FakeChannel(Named):
    id: int
    type: int
    name: str | None = None
    guild: FakeGuild | None = None
    position: int = 0
    topic: str | None = None
    permission_overwrites: list[dict[str, Any]] = field(default_factory=list)
    recipient: FakeUser | None = None
    deleted: bool = False
    #: when set, the bot's POST /channels/{id}/messages answers with this (status, code, message)
    send_error: tuple[int, int, str] | None = None
    last_message_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def is_dm(self) -> bool:
        return self.type == DM

    def payload(self, bot_user: FakeUser | None = None) -> dict[str, Any]:
        if self.type == DM:
            assert self.recipient is not None
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": str(self.last_message_id) if self.last_message_id else None,
                "recipients": [self.recipient.payload()],
                "flags": 0,
            }
        assert self.guild is not None
        return {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild.id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [dict(o) for o in self.permission_overwrites],
            "parent_id": None,
            "topic": self.topic,
            "nsfw": False,
            "rate_limit_per_user": 0,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
            "flags": 0,
        }


@dataclass(eq=False, repr=False)
class FakeGuild(Named):
    id: int
    name: str
    owner_id: int
    roles: dict[int, FakeRole] = field(default_factory=dict)
    channels: dict[int, FakeChannel] = field(default_factory=dict)
    members: dict[int, FakeMember] = field(default_factory=dict)
    locale: str = "en-US"

    @property
    def everyone_role(self) -> FakeRole:
        return self.roles[self.id]

    def payload(self) -> dict[str, Any]:
        """The full GUILD_CREATE payload; member_count == len(members) so no chunking is needed."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": self.locale,
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": iso(now()),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "members": [m.payload() for m in self.members.values()],
            "channels": [c.payload() for c in self.channels.values() if not c.deleted],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass(eq=False)
class FakeAttachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None
    url: str = ""
    ephemeral: bool = False

    @property
    def size(self) -> int:
        return len(self.data)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.content_type:
            data["content_type"] = self.content_type
        if self.description:
            data["description"] = self.description
        if self.ephemeral:
            data["ephemeral"] = True
        return data

    def __repr__(self) -> str:
        return f"<FakeAttachment {self.filename} {self.size}B {self.content_type}>"


def walk_components(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Each component and everything inside it (rows, labels, accessories), depth first."""
    for c in items:
        yield c
        yield from walk_components(c.get("components") or [])
        for key in ("component", "accessory"):
            if isinstance(c.get(key), dict):
                yield from walk_components([c[key]])


@dataclass(eq=False)
class FakeMessage:
    id: int
    channel: FakeChannel
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[FakeAttachment] = field(default_factory=list)
    flags: int = 0
    #: exactly what the sender passed (None: the field was absent)
    allowed_mentions: dict[str, Any] | None = None
    nonce: str | int | None = None
    tts: bool = False
    referenced: FakeMessage | None = None
    message_reference: dict[str, Any] | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    #: the interaction this message answers (original response or follow-up)
    interaction: FakeInteraction | None = None
    #: "user" (a fake user wrote it), "channel" (bot via POST /channels), "response"
    #: (interaction original), "followup"
    kind: str = "channel"
    timestamp: dt.datetime = field(default_factory=now)
    edited_timestamp: dt.datetime | None = None
    deleted: bool = False
    #: every payload the bot sent for this message (create, then edits), in order
    history: list[dict[str, Any]] = field(default_factory=list)
    #: the users a message mentions (for user messages, from content)
    mention_users: list[FakeUser] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & FLAG_LOADING)

    @property
    def guild(self) -> FakeGuild | None:
        return self.channel.guild

    def pings(self) -> Pings:
        replied = self.referenced.author.id if self.referenced is not None else None
        return compute_pings(self.content, self.allowed_mentions, replied_user_id=replied)

    def all_pings(self) -> list[Pings]:
        """Pings of every version of this message (creation and each edit)."""
        replied = self.referenced.author.id if self.referenced is not None else None
        out = []
        for version in self.history:
            out.append(
                compute_pings(
                    version.get("content") or "",
                    version.get("allowed_mentions"),
                    replied_user_id=replied,
                )
            )
        return out or [self.pings()]

    def text(self) -> str:
        """Content plus every embed's title, description, fields and footer, for assertions."""
        parts = [self.content]
        for embed in self.embeds:
            parts.extend(
                str(embed.get(k, "")) for k in ("title", "description") if embed.get(k) is not None
            )
            for f in embed.get("fields", []) or []:
                parts.append(str(f.get("name", "")))
                parts.append(str(f.get("value", "")))
            footer = embed.get("footer") or {}
            if footer.get("text"):
                parts.append(str(footer["text"]))
        return "\n".join(p for p in parts if p)

    def custom_ids(self) -> list[str]:
        """Every custom_id on this message's components (depth first)."""
        return [str(c["custom_id"]) for c in walk_components(self.components) if "custom_id" in c]

    def find_component(self, custom_id: str) -> dict[str, Any] | None:
        return next(
            (c for c in walk_components(self.components) if c.get("custom_id") == custom_id), None
        )

    def payload(self, *, include_reference: bool = True) -> dict[str, Any]:
        pings = self.pings()
        guild = self.channel.guild
        mentions: list[dict[str, Any]] = []
        mentioned_ids = set(pings.users) | {u.id for u in self.mention_users}
        if self.kind == "user":
            mentioned_ids = {u.id for u in self.mention_users}
        for user_id in sorted(mentioned_ids):
            user = None
            member = guild.members.get(user_id) if guild is not None else None
            if member is not None:
                user = member.user
            else:
                user = next((u for u in self.mention_users if u.id == user_id), None)
            if user is None:
                continue
            entry = user.payload()
            if member is not None:
                entry["member"] = member.payload(with_user=False)
            mentions.append(entry)
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel.id),
            "type": 19 if self.referenced is not None else 0,
            "content": self.content,
            "author": self.author.payload(),
            "timestamp": iso(self.timestamp),
            "edited_timestamp": iso(self.edited_timestamp) if self.edited_timestamp else None,
            "tts": self.tts,
            "mention_everyone": pings.everyone,
            "mentions": mentions,
            "mention_roles": [str(r) for r in sorted(pings.roles)],
            "attachments": [a.payload() for a in self.attachments],
            "embeds": [dict(e) for e in self.embeds],
            "components": [dict(c) for c in self.components],
            "pinned": False,
            "flags": self.flags,
        }
        if guild is not None:
            data["guild_id"] = str(guild.id)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction is not None:
            ix = self.interaction
            meta: dict[str, Any] = {
                "id": str(ix.id),
                "type": ix.type,
                "user": ix.user.payload(),
                "authorizing_integration_owners": ix.integration_owners(),
            }
            if self.kind == "followup" and ix.original is not None:
                meta["original_response_message_id"] = str(ix.original.id)
            data["interaction_metadata"] = meta
            if ix.type == 2:
                data["interaction"] = {
                    "id": str(ix.id),
                    "type": ix.type,
                    "name": ix.command_name or "",
                    "user": ix.user.payload(),
                }
        if self.message_reference is not None:
            data["message_reference"] = dict(self.message_reference)
            if include_reference:
                data["referenced_message"] = (
                    self.referenced.payload(include_reference=False)
                    if self.referenced is not None and not self.referenced.deleted
                    else None
                )
        return data

    def __repr__(self) -> str:
        text = self.text().replace("\n", " ")
        short = text[:60] + ("…" if len(text) > 60 else "")
        eph = " ephemeral" if self.ephemeral else ""
        return f"<FakeMessage {self.id} {self.kind}{eph} by {self.author.username}: {short!r}>"
