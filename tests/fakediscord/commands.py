"""Application commands: the registered list, and the data of a command a user runs.

The data is typed and checked against the registered schema the way Discord's client does
(required options, choices, lengths and ranges, subcommands, contexts and default permissions).
"""

from __future__ import annotations

from typing import Any

from . import limits
from .api import guess_type
from .models import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
)

# Option types.
OPT_SUB_COMMAND = 1
OPT_SUB_COMMAND_GROUP = 2
OPT_STRING = 3
OPT_INTEGER = 4
OPT_BOOLEAN = 5
OPT_USER = 6
OPT_CHANNEL = 7
OPT_ROLE = 8
OPT_MENTIONABLE = 9
OPT_NUMBER = 10
OPT_ATTACHMENT = 11

#: Python types to option types, first match wins (a bool is an int, so it comes first).
_INFERRED: tuple[tuple[type | tuple[type, ...], int], ...] = (
    (bool, OPT_BOOLEAN),
    (int, OPT_INTEGER),
    (float, OPT_NUMBER),
    ((FakeUser, FakeMember), OPT_USER),
    (FakeRole, OPT_ROLE),
    (FakeChannel, OPT_CHANNEL),
    ((FakeAttachment, tuple), OPT_ATTACHMENT),
)


class Commands:
    """Part of :class:`~tests.fakediscord.server.FakeDiscord`: the application commands."""

    def registered_commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        if guild_id is None:
            return list(self.global_commands)
        return list(self.guild_commands.get(guild_id, []))

    def _set_commands(self, guild_id: int | None, commands: list[dict[str, Any]]) -> None:
        if guild_id is None:
            self.global_commands = commands
        else:
            self.guild_commands[guild_id] = commands

    def command(self, name: str, *, guild: FakeGuild | None = None) -> dict[str, Any] | None:
        """A registered chat-input command by name (global first, then the guild's)."""
        for cmd in self.global_commands:
            if cmd["name"] == name and int(cmd.get("type", 1)) == 1:
                return cmd
        if guild is not None:
            for cmd in self.guild_commands.get(guild.id, []):
                if cmd["name"] == name and int(cmd.get("type", 1)) == 1:
                    return cmd
        return None

    # -- messages (used by the REST layer) -----------------------------------------------------------

    def _check_invocable(self, cmd: dict[str, Any], user: FakeUser, channel: FakeChannel) -> None:
        context = 1 if channel.guild is None else 0
        contexts = cmd.get("contexts")
        if contexts is not None and context not in contexts:
            raise ValueError(
                f"Discord does not offer /{cmd['name']} in {'DMs' if context else 'guilds'} (contexts={contexts})"
            )
        if context == 1 and cmd.get("dm_permission") is False:
            raise ValueError(f"Discord does not offer /{cmd['name']} in DMs (dm_permission=false)")
        needed = cmd.get("default_member_permissions")
        if needed is not None and channel.guild is not None:
            perms = self._member(channel.guild, user).permissions_in(channel)
            if not perms & ADMINISTRATOR and int(needed) & ~perms:
                raise ValueError(
                    f"{user!r} lacks default_member_permissions={needed} for /{cmd['name']}"
                )

    def _command_data(
        self,
        user: FakeUser,
        name: str,
        options: dict[str, Any],
        channel: FakeChannel,
        *,
        focused: str | None,
        validate: bool,
    ) -> dict[str, Any]:
        parts = name.strip().lstrip("/").split()
        if not parts:
            raise ValueError("empty command name")
        guild = channel.guild
        cmd = self.command(parts[0], guild=guild)
        if cmd is None and (self.global_commands or self.guild_commands) and validate:
            known = sorted(
                {c["name"] for c in self.global_commands}
                | {c["name"] for cs in self.guild_commands.values() for c in cs}
            )
            raise LookupError(f"/{parts[0]} is not registered (registered: {', '.join(known)})")
        if cmd is not None and validate:
            self._check_invocable(cmd, user, channel)
        resolved: dict[str, dict[str, Any]] = {}
        schema: list[dict[str, Any]] | None = (
            list(cmd.get("options") or []) if cmd is not None else None
        )
        root: dict[str, Any] = {
            "id": cmd["id"] if cmd is not None else str(self.ids.next()),
            "name": parts[0],
            "type": 1,
        }
        if cmd is not None and cmd.get("guild_id"):
            root["guild_id"] = cmd["guild_id"]
        holder = root
        for sub in parts[1:]:
            spec = None
            if schema is not None:
                spec = next(
                    (o for o in schema if o.get("name") == sub and o.get("type") in (1, 2)), None
                )
                if spec is None and validate:
                    raise LookupError(f"/{name}: no subcommand {sub!r}")
            node: dict[str, Any] = {
                "name": sub,
                "type": spec["type"] if spec else OPT_SUB_COMMAND,
                "options": [],
            }
            holder.setdefault("options", []).append(node)
            holder = node
            schema = list(spec.get("options") or []) if spec is not None else None
        if schema is not None and validate and any(o.get("type") in (1, 2) for o in schema):
            raise ValueError(f"/{name} needs a subcommand: {[o['name'] for o in schema]}")
        leaf: list[dict[str, Any]] = []
        for opt_name, value in options.items():
            spec = next((o for o in schema or [] if o.get("name") == opt_name), None)
            if spec is None and schema is not None and validate:
                raise ValueError(
                    f"/{name} has no option {opt_name!r} (options: {[o['name'] for o in schema]})"
                )
            is_focused = opt_name == focused
            leaf.append(
                self._option(
                    spec,
                    opt_name,
                    value,
                    guild,
                    resolved,
                    focused=is_focused,
                    validate=validate and not is_focused and focused is None,
                )
            )
        if schema is not None and validate and focused is None:
            for spec in schema:
                if spec.get("required") and spec["name"] not in options:
                    raise ValueError(f"/{name}: required option {spec['name']!r} missing")
        if focused is not None and focused not in options:
            raise ValueError(f"focused option {focused!r} must be given a (partial) value")
        if leaf:
            holder["options"] = leaf
        elif "options" not in holder and holder is root:
            pass
        if resolved:
            root["resolved"] = resolved
        return root

    def _option(
        self,
        spec: dict[str, Any] | None,
        name: str,
        value: Any,
        guild: FakeGuild | None,
        resolved: dict[str, dict[str, Any]],
        *,
        focused: bool,
        validate: bool,
    ) -> dict[str, Any]:
        otype = int(spec["type"]) if spec is not None else self._infer_type(value)
        if focused:
            return {"name": name, "type": otype, "value": str(value), "focused": True}
        out: dict[str, Any] = {"name": name, "type": otype}
        if otype == OPT_STRING:
            if validate and not isinstance(value, str):
                raise TypeError(f"option {name!r} is a string, got {value!r}")
            text = str(value)
            if validate and spec is not None:
                max_len = int(spec.get("max_length") or limits.STRING_OPTION_MAX)
                min_len = int(spec.get("min_length") or 0)
                if not min_len <= len(text) <= max_len:
                    raise ValueError(
                        f"option {name!r}: Discord allows {min_len}..{max_len} characters, got {len(text)}"
                    )
            out["value"] = text
        elif otype == OPT_INTEGER:
            if validate and (not isinstance(value, int) or isinstance(value, bool)):
                raise TypeError(f"option {name!r} is an integer, got {value!r}")
            out["value"] = int(value)
            self._check_range(spec, name, out["value"], validate)
        elif otype == OPT_NUMBER:
            out["value"] = float(value)
            self._check_range(spec, name, out["value"], validate)
        elif otype == OPT_BOOLEAN:
            out["value"] = bool(value)
        elif otype in (OPT_USER, OPT_MENTIONABLE) and isinstance(value, (FakeUser, FakeMember)):
            user = value.user if isinstance(value, FakeMember) else value
            out["value"] = str(user.id)
            resolved.setdefault("users", {})[str(user.id)] = user.payload()
            if guild is not None and user.id in guild.members:
                member = guild.members[user.id]
                resolved.setdefault("members", {})[str(user.id)] = {
                    **member.payload(with_user=False),
                    "permissions": str(member.base_permissions()),
                }
        elif otype in (OPT_ROLE, OPT_MENTIONABLE) and isinstance(value, FakeRole):
            out["value"] = str(value.id)
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
        elif otype == OPT_CHANNEL and isinstance(value, FakeChannel):
            out["value"] = str(value.id)
            data = value.payload()
            data["permissions"] = str(ALL_PERMISSIONS)
            resolved.setdefault("channels", {})[str(value.id)] = data
        elif otype == OPT_ATTACHMENT:
            if isinstance(value, FakeAttachment):
                att = value
            else:
                filename, blob = value
                att = FakeAttachment(
                    id=self.ids.next(),
                    filename=filename,
                    data=blob,
                    content_type=guess_type(filename, None),
                )
                att.url = f"{self.http_base}/attachments/0/{att.id}/{filename}"
            out["value"] = str(att.id)
            resolved.setdefault("attachments", {})[str(att.id)] = att.payload()
        else:
            if validate:
                raise TypeError(f"option {name!r} of type {otype}: cannot use {value!r}")
            out["value"] = value
        if (
            validate
            and spec is not None
            and spec.get("choices")
            and otype in (OPT_STRING, OPT_INTEGER, OPT_NUMBER)
        ):
            allowed = [c["value"] for c in spec["choices"]]
            if out["value"] not in allowed:
                raise ValueError(f"option {name!r} must be one of {allowed}, got {out['value']!r}")
        return out

    @staticmethod
    def _check_range(spec: dict[str, Any] | None, name: str, value: float, validate: bool) -> None:
        if not validate or spec is None:
            return
        lo, hi = spec.get("min_value"), spec.get("max_value")
        if lo is not None and value < lo or hi is not None and value > hi:
            raise ValueError(f"option {name!r}: Discord allows {lo}..{hi}, got {value}")

    @staticmethod
    def _infer_type(value: Any) -> int:
        """The option type of a value given for an option the bot did not register."""
        return next((t for kinds, t in _INFERRED if isinstance(value, kinds)), OPT_STRING)
