"""REST routes of interactions: the initial callback and the webhook (follow-up) routes."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from . import api, limits
from .api import ApiError, Routes, UploadedFile, invalid_field, json_response, no_content, refuse
from .interactions import (
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MODAL,
    MODAL_SUBMIT,
    PONG,
    UPDATE_MESSAGE,
    FakeInteraction,
    InteractionResponse,
)
from .models import FLAG_EPHEMERAL, FLAG_LOADING, FakeMessage


class InteractionRoutes(Routes):
    """Part of :class:`~tests.fakediscord.rest.RestApi`: interaction callbacks and webhooks."""

    def _interaction_for_callback(self, request: web.Request) -> FakeInteraction:
        ix = self.fake.interactions_by_id.get(int(request.match_info["interaction_id"]))
        if ix is None or ix.token != request.match_info["interaction_token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        return ix

    async def interaction_callback(self, request: web.Request) -> web.Response:
        fake = self.fake
        ix = self._interaction_for_callback(request)
        payload, files = await api.read_recorded(request)
        latency = time.monotonic() - ix.dispatched_at
        try:
            if not isinstance(payload, dict) or "type" not in payload:
                raise invalid_field("type", "BASE_TYPE_REQUIRED", "This field is required")
            if ix.responses:
                raise ApiError(400, 40060, "Interaction has already been acknowledged.")
            if latency > fake.interaction_deadline:
                raise ApiError(404, 10062, "Unknown interaction")
            response = self._apply_callback(
                ix, int(payload["type"]), payload.get("data") or {}, files, latency
            )
        except ApiError as err:
            ix.rejected.append((err.status, err.code, err.body()))
            raise
        ix.responses.append(response)
        fake._touch()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return no_content()
        msg = response.message
        body: dict[str, Any] = {
            "interaction": {
                "id": str(ix.id),
                "type": ix.type,
                "activity_instance_id": None,
                "response_message_id": str(msg.id) if msg is not None else None,
                "response_message_loading": bool(msg is not None and msg.loading),
                "response_message_ephemeral": bool(msg is not None and msg.ephemeral),
            }
        }
        if (
            response.type in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, UPDATE_MESSAGE)
            and msg is not None
        ):
            body["resource"] = {"type": response.type, "message": msg.payload()}
        return json_response(body)

    def _apply_callback(
        self,
        ix: FakeInteraction,
        cb_type: int,
        data: dict[str, Any],
        files: list[UploadedFile],
        latency: float,
    ) -> InteractionResponse:
        fake = self.fake
        bad_type = invalid_field(
            "type",
            "INTERACTION_RESPONSE_TYPE_INVALID",
            f"Callback type {cb_type} is not valid for interaction type {ix.type}",
        )
        if ix.type == AUTOCOMPLETE and cb_type != AUTOCOMPLETE_RESULT:
            raise bad_type
        if cb_type == AUTOCOMPLETE_RESULT and ix.type != AUTOCOMPLETE:
            raise bad_type
        if cb_type in (DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE) and ix.message is None:
            raise bad_type
        if cb_type == MODAL and ix.type in (MODAL_SUBMIT, AUTOCOMPLETE):
            raise bad_type
        if cb_type == PONG:
            raise bad_type
        response = InteractionResponse(type=cb_type, data=data, latency=latency)
        if cb_type == CHANNEL_MESSAGE:
            api.check_message(data, files, under="data")
            self._check_can_reply(ix)
            msg = self._reply(ix, data, files, "response")
            ix.original = msg
            response.message = msg
        elif cb_type == DEFERRED_CHANNEL_MESSAGE:
            self._check_can_reply(ix)
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            msg = self._reply(ix, {"content": "", "flags": flags}, [], "response", loading=True)
            ix.original = msg
            response.message = msg
        elif cb_type == DEFERRED_UPDATE_MESSAGE:
            ix.original = ix.message
            response.message = ix.message
        elif cb_type == UPDATE_MESSAGE:
            assert ix.message is not None
            api.check_message(data, files, edit=True, under="data")
            fake._edit_message(ix.message, data, files)
            ix.original = ix.message
            response.message = ix.message
        elif cb_type == AUTOCOMPLETE_RESULT:
            refuse(limits.check_choices(data.get("choices")))
        elif cb_type == MODAL:
            refuse(limits.check_modal(data))
        else:
            raise bad_type
        if files and response.message is None:
            response.files = [fake._attachment(ix.channel, f, {}) for f in files]
        return response

    def _reply(
        self,
        ix: FakeInteraction,
        payload: dict[str, Any],
        files: list[UploadedFile],
        kind: str,
        *,
        loading: bool = False,
    ) -> FakeMessage:
        """A response or follow-up message of ``ix``, ephemeral when its flags say so."""
        return self.fake._new_message(
            channel=ix.channel,
            payload=payload,
            files=files,
            kind=kind,
            interaction=ix,
            ephemeral=bool(int(payload.get("flags") or 0) & FLAG_EPHEMERAL),
            loading=loading,
        )

    def _check_can_reply(self, ix: FakeInteraction) -> None:
        """Interaction responses need no channel permission; only a deleted channel fails."""
        if ix.channel.deleted:
            raise ApiError(404, 10003, "Unknown Channel")

    def _interaction_for_webhook(self, request: web.Request) -> FakeInteraction:
        fake = self.fake
        if int(request.match_info["webhook_id"]) != fake.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        ix = fake.interactions_by_token.get(request.match_info["webhook_token"])
        if ix is None:
            raise ApiError(404, 10015, "Unknown Webhook")
        if time.monotonic() - ix.dispatched_at > fake.followup_ttl:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        if not ix.responses:
            raise ApiError(404, 10015, "Unknown Webhook")
        return ix

    def _webhook_message(self, ix: FakeInteraction, message_id: str) -> FakeMessage:
        if message_id == "@original":
            if ix.original is None or ix.deleted_original:
                raise ApiError(404, 10008, "Unknown Message")
            return ix.original
        for msg in ix.messages:
            if str(msg.id) == message_id and not msg.deleted:
                return msg
        raise ApiError(404, 10008, "Unknown Message")

    async def execute_webhook(self, request: web.Request) -> web.Response:
        fake = self.fake
        ix = self._interaction_for_webhook(request)
        payload, files = await api.read_message(request)
        original = ix.original
        if (
            original is not None
            and original.loading
            and not ix.followups
            and original is not ix.message
        ):
            # Discord: the first follow-up after a "thinking" defer replaces the loading message
            fake._edit_message(original, payload, files)
            msg = original
        else:
            if ix.channel.deleted:
                raise ApiError(404, 10003, "Unknown Channel")
            msg = self._reply(ix, payload, files, "followup")
        ix.followups.append(msg)
        fake._touch()
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(msg.payload())
        return no_content()

    async def get_webhook_message(self, request: web.Request) -> web.Response:
        ix = self._interaction_for_webhook(request)
        msg = self._webhook_message(ix, request.match_info["message_id"])
        return json_response(msg.payload())

    async def edit_webhook_message(self, request: web.Request) -> web.Response:
        ix = self._interaction_for_webhook(request)
        msg = self._webhook_message(ix, request.match_info["message_id"])
        return await self.patch_message(request, msg)

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        ix = self._interaction_for_webhook(request)
        msg = self._webhook_message(ix, request.match_info["message_id"])
        self.fake._delete_message(msg)
        if msg is ix.original:
            ix.deleted_original = True
        return no_content()
