"""The REST API under ``/api/v10``: what discord.py calls, answered the way Discord answers."""

from __future__ import annotations

import math
import time
import traceback
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .api import (
    API_PREFIX,
    RECORD,
    ApiError,
    FailureRule,
    RecordedRequest,
    json_response,
)
from .routes_app import ApplicationRoutes
from .routes_channels import ChannelRoutes
from .routes_interactions import InteractionRoutes

if TYPE_CHECKING:
    from .server import FakeDiscord

__all__ = ["ApiError", "FailureRule", "RecordedRequest", "RestApi"]


class RestApi(ApplicationRoutes, InteractionRoutes, ChannelRoutes):
    """The route table and the middleware every ``/api/`` request passes: records, auth, injected
    failures and rate limits; the handlers come from the ``routes_*`` modules."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.failures: list[FailureRule] = []

    # -- wiring ----------------------------------------------------------------------------------

    def routes(self) -> list[tuple[str, str, Any]]:
        """(method, path, handler) of every route, in the order aiohttp must try them."""
        app = "/applications/{application_id}"
        hook = "/webhooks/{webhook_id}/{webhook_token}"
        message = "/channels/{channel_id}/messages/{message_id}"
        r = [
            ("GET", "/users/@me", self.get_me),
            ("PATCH", "/users/@me", self.patch_me),
            ("POST", "/users/@me/channels", self.create_dm),
            ("GET", "/users/{user_id}", self.get_user),
            ("GET", "/oauth2/applications/@me", self.get_application),
            ("GET", "/applications/@me", self.get_application),
            ("GET", "/gateway", self.get_gateway),
            ("GET", "/gateway/bot", self.get_gateway_bot),
        ]
        for scope in (app, app + "/guilds/{guild_id}"):
            r += [
                ("GET", f"{scope}/commands", self.list_commands),
                ("PUT", f"{scope}/commands", self.put_commands),
                ("POST", f"{scope}/commands", self.upsert_command),
                ("GET", f"{scope}/commands/{{command_id}}", self.get_command),
                ("PATCH", f"{scope}/commands/{{command_id}}", self.edit_command),
                ("DELETE", f"{scope}/commands/{{command_id}}", self.delete_command),
            ]
        r += [
            (
                "POST",
                "/interactions/{interaction_id}/{interaction_token}/callback",
                self.interaction_callback,
            ),
            ("POST", hook, self.execute_webhook),
            ("GET", hook + "/messages/{message_id}", self.get_webhook_message),
            ("PATCH", hook + "/messages/{message_id}", self.edit_webhook_message),
            ("DELETE", hook + "/messages/{message_id}", self.delete_webhook_message),
            ("GET", "/channels/{channel_id}", self.get_channel),
            ("GET", "/channels/{channel_id}/messages", self.list_messages),
            ("POST", "/channels/{channel_id}/messages", self.create_message),
            ("GET", message, self.get_message),
            ("PATCH", message, self.edit_message),
            ("DELETE", message, self.delete_message),
            ("POST", "/channels/{channel_id}/typing", self.typing),
            ("PUT", message + "/reactions/{emoji}/@me", self.add_reaction),
            ("DELETE", message + "/reactions/{emoji}/@me", self.remove_reaction),
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
