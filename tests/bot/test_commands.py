"""The command tree: Discord's limits, no shadowing, and the contract's commands and options."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from discord import app_commands

from bot import treecheck
from bot.app import WalkWell, extension_names


@pytest.fixture
async def tree_payloads() -> list[dict[str, Any]]:
    bot = WalkWell(load_knowledge=False)
    for name in extension_names():
        await bot.load_extension(name)  # raises if two cogs register one command name
    payloads = treecheck.tree_payloads(bot.tree)
    await bot.close()
    return payloads


def _by_name(payloads: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in payloads}


async def test_the_real_tree_breaks_no_rule(tree_payloads: list[dict[str, Any]]) -> None:
    assert tree_payloads, "no commands loaded"
    assert treecheck.problems(tree_payloads) == []


async def test_contract_commands_and_options(tree_payloads: list[dict[str, Any]]) -> None:
    cmds = _by_name(tree_payloads)
    assert {"ask", "guide", "faq", "checklist", "cadence"} <= set(cmds)

    (question,) = cmds["ask"]["options"]
    assert question["name"] == "question" and question["type"] == 3 and question["required"]
    assert 1 <= question["max_length"] <= 6000

    (topic,) = cmds["guide"]["options"]
    assert topic["name"] == "topic" and topic["type"] == 3 and topic["autocomplete"]

    assert not cmds["faq"].get("options")
    assert not cmds["checklist"].get("options")

    (current,) = cmds["cadence"]["options"]
    assert current["name"] == "current" and current["type"] == 4
    assert not current.get("required")
    assert (current["min_value"], current["max_value"]) == (30, 250)


async def test_one_extension_per_feature() -> None:
    names = extension_names()
    for feature in ("ask", "guide", "faq", "checklist", "cadence"):
        assert f"bot.exts.{feature}" in names


def _base() -> list[dict[str, Any]]:
    return [
        {
            "type": 1,
            "name": "walk",
            "description": "Walk things",
            "options": [
                {
                    "type": 1,
                    "name": "log",
                    "description": "Log a walk",
                    "options": [
                        {"type": 4, "name": "minutes", "description": "Minutes", "required": True},
                        {"type": 3, "name": "note", "description": "A note"},
                    ],
                }
            ],
        },
        {
            "type": 1,
            "name": "ask",
            "description": "Ask",
            "options": [{"type": 3, "name": "question", "description": "Q", "required": True}],
        },
    ]


def test_the_checker_accepts_a_valid_tree() -> None:
    assert treecheck.problems(_base()) == []


def _broken(change: Any) -> list[str]:
    payloads = copy.deepcopy(_base())
    change(payloads)
    return treecheck.problems(payloads)


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (lambda p: p.append(copy.deepcopy(p[1])), "shadow"),
        (lambda p: p[1]["options"].append(dict(p[1]["options"][0])), "shadow"),
        (
            lambda p: p[0]["options"][0]["options"].append(
                {"type": 3, "name": "minutes", "description": "x"}
            ),
            "shadow",
        ),
        (lambda p: p[1].update(name="Ask"), "name"),
        (lambda p: p[1].update(name="a" * 33), "name"),
        (lambda p: p[1].update(name="two words"), "name"),
        (lambda p: p[1].update(description=""), "description"),
        (lambda p: p[1].update(description="d" * 101), "description"),
        (lambda p: p[1]["options"][0].update(description="d" * 101), "description"),
        (lambda p: p[1]["options"][0].update(name="Question"), "name"),
        (
            lambda p: p[1].update(
                options=[{"type": 3, "name": f"o{i}", "description": "x"} for i in range(26)]
            ),
            "options",
        ),
        (
            lambda p: p[1]["options"][0].update(
                choices=[{"name": f"c{i}", "value": f"c{i}"} for i in range(26)]
            ),
            "choices",
        ),
        (
            lambda p: p[1]["options"][0].update(
                autocomplete=True, choices=[{"name": "a", "value": "a"}]
            ),
            "autocomplete",
        ),
        (
            lambda p: p[1]["options"].insert(0, {"type": 3, "name": "opt", "description": "x"}),
            "required",
        ),
        (
            lambda p: p[0]["options"].append({"type": 3, "name": "plain", "description": "x"}),
            "mixes",
        ),
        (
            lambda p: p[0]["options"][0]["options"].append(
                {"type": 1, "name": "deeper", "description": "x"}
            ),
            "nest",
        ),
        (
            lambda p: p[0]["options"].append(
                {
                    "type": 2,
                    "name": "group",
                    "description": "x",
                    "options": [{"type": 2, "name": "inner", "description": "x", "options": []}],
                }
            ),
            "nest",
        ),
        (lambda p: p[1]["options"][0].update(max_length=6001), "max_length"),
        (
            lambda p: p.extend(
                {"type": 1, "name": f"c{i}", "description": "x"} for i in range(100)
            ),
            "at most 100",
        ),
    ],
)
def test_the_checker_fails_on_each_broken_rule(change: Any, expect: str) -> None:
    found = _broken(change)
    assert found, "the broken tree was accepted"
    assert any(expect in problem for problem in found), found


async def test_a_second_cog_with_the_same_command_cannot_load() -> None:
    from discord.ext import commands

    class Dup(commands.Cog):
        @app_commands.command(name="ask", description="again")
        async def ask(self, interaction: Any) -> None: ...

    bot = WalkWell(load_knowledge=False)
    await bot.load_extension("bot.exts.ask")
    with pytest.raises(app_commands.CommandAlreadyRegistered):
        await bot.add_cog(Dup())
    await bot.close()


async def test_each_extension_registers_its_own_buttons() -> None:
    bot = WalkWell(load_knowledge=False)
    registered = bot._connection._view_store._dynamic_items
    assert not registered
    for name in extension_names():
        await bot.load_extension(name)
    templates = {pattern.pattern.split(":(")[0] for pattern in registered}
    assert templates == {
        "ww:unit",
        "ww:fb",
        "ww:chk",
        "ww:rem:done",
        "ww:rem:snooze",
        "ww:rem:stop",
        "ww:priv",
        "ww:club:walk",
    }
    for name in extension_names():
        await bot.unload_extension(name)
    assert not registered
    await bot.close()
