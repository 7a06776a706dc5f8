"""What a test does as a user that makes an interaction: slash commands, autocomplete, button
clicks, select menus and modal submits, each sent to the bot as INTERACTION_CREATE."""

# The test-facing API takes explicit timeouts on purpose (``await ix.response(timeout=3)``).
# ruff: noqa: ASYNC109

from __future__ import annotations

import time
from typing import Any

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
    ATTACH_FILES,
    EMBED_LINKS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeChannel,
    FakeMessage,
    FakeUser,
)

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class UserActions:
    """Part of :class:`~tests.fakediscord.server.FakeDiscord`: acting as users on interactions."""

    def _channel_payload(self, channel: FakeChannel, user: FakeUser) -> dict[str, Any]:
        data = channel.payload()
        if channel.guild is not None:
            data["permissions"] = str(self._member(channel.guild, user).permissions_in(channel))
        return data

    def _new_interaction(
        self,
        itype: int,
        user: FakeUser,
        channel: FakeChannel,
        data: dict[str, Any],
        *,
        command_name: str | None = None,
        message: FakeMessage | None = None,
        locale: str | None = None,
    ) -> FakeInteraction:
        """Dispatch INTERACTION_CREATE as Discord builds it for ``user`` in ``channel``."""
        if channel.deleted:
            raise ValueError(f"{channel!r} was deleted")
        ix = FakeInteraction(self, itype, user, channel, data, command_name, message)
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
        return self._command_interaction(
            APPLICATION_COMMAND, user, name, dict(options or {}), channel, locale, validate=validate
        )

    def _command_interaction(
        self,
        itype: int,
        user: FakeUser,
        name: str,
        options: dict[str, Any],
        channel: FakeChannel | None,
        locale: str | None,
        *,
        focused: str | None = None,
        validate: bool = True,
    ) -> FakeInteraction:
        channel = channel or self._default_channel(user)
        data = self._command_data(user, name, options, channel, focused=focused, validate=validate)
        return self._new_interaction(itype, user, channel, data, command_name=name, locale=locale)

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
        """``user`` types ``options[focused]`` of ``/name``: the autocomplete interaction."""
        return self._command_interaction(
            AUTOCOMPLETE, user, name, dict(options), channel, locale, focused=focused
        )

    async def autocomplete(
        self, *args: Any, timeout: float = 3.0, **kwargs: Any
    ) -> list[dict[str, Any]]:
        """What the user sees while typing: the bot's choices for
        ``autocomplete_interaction(*args, **kwargs)``, e.g.
        ``await fake.autocomplete(alice, "guide", {"topic": "cad"}, focused="topic")``."""
        ix = await self.autocomplete_interaction(*args, **kwargs)
        return (await ix.response(timeout=timeout)).choices

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
            MESSAGE_COMPONENT, user, message.channel, data, message=message
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
            MESSAGE_COMPONENT, user, message.channel, data, message=message
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
            MODAL_SUBMIT, user, source_ix.channel, data, message=source_ix.message
        )
