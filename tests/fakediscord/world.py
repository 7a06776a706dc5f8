"""The fake's world as a test builds it: users, guilds, roles, channels, members, DMs, failures."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .api import FailureRule
from .gateway import INTENT_GUILD_MEMBERS
from .models import (
    ATTACH_FILES,
    DEFAULT_EVERYONE_PERMISSIONS,
    DM,
    EMBED_LINKS,
    GUILD_TEXT,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    VIEW_CHANNEL,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
)

#: The bot's own role in each guild: what `walkwell invite` should ask for, no more.
DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | SEND_MESSAGES_IN_THREADS
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
)


class World:
    """Part of :class:`~tests.fakediscord.server.FakeDiscord`: building and changing the world."""

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

    def remove_bot_from(self, guild: FakeGuild) -> None:
        """The bot is kicked from the guild: GUILD_DELETE (without ``unavailable``), then it is no
        longer a member (its requests there fail as for any non-member)."""
        session = self.gateway.session_for(guild.id)
        if session is not None and self.bot_user.id in guild.members:
            self.gateway.dispatch("GUILD_DELETE", {"id": str(guild.id)}, guild_id=guild.id)
        guild.members.pop(self.bot_user.id, None)

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
            method.upper(), template, status, count, code, message, retry_after, is_global, via
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
