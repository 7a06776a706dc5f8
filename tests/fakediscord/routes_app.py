"""REST routes of the application: identity, the gateway address, application commands."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from . import limits
from .api import (
    ApiError,
    Routes,
    json_response,
    no_content,
    read_payload,
    read_recorded,
    refuse,
)


class ApplicationRoutes(Routes):
    """Part of :class:`~tests.fakediscord.rest.RestApi`: the application and its commands."""

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
        payload, _ = await read_recorded(request)
        if not isinstance(payload, list):
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]},
            )
        refuse(limits.check_commands(payload))
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
        payload, _ = await read_recorded(request)
        refuse(limits.check_commands([payload]))
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
        refuse(limits.check_commands([merged]))
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
