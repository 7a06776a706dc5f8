"""The REST API under ``/api/v10``: what discord.py calls, answered the way Discord answers.

Responses are built by hand with ``Content-Type: application/json`` exactly (discord.py parses a
body as JSON only then). Errors use Discord's ``{"code", "message"[, "errors"]}`` bodies.
"""

from __future__ import annotations

import json
import math
import mimetypes
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import limits
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
from .models import (
    ATTACH_FILES,
    DM,
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    FLAG_SUPPRESS_EMBEDS,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeAttachment,
    FakeChannel,
    FakeMessage,
    now,
)

if TYPE_CHECKING:
    from .server import FakeDiscord

API_PREFIX = "/api/v10"
JSON = "application/json"

# Flags a sender may set on a new message.
_SETTABLE_FLAGS = FLAG_SUPPRESS_EMBEDS | FLAG_EPHEMERAL | (1 << 12) | (1 << 15)


class ApiError(Exception):
    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            data["errors"] = self.errors
        return data


def invalid_form(violations: list[limits.Violation]) -> ApiError:
    return ApiError(400, 50035, "Invalid Form Body", limits.errors_payload(violations))


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    resp = web.Response(body=body, status=status)
    resp.headers["Content-Type"] = JSON
    if headers:
        resp.headers.update(headers)
    return resp


def no_content() -> web.Response:
    return web.Response(status=204)


@dataclass
class UploadedFile:
    index: int
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class RecordedRequest:
    method: str
    path: str
    template: str | None
    query: dict[str, str]
    authorized: bool
    at: float
    status: int = 0
    body: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    error: dict[str, Any] | None = None
    #: the X-RateLimit-Remaining header sent back (None: no bucket headers)
    ratelimit_remaining: int | None = None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


RECORD: web.RequestKey[RecordedRequest] = web.RequestKey("record", RecordedRequest)


@dataclass
class FailureRule:
    """An injected failure: the next ``count`` matching requests get this answer."""

    method: str
    template: str
    status: int
    count: int
    code: int = 0
    message: str = ""
    retry_after: float = 0.05
    is_global: bool = False
    via: bool = True
    hits: int = 0


async def read_payload(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """JSON body, or multipart/form-data with ``payload_json`` and ``files[n]``."""
    ctype = request.headers.get("Content-Type", "")
    if ctype.startswith("multipart/form-data"):
        payload: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            name = getattr(part, "name", None) or ""
            raw = await part.read()  # type: ignore[union-attr]
            if name == "payload_json":
                payload = json.loads(bytes(raw).decode())
            elif name.startswith("files[") and name.endswith("]"):
                index = int(name[6:-1])
                files.append(
                    UploadedFile(
                        index=index,
                        filename=getattr(part, "filename", None) or f"file{index}",
                        data=bytes(raw),
                        content_type=part.headers.get("Content-Type"),  # type: ignore[union-attr]
                    )
                )
            elif name.startswith("file"):
                files.append(
                    UploadedFile(
                        index=len(files),
                        filename=getattr(part, "filename", None) or name,
                        data=bytes(raw),
                        content_type=part.headers.get("Content-Type"),  # type: ignore[union-attr]
                    )
                )
        return payload if payload is not None else {}, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw.decode()), []
    except ValueError as exc:
        raise ApiError(400, 50109, "The request body contains invalid JSON.") from exc


def _guess_type(filename: str, given: str | None) -> str | None:
    guessed, _ = mimetypes.guess_type(filename)
    if guessed:
        return guessed
    if given and given != "application/octet-stream":
        return given
    return given


class RestApi:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.failures: list[FailureRule] = []

    # -- wiring ----------------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Any]]:
        r = [
            ("GET", "/users/@me", self.get_me),
            ("PATCH", "/users/@me", self.patch_me),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
            ("GET", "/applications/{application_id}/commands", self.list_commands),
            ("PUT", "/applications/{application_id}/commands", self.put_commands),
            ("POST", "/applications/{application_id}/commands", self.upsert_command),
            ("GET", "/applications/{application_id}/commands/{command_id}", self.get_command),
            ("PATCH", "/applications/{application_id}/commands/{command_id}", self.edit_command),
            ("DELETE", "/applications/{application_id}/commands/{command_id}", self.delete_command),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self.list_commands,
            ),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self.put_commands),
            (
                "POST",
                "/applications/{application_id}/guilds/{guild_id}/commands",
                self.upsert_command,
            ),
            (
                "GET",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self.get_command,
            ),
            (
                "PATCH",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self.edit_command,
            ),
            (
                "DELETE",
                "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
                self.delete_command,
            ),
            (
                "POST",
                "/interactions/{interaction_id}/{interaction_token}/callback",
                self.interaction_callback,
            ),
            ("POST", "/webhooks/{webhook_id}/{webhook_token}", self.execute_webhook),
            (
                "GET",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self.get_webhook_message,
            ),
            (
                "PATCH",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self.edit_webhook_message,
            ),
            (
                "DELETE",
                "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
                self.delete_webhook_message,
            ),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("GET", "/channels/{channel_id}/messages", self.list_messages),
            ("POST", "/channels/{channel_id}/messages", self.create_message),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            (
                "PUT",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self.add_reaction,
            ),
            (
                "DELETE",
                "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
                self.remove_reaction,
            ),
            ("GET", "/guilds/{guild_id}", self.get_guild),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels),
            ("GET", "/guilds/{guild_id}/roles", self.get_guild_roles),
            ("GET", "/guilds/{guild_id}/members", self.list_members),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member),
        ]
        return [(m, API_PREFIX + p, h) for m, p, h in r]

    @staticmethod
    def _template(request: web.Request) -> str | None:
        resource = request.match_info.route.resource
        if resource is None:
            return None
        canonical = resource.canonical
        if canonical.startswith(API_PREFIX):
            return canonical[len(API_PREFIX) :]
        return canonical

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        fake = self.fake
        if not request.path.startswith("/api/"):
            return await handler(request)  # type: ignore[no-any-return]
        template = self._template(request)
        authorized = request.headers.get("Authorization") == f"Bot {fake.token}"
        rec = RecordedRequest(
            method=request.method,
            path=request.path,
            template=template,
            query=dict(request.query),
            authorized=authorized,
            at=time.monotonic(),
        )
        request[RECORD] = rec
        fake.requests.append(rec)
        try:
            resp = await self._dispatch(request, handler, rec, template, authorized)
        except ApiError as err:
            resp = json_response(err.body(), status=err.status)
            rec.error = err.body()
            if err.status == 400 and err.code == 50035:
                fake.rejected.append(rec)
        except Exception:  # a bug in the fake: record it loudly, answer 500
            fake.server_errors.append(f"{request.method} {request.path}\n{traceback.format_exc()}")
            resp = json_response({"message": "500: Internal Server Error", "code": 0}, status=500)
        rec.status = resp.status
        remaining = resp.headers.get("X-RateLimit-Remaining")
        rec.ratelimit_remaining = int(remaining) if remaining is not None else None
        fake._touch()
        return resp

    async def _dispatch(
        self,
        request: web.Request,
        handler: Any,
        rec: RecordedRequest,
        template: str | None,
        authorized: bool,
    ) -> web.StreamResponse:
        fake = self.fake
        exc = request.match_info.http_exception
        if exc is not None:
            fake.unknown_routes.append(f"{request.method} {request.path}")
            status = exc.status
            message = "404: Not Found" if status == 404 else f"{status}: {exc.reason}"
            return json_response({"message": message, "code": 0}, status=status)
        assert template is not None
        token_route = template.startswith("/interactions/") or template.startswith(
            "/webhooks/{webhook_id}/{webhook_token}"
        )
        if not token_route and not authorized:
            raise ApiError(401, 0, "401: Unauthorized")

        rule = self._match_failure(request.method, template)
        decision = fake.ratelimiter.check(
            request.method, template, dict(request.match_info), global_exempt=token_route
        )
        if rule is not None and rule.status == 429:
            return self._too_many(
                rule.retry_after,
                rule.is_global,
                "global" if rule.is_global else "user",
                {},
                rule.via,
            )
        if decision.limited is not None:
            retry, is_global, scope = decision.limited
            return self._too_many(retry, is_global, scope, decision.headers, True)
        if rule is not None:
            raise ApiError(rule.status, rule.code, rule.message or f"{rule.status}: injected")
        resp: web.StreamResponse = await handler(request)
        for key, value in decision.headers.items():
            resp.headers[key] = value
        return resp

    def _too_many(
        self, retry: float, is_global: bool, scope: str, headers: dict[str, str], via: bool
    ) -> web.Response:
        fake = self.fake
        fake.sent_429.append((scope, retry))
        out = dict(headers)
        out["Retry-After"] = str(max(1, math.ceil(retry)))
        out["X-RateLimit-Scope"] = scope
        if is_global:
            out["X-RateLimit-Global"] = "true"
        if via:
            out["Via"] = "1.1 google"
        body = {
            "message": "You are being rate limited.",
            "retry_after": round(retry, 3),
            "global": is_global,
        }
        if not is_global:
            body["code"] = 0
        return json_response(body, status=429, headers=out)

    def _match_failure(self, method: str, template: str) -> FailureRule | None:
        for rule in self.failures:
            if rule.count <= 0:
                continue
            if rule.method in ("*", method) and rule.template in ("*", template):
                rule.count -= 1
                rule.hits += 1
                return rule
        return None

    # -- identity --------------------------------------------------------------------------------

    async def get_me(self, request: web.Request) -> web.Response:
        me = self.fake.bot_user.payload()
        me.update(
            {"verified": True, "mfa_enabled": False, "flags": 0, "email": None, "locale": "en-US"}
        )
        return json_response(me)

    async def patch_me(self, request: web.Request) -> web.Response:
        return await self.get_me(request)

    async def get_user(self, request: web.Request) -> web.Response:
        user = self.fake.users.get(int(request.match_info["user_id"]))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return json_response(user.payload())

    async def get_application(self, request: web.Request) -> web.Response:
        return json_response(self.fake.application_payload())

    async def get_gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.fake.gateway_url})

    async def get_gateway_bot(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.fake.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    # -- application commands ----------------------------------------------------------------------

    def _check_app(self, request: web.Request) -> None:
        if int(request.match_info["application_id"]) != self.fake.application_id:
            raise ApiError(403, 50001, "Missing Access")

    def _scope(self, request: web.Request) -> int | None:
        gid = request.match_info.get("guild_id")
        if gid is None:
            return None
        guild_id = int(gid)
        if guild_id not in self.fake.guilds:
            raise ApiError(404, 10004, "Unknown Guild")
        if self.fake.bot_user.id not in self.fake.guilds[guild_id].members:
            raise ApiError(403, 50001, "Missing Access")
        return guild_id

    def _stored(
        self, raw: dict[str, Any], guild_id: int | None, old: dict[str, Any] | None
    ) -> dict[str, Any]:
        fake = self.fake
        cmd = dict(raw)
        cmd["id"] = old["id"] if old is not None else str(fake.ids.next())
        cmd["application_id"] = str(fake.application_id)
        cmd["version"] = str(fake.ids.next())
        cmd.setdefault("type", 1)
        cmd.setdefault("description", "" if cmd["type"] != 1 else cmd.get("description"))
        cmd.setdefault("options", [])
        cmd.setdefault("default_member_permissions", None)
        cmd.setdefault("nsfw", False)
        if guild_id is not None:
            cmd["guild_id"] = str(guild_id)
        else:
            cmd.setdefault("dm_permission", True)
            cmd.setdefault("contexts", None)
            cmd.setdefault("integration_types", [0])
        return cmd

    async def list_commands(self, request: web.Request) -> web.Response:
        self._check_app(request)
        scope = self._scope(request)
        return json_response(self.fake.registered_commands(scope))

    async def put_commands(self, request: web.Request) -> web.Response:
        self._check_app(request)
        scope = self._scope(request)
        payload, _ = await read_payload(request)
        request[RECORD].body = payload
        if not isinstance(payload, list):
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]},
            )
        violations = limits.check_commands(payload)
        if violations:
            raise invalid_form(violations)
        old = {(int(c.get("type", 1)), c["name"]): c for c in self.fake.registered_commands(scope)}
        stored = [
            self._stored(c, scope, old.get((int(c.get("type", 1)), c["name"]))) for c in payload
        ]
        self.fake._set_commands(scope, stored)
        self.fake.sync_calls.append((scope, payload))
        return json_response(stored)

    async def upsert_command(self, request: web.Request) -> web.Response:
        self._check_app(request)
        scope = self._scope(request)
        payload, _ = await read_payload(request)
        request[RECORD].body = payload
        violations = limits.check_commands([payload])
        if violations:
            raise invalid_form(violations)
        existing = self.fake.registered_commands(scope)
        key = (int(payload.get("type", 1)), payload["name"])
        old = next((c for c in existing if (int(c.get("type", 1)), c["name"]) == key), None)
        cmd = self._stored(payload, scope, old)
        new_list = [c for c in existing if c is not old] + [cmd]
        self.fake._set_commands(scope, new_list)
        return json_response(cmd, status=200 if old is not None else 201)

    def _find_command(self, request: web.Request) -> tuple[int | None, dict[str, Any]]:
        self._check_app(request)
        scope = self._scope(request)
        cid = request.match_info["command_id"]
        for cmd in self.fake.registered_commands(scope):
            if cmd["id"] == cid:
                return scope, cmd
        raise ApiError(404, 10063, "Unknown application command")

    async def get_command(self, request: web.Request) -> web.Response:
        _, cmd = self._find_command(request)
        return json_response(cmd)

    async def edit_command(self, request: web.Request) -> web.Response:
        scope, cmd = self._find_command(request)
        payload, _ = await read_payload(request)
        merged = {**cmd, **(payload or {})}
        violations = limits.check_commands([merged])
        if violations:
            raise invalid_form(violations)
        new = self._stored(merged, scope, cmd)
        self.fake._set_commands(
            scope, [new if c is cmd else c for c in self.fake.registered_commands(scope)]
        )
        return json_response(new)

    async def delete_command(self, request: web.Request) -> web.Response:
        scope, cmd = self._find_command(request)
        self.fake._set_commands(
            scope, [c for c in self.fake.registered_commands(scope) if c is not cmd]
        )
        return no_content()

    # -- interactions ------------------------------------------------------------------------------

    def _interaction_for_callback(self, request: web.Request) -> FakeInteraction:
        ix = self.fake.interactions_by_id.get(int(request.match_info["interaction_id"]))
        if ix is None or ix.token != request.match_info["interaction_token"]:
            raise ApiError(404, 10062, "Unknown interaction")
        return ix

    async def interaction_callback(self, request: web.Request) -> web.Response:
        fake = self.fake
        ix = self._interaction_for_callback(request)
        payload, files = await read_payload(request)
        rec: RecordedRequest = request[RECORD]
        rec.body, rec.files = payload, files
        latency = time.monotonic() - ix.dispatched_at
        try:
            if not isinstance(payload, dict) or "type" not in payload:
                raise invalid_form(
                    [limits.Violation("type", "BASE_TYPE_REQUIRED", "This field is required")]
                )
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
        bad_type = ApiError(
            400,
            50035,
            "Invalid Form Body",
            limits.errors_payload(
                [
                    limits.Violation(
                        "type",
                        "INTERACTION_RESPONSE_TYPE_INVALID",
                        f"Callback type {cb_type} is not valid for interaction type {ix.type}",
                    )
                ]
            ),
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
            violations = limits.check_message(data, has_files=bool(files))
            if violations:
                raise invalid_form(
                    [
                        limits.Violation(f"data.{v.path}" if v.path else "data", v.code, v.message)
                        for v in violations
                    ]
                )
            self._check_can_reply(ix)
            msg = fake._new_message(
                channel=ix.channel,
                payload=data,
                files=files,
                kind="response",
                interaction=ix,
                ephemeral=bool(int(data.get("flags") or 0) & FLAG_EPHEMERAL),
            )
            ix.original = msg
            response.message = msg
        elif cb_type == DEFERRED_CHANNEL_MESSAGE:
            self._check_can_reply(ix)
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            msg = fake._new_message(
                channel=ix.channel,
                payload={"content": "", "flags": flags},
                files=[],
                kind="response",
                interaction=ix,
                ephemeral=bool(flags & FLAG_EPHEMERAL),
                loading=True,
            )
            ix.original = msg
            response.message = msg
        elif cb_type == DEFERRED_UPDATE_MESSAGE:
            ix.original = ix.message
            response.message = ix.message
        elif cb_type == UPDATE_MESSAGE:
            assert ix.message is not None
            violations = limits.check_message(data, has_files=bool(files), edit=True)
            if violations:
                raise invalid_form(
                    [
                        limits.Violation(f"data.{v.path}" if v.path else "data", v.code, v.message)
                        for v in violations
                    ]
                )
            fake._edit_message(ix.message, data, files)
            ix.original = ix.message
            response.message = ix.message
        elif cb_type == AUTOCOMPLETE_RESULT:
            violations = limits.check_choices(data.get("choices"))
            if violations:
                raise invalid_form(violations)
        elif cb_type == MODAL:
            violations = limits.check_modal(data)
            if violations:
                raise invalid_form(violations)
        else:
            raise bad_type
        if files and response.message is None:
            response.files = [fake._attachment(ix.channel, f, {}) for f in files]
        return response

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
        payload, files = await read_payload(request)
        rec: RecordedRequest = request[RECORD]
        rec.body, rec.files = payload, files
        payload = payload or {}
        violations = limits.check_message(payload, has_files=bool(files))
        if violations:
            raise invalid_form(violations)
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
            msg = fake._new_message(
                channel=ix.channel,
                payload=payload,
                files=files,
                kind="followup",
                interaction=ix,
                ephemeral=bool(int(payload.get("flags") or 0) & FLAG_EPHEMERAL),
            )
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
        payload, files = await read_payload(request)
        rec: RecordedRequest = request[RECORD]
        rec.body, rec.files = payload, files
        payload = payload or {}
        violations = limits.check_message(payload, has_files=bool(files), edit=True)
        if violations:
            raise invalid_form(violations)
        self.fake._edit_message(msg, payload, files)
        return json_response(msg.payload())

    async def delete_webhook_message(self, request: web.Request) -> web.Response:
        ix = self._interaction_for_webhook(request)
        msg = self._webhook_message(ix, request.match_info["message_id"])
        self.fake._delete_message(msg)
        if msg is ix.original:
            ix.deleted_original = True
        return no_content()

    # -- channels and messages -----------------------------------------------------------------------

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

    def _message(self, channel: FakeChannel, message_id: str) -> FakeMessage:
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
        payload, files = await read_payload(request)
        rec: RecordedRequest = request[RECORD]
        rec.body, rec.files = payload, files
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
        violations = limits.check_message(payload, has_files=bool(files))
        if violations:
            raise invalid_form(violations)
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
                    raise invalid_form(
                        [
                            limits.Violation(
                                "message_reference",
                                "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                "Unknown message",
                            )
                        ]
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
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        return json_response(msg.payload())

    async def edit_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        if msg.author is not self.fake.bot_user:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        payload, files = await read_payload(request)
        rec: RecordedRequest = request[RECORD]
        rec.body, rec.files = payload, files
        payload = payload or {}
        violations = limits.check_message(payload, has_files=bool(files), edit=True)
        if violations:
            raise invalid_form(violations)
        self.fake._edit_message(msg, payload, files)
        return json_response(msg.payload())

    async def delete_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        if msg.author is not self.fake.bot_user and not self._bot_perms(channel) & (1 << 13):
            raise ApiError(403, 50013, "Missing Permissions")
        self.fake._delete_message(msg)
        return no_content()

    async def typing(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        self.fake.typing.append(channel.id)
        return no_content()

    async def add_reaction(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        self.fake.reactions.append((msg.id, request.match_info["emoji"]))
        return no_content()

    async def remove_reaction(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        msg = self._message(channel, request.match_info["message_id"])
        key = (msg.id, request.match_info["emoji"])
        if key in self.fake.reactions:
            self.fake.reactions.remove(key)
        return no_content()

    async def create_dm(self, request: web.Request) -> web.Response:
        payload, _ = await read_payload(request)
        request[RECORD].body = payload
        try:
            user = self.fake.users[int((payload or {})["recipient_id"])]
        except (KeyError, ValueError, TypeError) as exc:
            raise invalid_form(
                [limits.Violation("recipient_id", "BASE_TYPE_REQUIRED", "Unknown user")]
            ) from exc
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


def apply_edit(
    msg: FakeMessage,
    payload: dict[str, Any],
    attachments: list[FakeAttachment],
    new_files: dict[int, FakeAttachment],
) -> None:
    """Discord's PATCH semantics: fields present replace, absent stay; attachments by id."""
    if "content" in payload:
        msg.content = payload["content"] or ""
    if "embeds" in payload:
        msg.embeds = list(payload["embeds"] or [])
    if "components" in payload:
        msg.components = list(payload["components"] or [])
    if "allowed_mentions" in payload:
        msg.allowed_mentions = payload["allowed_mentions"]
    if "flags" in payload and payload["flags"] is not None:
        keep = msg.flags & ~FLAG_SUPPRESS_EMBEDS & ~FLAG_LOADING
        msg.flags = keep | (int(payload["flags"]) & (FLAG_SUPPRESS_EMBEDS | (1 << 15)))
    if "attachments" in payload and payload["attachments"] is not None:
        kept: list[FakeAttachment] = []
        existing = {a.id: a for a in msg.attachments}
        for entry in payload["attachments"]:
            aid = int(entry["id"])
            if aid in existing:
                kept.append(existing[aid])
            elif aid in new_files:
                kept.append(new_files[aid])
        msg.attachments = kept
    else:
        msg.attachments = msg.attachments + list(attachments)
    was_loading = msg.loading
    msg.flags &= ~FLAG_LOADING
    if not was_loading:
        msg.edited_timestamp = now()
    msg.history.append(dict(payload))


__all__ = [
    "API_PREFIX",
    "ApiError",
    "FailureRule",
    "RecordedRequest",
    "RestApi",
    "UploadedFile",
    "apply_edit",
    "json_response",
]
