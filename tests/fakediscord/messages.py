"""Messages: the bot's (created, edited and deleted through REST), the users' (posted by a test),
their MESSAGE_* events with Discord's intent and MESSAGE_CONTENT rules, and queries for tests."""

# The test-facing API takes explicit timeouts on purpose (``await ix.response(timeout=3)``).
# ruff: noqa: ASYNC109

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from .api import (
    SETTABLE_FLAGS,
    RecordedRequest,
    UploadedFile,
    apply_edit,
    guess_type,
    json_response,
)
from .gateway import INTENT_DIRECT_MESSAGES, INTENT_GUILD_MESSAGES, INTENT_MESSAGE_CONTENT
from .interactions import FakeInteraction
from .models import (
    DM,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    VIEW_CHANNEL,
    FakeAttachment,
    FakeChannel,
    FakeMessage,
    FakeUser,
)
from .pings import USER_MENTION


class Messages:
    """Part of :class:`~tests.fakediscord.server.FakeDiscord`: every message and its events."""

    def _attachment(
        self, channel: FakeChannel, upload: UploadedFile, meta: dict[str, Any]
    ) -> FakeAttachment:
        aid = self.ids.next()
        filename = str(meta.get("filename") or upload.filename)
        return FakeAttachment(
            id=aid,
            filename=filename,
            data=upload.data,
            content_type=guess_type(filename, upload.content_type),
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
        flags = int(payload.get("flags") or 0) & SETTABLE_FLAGS
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
        for uid in dict.fromkeys(int(x) for x in USER_MENTION.findall(content)):
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
