"""Rendering: limits, the mentions policy, hostile text, and seek-care never mixed with tips."""

from __future__ import annotations

import ast
import unicodedata
from pathlib import Path

import discord
import pytest

from bot.app import ALLOWED_MENTIONS, WalkWell, make_intents
from bot.ui import render, sanitize, textsplit
from knowledge.content import default_library
from knowledge.models import Library
from knowledge.texts import Texts, shipped

HOSTILE = (
    "@everyone @here <@&123456789012345678> <@98765432109876543> <#1234567890> "
    "**bold** __u__ ||spoiler|| `code` [link](https://evil.example) "
    "zero\u200bwidth\u200d\u2060\ufeff bidi\u202eevil"
)


@pytest.fixture(scope="module")
def library() -> Library:
    return default_library()


def test_allowed_mentions_are_set_once_on_the_client() -> None:
    bot = WalkWell(load_knowledge=False)
    mentions = bot.allowed_mentions
    assert mentions is ALLOWED_MENTIONS
    payload = mentions.to_dict()
    # Neither everyone/here nor roles may be parsed into pings.
    assert "everyone" not in payload["parse"] and "roles" not in payload["parse"]
    assert mentions.everyone is False and mentions.roles is False


def test_no_privileged_intent() -> None:
    intents = make_intents()
    assert not intents.message_content and not intents.members and not intents.presences
    assert intents.guilds and intents.guild_messages and intents.dm_messages


def test_every_unit_renders_within_limits(library: Library) -> None:
    for unit in library.units.values():
        reply = render.unit_reply(library, unit)
        embed = reply.embed
        assert embed is not None
        assert embed.description == unit.body  # the guide's words, whole, when they fit
        assert embed.footer.text == library.disclaimer
        assert len(embed) <= textsplit.EMBED_TOTAL_LIMIT
        buttons = reply.view.children if reply.view else []
        assert len(buttons) <= render.MAX_TOPIC_BUTTONS
        for button in buttons:
            assert isinstance(button, render.UnitButton)
            assert button.custom_id.removeprefix("ww:unit:") in unit.related


def test_fit_embed_cuts_every_part_and_the_total() -> None:
    word = "walk "
    embed = discord.Embed(title=word * 100, description=word * 2000)
    embed.set_footer(text=word * 1000)
    render.fit_embed(embed)
    assert embed.title is not None and len(embed.title) <= textsplit.EMBED_TITLE_LIMIT
    assert embed.description is not None
    assert len(embed.description) <= textsplit.EMBED_DESCRIPTION_LIMIT
    assert embed.footer.text is not None
    assert len(embed.footer.text) <= textsplit.EMBED_FOOTER_LIMIT
    assert len(embed) <= textsplit.EMBED_TOTAL_LIMIT
    assert embed.description.endswith("walk" + textsplit.ELLIPSIS)  # cut between words


def test_seek_care_is_alone(library: Library) -> None:
    reply = render.seek_care_reply(library, Texts.from_library(library), ephemeral=True)
    assert reply.view is None  # no related topics, no buttons
    assert reply.embed is not None
    assert reply.embed.description == library.seek_care
    assert not reply.embed.fields
    assert reply.embed.footer.text is None
    assert reply.content is None
    assert reply.ephemeral


def test_echo_neutralises_hostile_text() -> None:
    shown = sanitize.echo(HOSTILE, limit=500)
    assert len(shown) <= 500
    assert "@everyone" not in shown and "@here" not in shown
    assert "<@&" not in shown and "<@9" not in shown
    assert not any(unicodedata.category(ch) == "Cf" and ch != "\u200b" for ch in shown)
    assert "\u200bwidth" not in shown  # the user's zero-width characters are gone
    assert "**bold**" not in shown and "\\*\\*bold\\*\\*" in shown
    assert "\n" not in sanitize.echo("line one\nline two")


@pytest.mark.parametrize("limit", [5, 20, 80, 200])
def test_echo_respects_its_limit_even_after_escaping(limit: int) -> None:
    assert len(sanitize.echo("**__@everyone__** " * 50, limit=limit)) <= limit


def test_question_text_for_the_engine() -> None:
    text = sanitize.question_text(HOSTILE)
    assert "@everyone" not in text and "<@" not in text and "<#" not in text
    assert not any(unicodedata.category(ch) == "Cf" for ch in text)
    assert "zerowidth" in text  # an invisible character inside a word no longer splits it
    long = sanitize.question_text("how should I walk " * 1000)
    assert len(long) <= sanitize.MAX_QUESTION_CHARS
    assert long.endswith("walk") or long.endswith("how") or long.endswith("should")


def test_not_found_never_echoes_a_raw_mention(library: Library) -> None:
    texts = Texts.from_library(library)
    reply = render.not_found_reply(library, texts, ["posture"], question=HOSTILE)
    assert reply.ephemeral
    assert reply.embed is not None and reply.embed.description is not None
    assert "@everyone" not in reply.embed.description
    assert "<@&123456789012345678>" not in reply.embed.description
    assert texts("not_in_guide") in reply.embed.description
    assert reply.view is not None
    assert [c.custom_id for c in reply.view.children] == ["ww:unit:posture"]  # type: ignore[attr-defined]


def test_not_found_without_suggestions_says_off_topic(library: Library) -> None:
    texts = Texts.from_library(library)
    reply = render.not_found_reply(library, texts, [], question=None)
    assert reply.view is None
    assert reply.embed is not None
    assert reply.embed.description == texts("not_in_guide_offtopic")


def test_plain_text_pieces_fit_content_limit(library: Library) -> None:
    reply = render.unit_reply(library, max(library.units.values(), key=lambda u: len(u.body)))
    reply.embed.description = "step " * 1500  # type: ignore[union-attr]
    pieces = reply.text_pieces()
    assert len(pieces) >= 4
    assert all(len(p) <= textsplit.CONTENT_LIMIT for p in pieces)


def test_texts_prefer_content_and_tolerate_bad_placeholders(library: Library) -> None:
    texts = Texts.from_library(library)
    assert texts("not_in_guide") == library.messages["not_in_guide"]
    assert texts("checklist_expired") == shipped()["checklist_expired"]
    # a content folder without a key falls back to the built-in text
    assert Texts({"error": "x"})("checklist_expired") == shipped()["checklist_expired"]
    odd = Texts({"error": "oops {nothing} {error_id}", "guide_unknown": "bad {"})
    assert odd("error", error_id="abc") == "oops {nothing} abc"
    assert odd("guide_unknown", topic="x") == "bad {"


def _text_keys_in(path: Path) -> set[str]:
    """Every literal key passed to a Texts lookup (``texts(...)``, ``t(...)``, ``bot.texts(...)``)."""
    keys: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in ("texts", "t"):
            continue
        keys.update(_literal_keys(node.args[0]))
    return keys


def _literal_keys(node: ast.expr) -> set[str]:
    """``"a"`` -> {a}; ``"a" if cond else "b"`` -> {a, b} (the condition is not a key)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _literal_keys(node.body) | _literal_keys(node.orelse)
    return set()


def test_every_text_the_bot_looks_up_is_in_the_content() -> None:
    bot_dir = Path(__file__).resolve().parents[3] / "bot"
    used = set().union(*(_text_keys_in(p) for p in bot_dir.rglob("*.py")))
    assert len(used) > 50  # the scan finds the lookups
    assert sorted(used - set(shipped())) == []
