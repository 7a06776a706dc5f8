"""spec_set mocks of discord.py objects, in the style of python-discord's ``tests/helpers.py``.

Every mock is built with ``spec_set`` from the real class (or, for the bot, a real instance), so
a test that touches an attribute the real object does not have fails instead of passing quietly.
Coroutine methods of the spec become ``AsyncMock``s automatically.
"""

from __future__ import annotations

import inspect
import itertools
import os
import subprocess
import sys
import unittest.mock
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.app import WalkWell
from bot.errors import on_app_command_error
from bot.exts.ask.feedback import Feedback
from bot.services import Services
from bot.ui.render import FEEDBACK_COG
from knowledge.models import Library, Unit
from knowledge.texts import Texts

_ids = itertools.count(1_000_000_000_000_000)

REPO = Path(__file__).resolve().parents[1]
#: Environment variables the bot reads; cleared so this machine's settings never leak into a test.
SETTINGS_PREFIXES = ("DISCORD_", "WALKWELL_", "DATABASE_")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any bot setting, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def run_bot_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS`` in ``cwd`` (so no .env of the repository) with only ``env`` set."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def next_id() -> int:
    return next(_ids)


class CustomMockMixin:
    """Applies the class's ``spec_set`` and lets keyword arguments set attributes."""

    spec_set: Any = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(spec_set=self.spec_set)  # type: ignore[call-arg]
        for name, value in kwargs.items():
            setattr(self, name, value)

    def _get_child_mock(self, **kw: Any) -> unittest.mock.Mock:
        """Children are plain mocks (awaitable where the spec's attribute is a coroutine)."""
        name = kw.get("_new_name", "")
        spec_attr = getattr(self.spec_set, name, None)
        if inspect.iscoroutinefunction(spec_attr):
            return unittest.mock.AsyncMock(**kw)
        return unittest.mock.MagicMock(**kw)


class MockUser(CustomMockMixin, unittest.mock.MagicMock):
    spec_set = discord.User

    def __init__(self, **kwargs: Any) -> None:
        defaults: dict[str, Any] = {"id": next_id(), "name": "walker", "bot": False}
        super().__init__(**{**defaults, **kwargs})


class MockClientUser(CustomMockMixin, unittest.mock.MagicMock):
    spec_set = discord.ClientUser

    def __init__(self, **kwargs: Any) -> None:
        defaults: dict[str, Any] = {"id": next_id(), "name": "WalkWell", "bot": True}
        super().__init__(**{**defaults, **kwargs})


class MockMember(CustomMockMixin, unittest.mock.MagicMock):
    spec_set = discord.Member

    def __init__(self, **kwargs: Any) -> None:
        defaults: dict[str, Any] = {"id": next_id(), "name": "member", "bot": False}
        super().__init__(**{**defaults, **kwargs})


class MockGuild(CustomMockMixin, unittest.mock.MagicMock):
    spec_set = discord.Guild

    def __init__(self, **kwargs: Any) -> None:
        defaults: dict[str, Any] = {"id": next_id(), "name": "a server", "me": MockMember()}
        super().__init__(**{**defaults, **kwargs})


class MockTextChannel(CustomMockMixin, unittest.mock.MagicMock):
    spec_set = discord.TextChannel

    def __init__(self, *, permissions: discord.Permissions | None = None, **kwargs: Any) -> None:
        defaults: dict[str, Any] = {"id": next_id(), "name": "walking"}
        super().__init__(**{**defaults, **kwargs})
        allowed = permissions if permissions is not None else discord.Permissions.text()
        self.permissions_for.return_value = allowed


class MockDMChannel(CustomMockMixin, unittest.mock.MagicMock):
    spec_set = discord.DMChannel

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{"id": next_id(), **kwargs})


class MockMessage(CustomMockMixin, unittest.mock.MagicMock):
    spec_set = discord.Message

    def __init__(self, **kwargs: Any) -> None:
        defaults: dict[str, Any] = {
            "id": next_id(),
            "content": "",
            "author": MockUser(),
            "guild": None,
            "channel": MockDMChannel(),
            "mentions": [],
        }
        super().__init__(**{**defaults, **kwargs})


class MockInteractionResponse(CustomMockMixin, unittest.mock.MagicMock):
    """``is_done()`` turns true once any response method has been awaited, as the real one does."""

    spec_set = discord.InteractionResponse

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        responders = ("send_message", "edit_message", "defer", "autocomplete", "send_modal")
        self.is_done.side_effect = lambda: any(getattr(self, m).await_count for m in responders)


class MockWebhook(CustomMockMixin, unittest.mock.MagicMock):
    spec_set = discord.Webhook


class MockInteraction(CustomMockMixin, unittest.mock.MagicMock):
    spec_set = discord.Interaction

    def __init__(self, **kwargs: Any) -> None:
        defaults: dict[str, Any] = {
            "id": next_id(),
            "type": discord.InteractionType.application_command,
            "user": MockUser(),
            "guild_id": None,
            "message": None,
            "command": None,
            "response": MockInteractionResponse(),
            "followup": MockWebhook(),
        }
        super().__init__(**{**defaults, **kwargs})


def custom_ids(view: discord.ui.View | None) -> list[str]:
    """The custom ids of a view's items, in order."""
    return [getattr(item, "custom_id", "") for item in (view.children if view else [])]


def private_text(interaction: Any) -> str:
    """The content of the one private message sent as the answer to ``interaction``: the
    response itself, or the follow-up after a private defer (a handler that writes first)."""
    if interaction.response.defer.await_count:
        assert interaction.response.send_message.await_count == 0
        assert sent(interaction.response.defer).get("ephemeral") is True
        kwargs = sent(interaction.followup.send)
    else:
        kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    return str(kwargs["content"])


def sent(mock_method: unittest.mock.AsyncMock) -> dict[str, Any]:
    """The keyword arguments of the one call to ``mock_method`` (positional content folded in)."""
    mock_method.assert_awaited_once()
    args, kwargs = mock_method.await_args  # type: ignore[misc]
    out = dict(kwargs)
    if args:
        out["content"] = args[0]
    return out


class FakeResult:
    def __init__(
        self, kind: str, id: str | None = None, score: float = 0.9, suggestions: Any = ()
    ) -> None:
        self.kind, self.id, self.score, self.suggestions = kind, id, score, list(suggestions)


class FakeEngine:
    """The answering engine's interface (``answer``, ``topics``) with canned results."""

    def __init__(self, library: Library, results: dict[str, FakeResult] | None = None) -> None:
        self.library = library
        self.results = results or {}
        self.questions: list[str] = []

    def answer(self, text: str) -> FakeResult:
        self.questions.append(text)
        return self.results.get(text, FakeResult("none", None, 0.1, []))

    def topics(self, partial: str, limit: int = 25) -> list[Unit]:
        partial = partial.casefold()
        units = [u for u in self.library.units.values() if partial in u.title.casefold()]
        return units[:limit]


def make_bot(library: Library, engine: Any) -> Any:
    """A spec_set mock of a real :class:`WalkWell` (so instance attributes are in the spec)."""
    real = WalkWell(library=library, engine=engine, load_knowledge=False)
    bot = unittest.mock.MagicMock(spec_set=real)
    bot.library = library
    bot.engine = engine
    bot.texts = Texts.from_library(library)
    bot.user = MockClientUser()
    # no storage unless a test opens one (as the real client without ``storage=True``)
    bot.services = Services.off()
    # the vote of a "Was this helpful?" button goes to the feedback cog, as in the real client
    feedback = Feedback(bot)
    bot.get_cog.side_effect = lambda name: feedback if name == FEEDBACK_COG else None
    return bot


async def run_command(
    command: app_commands.Command[Any, ..., Any],
    cog: Any,
    interaction: Any,
    **options: Any,
) -> None:
    """Run an app command as the command tree does: its checks, then its callback, and any error
    to the tree's error handler (:func:`bot.errors.on_app_command_error`)."""
    try:
        for check in command.checks:
            if not await discord.utils.maybe_coroutine(check, interaction):
                raise app_commands.CheckFailure(f"the check of /{command.qualified_name} failed")
        await command.callback(cog, interaction, **options)
    except app_commands.AppCommandError as error:
        await on_app_command_error(interaction, error)
    except Exception as exc:
        await on_app_command_error(interaction, app_commands.CommandInvokeError(command, exc))
