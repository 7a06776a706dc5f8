"""REST routes of channels, messages, reactions, DMs and guilds."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from . import api
from .api import ApiError, Routes, invalid_field, json_response, no_content
from .models import ATTACH_FILES, DM, SEND_MESSAGES, VIEW_CHANNEL, FakeChannel, FakeMessage


class ChannelRoutes(Routes):
    """Part of :class:`~tests.fakediscord.rest.RestApi`: channels, messages and guilds."""

    def _channel(self, request: web.Request) -> FakeChannel:
        channel = self.fake.channels.get(int(request.match_info["channel_id"]))
        if channel is None or channel.deleted:
            raise ApiError(404, 10003, "Unknown Channel")
        if channel.guild is not None and self.fake.bot_user.id not in channel.guild.members:
            raise ApiError(403, 50001, "Missing Access")
        return channel

    def _bot_perms(self, channel: FakeChannel) -> int:
        if channel.guild is None:
            return VIEW_CHANNEL | SEND_MESSAGES | ATTACH_FILES | (1 << 14) | (1 << 16)
        member = channel.guild.members[self.fake.bot_user.id]
        return member.permissions_in(channel)

    def _message(self, request: web.Request) -> FakeMessage:
        """The message of a ``/channels/{channel_id}/messages/{message_id}`` route."""
        channel = self._channel(request)
        message_id = request.match_info["message_id"]
        msg = self.fake.messages_by_id.get(int(message_id)) if message_id.isdigit() else None
        if msg is None or msg.deleted or msg.channel is not channel or msg.ephemeral:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        return json_response(channel.payload())

    async def list_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        if not self._bot_perms(channel) & (1 << 16):
            raise ApiError(403, 50013, "Missing Permissions")
        limit = min(int(request.query.get("limit", 50)), 100)
        msgs = [
            m
            for m in self.fake.messages
            if m.channel is channel and not m.deleted and not m.ephemeral
        ]
        before = request.query.get("before")
        after = request.query.get("after")
        if before:
            msgs = [m for m in msgs if m.id < int(before)]
        if after:
            msgs = [m for m in msgs if m.id > int(after)]
            msgs = msgs[:limit]
        else:
            msgs = msgs[-limit:]
        return json_response([m.payload() for m in reversed(msgs)])

    async def create_message(self, request: web.Request) -> web.Response:
        fake = self.fake
        channel = self._channel(request)
        payload, files = await api.read_recorded(request)
        payload = payload or {}
        if channel.type == DM:
            assert channel.recipient is not None
            if not fake.can_dm(channel.recipient):
                fake.blocked_dm_attempts += 1
                raise ApiError(403, 50007, "Cannot send messages to this user")
        if channel.send_error is not None:
            status, code, message = channel.send_error
            raise ApiError(status, code, message)
        perms = self._bot_perms(channel)
        if not perms & VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if not perms & SEND_MESSAGES or (files and not perms & ATTACH_FILES):
            raise ApiError(403, 50013, "Missing Permissions")
        api.check_message(payload, files)
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            prior = fake._nonces.get((channel.id, str(nonce)))
            if prior is not None and time.monotonic() - prior[0] < 300:
                fake.nonce_dedupes += 1
                return json_response(prior[1].payload())
        referenced = None
        ref = payload.get("message_reference")
        if ref:
            target_channel = fake.channels.get(int(ref.get("channel_id") or channel.id))
            target_id = ref.get("message_id")
            target = fake.messages_by_id.get(int(target_id)) if target_id is not None else None
            if (
                target is None
                or target.deleted
                or target.ephemeral
                or target_channel is None
                or target.channel is not target_channel
            ):
                if ref.get("fail_if_not_exists", True):
                    raise invalid_field(
                        "message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                    )
            else:
                referenced = target
        msg = fake._new_message(
            channel=channel,
            payload=payload,
            files=files,
            kind="channel",
            referenced=referenced,
        )
        if nonce is not None:
            fake._nonces[(channel.id, str(nonce))] = (time.monotonic(), msg)
        return json_response(msg.payload())

    async def get_message(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        return json_response(msg.payload())

    async def edit_message(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        if msg.author is not self.fake.bot_user:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        return await self.patch_message(request, msg)

    async def delete_message(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        if msg.author is not self.fake.bot_user and not self._bot_perms(msg.channel) & (1 << 13):
            raise ApiError(403, 50013, "Missing Permissions")
        self.fake._delete_message(msg)
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self.fake.typing.append(channel.id)
        return no_content()

    async def add_reaction(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        self.fake.reactions.append((msg.id, request.match_info["emoji"]))
        return no_content()

    async def remove_reaction(self, request: web.Request) -> web.Response:
        msg = self._message(request)
        key = (msg.id, request.match_info["emoji"])
        if key in self.fake.reactions:
            self.fake.reactions.remove(key)
        return no_content()

    async def create_dm(self, request: web.Request) -> web.Response:
        payload, _ = await api.read_recorded(request)
        try:
            user = self.fake.users[int((payload or {})["recipient_id"])]
        except (KeyError, ValueError, TypeError) as exc:
            raise invalid_field("recipient_id", "BASE_TYPE_REQUIRED", "Unknown user") from exc
        return json_response(self.fake.dm_channel(user).payload())

    # -- guilds --------------------------------------------------------------------------------------

    def _guild(self, request: web.Request) -> Any:
        guild = self.fake.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise ApiError(404, 10004, "Unknown Guild")
        if self.fake.bot_user.id not in guild.members:
            raise ApiError(403, 50001, "Missing Access")
        return guild

    async def get_guild(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        data = guild.payload()
        for key in (
            "members",
            "channels",
            "threads",
            "presences",
            "voice_states",
            "member_count",
            "joined_at",
            "large",
        ):
            data.pop(key, None)
        data["approximate_member_count"] = len(guild.members)
        return json_response(data)

    async def get_guild_channels(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([c.payload() for c in guild.channels.values() if not c.deleted])

    async def get_guild_roles(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        return json_response([r.payload() for r in guild.roles.values()])

    async def list_members(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        limit = min(int(request.query.get("limit", 1)), 1000)
        after = int(request.query.get("after", 0))
        members = sorted(
            (m for m in guild.members.values() if m.user.id > after), key=lambda m: m.user.id
        )
        return json_response([m.payload() for m in members[:limit]])

    async def get_member(self, request: web.Request) -> web.Response:
        guild = self._guild(request)
        member = guild.members.get(int(request.match_info["user_id"]))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return json_response(member.payload())
