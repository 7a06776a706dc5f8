"""Check application command payloads against Discord's rules before anything is registered.

Discord rejects a whole bulk registration for one bad command; this finds the problem first, with
a readable path (``/reminders start timezone: ...``). Used by ``walkwell sync`` and the tests.

Rules checked (Discord's documentation, "Application Commands"):
- names: 1-32 characters matching ``^[-_a-z0-9]{1,32}$`` (lower case; chat-input commands);
- descriptions: 1-100 characters (chat-input commands and options);
- at most 25 options per command or group, at most 25 choices per option, choice names 1-100;
- at most 100 global chat-input commands;
- no two commands, and no two options of one command, with the same name (they would shadow
  each other); subcommands and plain options never mixed; subcommand groups hold only
  subcommands, and nesting stops there;
- required options before optional ones; ``autocomplete`` and ``choices`` not both;
- string lengths within 0-6000, and at most 8000 characters of names, descriptions and choice
  values per command.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

NAME = re.compile(r"^[-_a-z0-9]{1,32}$")
MAX_OPTIONS = 25
MAX_CHOICES = 25
MAX_COMMANDS = 100
MAX_DESCRIPTION = 100
MAX_COMMAND_CHARS = 8000
MAX_STRING_LENGTH = 6000

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
CHAT_INPUT = 1


def _check_name(path: str, name: Any, problems: list[str]) -> None:
    if not isinstance(name, str) or not NAME.match(name):
        problems.append(f"{path}: name {name!r} must match {NAME.pattern} (lower case, <= 32)")


def _check_description(path: str, description: Any, problems: list[str]) -> None:
    if not isinstance(description, str) or not 1 <= len(description) <= MAX_DESCRIPTION:
        problems.append(f"{path}: description must be 1-{MAX_DESCRIPTION} characters")


def _check_options(
    path: str, options: list[Mapping[str, Any]], parent: int, problems: list[str]
) -> int:
    """Check the options under a ``parent`` (0: a command, else an option type).

    Returns the characters they count towards the 8000 limit.
    """
    chars = 0
    if len(options) > MAX_OPTIONS:
        problems.append(f"{path}: {len(options)} options, at most {MAX_OPTIONS}")
    kinds = {opt.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for opt in options}
    if len(kinds) > 1:
        problems.append(f"{path}: mixes subcommands with plain options")
    seen: set[str] = set()
    optional_seen = False
    for opt in options:
        name = opt.get("name")
        sub = f"{path} {name}"
        _check_name(sub, name, problems)
        _check_description(sub, opt.get("description"), problems)
        chars += len(str(name)) + len(str(opt.get("description", "")))
        if name in seen:
            problems.append(f"{sub}: two options named {name!r} shadow each other")
        seen.add(str(name))
        kind = opt.get("type")
        if kind in (SUB_COMMAND, SUB_COMMAND_GROUP):
            if parent == SUB_COMMAND or (parent == SUB_COMMAND_GROUP and kind != SUB_COMMAND):
                problems.append(f"{sub}: subcommands nest too deep")
            inner = list(opt.get("options") or [])
            if kind == SUB_COMMAND_GROUP and any(o.get("type") != SUB_COMMAND for o in inner):
                problems.append(f"{sub}: a subcommand group may hold only subcommands")
            chars += _check_options(sub, inner, int(kind), problems)
            continue
        required = bool(opt.get("required"))
        if required and optional_seen:
            problems.append(f"{sub}: a required option after an optional one")
        optional_seen = optional_seen or not required
        choices = list(opt.get("choices") or [])
        if choices and opt.get("autocomplete"):
            problems.append(f"{sub}: autocomplete and choices together")
        if len(choices) > MAX_CHOICES:
            problems.append(f"{sub}: {len(choices)} choices, at most {MAX_CHOICES}")
        choice_names: set[str] = set()
        for choice in choices:
            cname = choice.get("name")
            if not isinstance(cname, str) or not 1 <= len(cname) <= 100:
                problems.append(f"{sub}: choice name {cname!r} must be 1-100 characters")
            elif cname in choice_names:
                problems.append(f"{sub}: two choices named {cname!r}")
            choice_names.add(str(cname))
            chars += len(str(cname)) + len(str(choice.get("value", "")))
        if kind == STRING:
            for key in ("min_length", "max_length"):
                value = opt.get(key)
                if value is not None and not 0 <= value <= MAX_STRING_LENGTH:
                    problems.append(f"{sub}: {key} {value} outside 0-{MAX_STRING_LENGTH}")
    return chars


def problems(payloads: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every rule broken by ``payloads`` (the dicts a bulk registration sends); empty when fine."""
    found: list[str] = []
    seen: set[tuple[int, str]] = set()
    count = 0
    for cmd in payloads:
        kind = int(cmd.get("type", CHAT_INPUT))
        name = cmd.get("name")
        path = f"/{name}"
        if kind == CHAT_INPUT:
            count += 1
            _check_name(path, name, found)
            _check_description(path, cmd.get("description"), found)
        key = (kind, str(name))
        if key in seen:
            found.append(f"{path}: two commands named {name!r} shadow each other")
        seen.add(key)
        chars = len(str(name)) + len(str(cmd.get("description", "")))
        chars += _check_options(path, list(cmd.get("options") or []), 0, found)
        if chars > MAX_COMMAND_CHARS:
            found.append(f"{path}: {chars} characters of text, at most {MAX_COMMAND_CHARS}")
    if count > MAX_COMMANDS:
        found.append(f"{count} chat-input commands, at most {MAX_COMMANDS}")
    return found


def tree_payloads(tree: Any, guild: Any = None) -> list[dict[str, Any]]:
    """The payloads ``tree.sync(guild=...)`` would send."""
    return [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
