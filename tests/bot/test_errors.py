"""One error path: bad input and "storage is off" get their private note, for commands (the
tree's handler and the ``needs_storage`` check) and for buttons and forms alike."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands

from bot import errors
from bot.exts.journal.progress import Progress
from bot.exts.journal.walk import Walk, WalkModal
from bot.exts.privacy import Privacy
from bot.exts.reminders.cog import Reminders, SnoozeButton
from bot.services import Services
from knowledge.loader import default_library
from knowledge.models import Library
from schedules.errors import InputError
from tests.helpers import FakeEngine, MockInteraction, MockUser, make_bot, run_command, sent


@pytest.fixture(scope="module")
def library() -> Library:
    return default_library()


@pytest.fixture
def bot(library: Library) -> Any:
    return make_bot(library, FakeEngine(library))


def private_text(interaction: Any) -> str:
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    return str(kwargs["content"])


def storage_commands(bot: Any) -> list[tuple[Any, Any, dict[str, Any]]]:
    reminders, walk, progress, privacy = Reminders(bot), Walk(bot), Progress(bot), Privacy(bot)
    return [
        (reminders.start, reminders, {"time": "7:30", "timezone": "UTC"}),
        (reminders.stop, reminders, {}),
        (reminders.status, reminders, {}),
        (walk.log, walk, {"minutes": 20}),
        (progress.progress, progress, {}),
        (privacy.export, privacy, {}),
        (privacy.delete, privacy, {}),
    ]


async def test_every_command_that_needs_storage_says_it_is_off(bot: Any) -> None:
    for command, cog, options in storage_commands(bot):
        interaction = MockInteraction(client=bot, user=MockUser())
        await run_command(command, cog, interaction, **options)
        assert private_text(interaction) == bot.texts("storage_off"), command.qualified_name


async def test_a_button_or_form_without_storage_says_it_is_off(bot: Any) -> None:
    user = MockUser()
    click = MockInteraction(client=bot, user=user, type=discord.InteractionType.component)
    await SnoozeButton(user.id, bot.texts).callback(click)
    assert private_text(click) == bot.texts("storage_off")

    modal = WalkModal(bot.texts)
    modal.minutes._value = "20"
    submit = MockInteraction(client=bot, user=user, type=discord.InteractionType.modal_submit)
    await modal.on_submit(submit)
    assert private_text(submit) == bot.texts("storage_off")


async def test_bad_input_gets_its_own_note_and_no_error_id(
    bot: Any, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    bot.services = services
    reminders = Reminders(bot)
    interaction = MockInteraction(client=bot, user=MockUser())
    await run_command(
        reminders.start, reminders, interaction, time="half past never", timezone="UTC"
    )
    text = private_text(interaction)
    assert text and text != bot.texts("storage_off")
    assert "error" not in caplog.text.lower()
    assert await services.reminder_service().status(interaction.user.id) is None


async def test_bad_input_answers_the_command_which_counts_as_completed(bot: Any) -> None:
    walk = Walk(bot)
    interaction = MockInteraction(client=bot, user=MockUser(), command=walk.log)
    error = app_commands.CommandInvokeError(walk.log, InputError("Minutes must be 1-600."))
    await errors.on_app_command_error(interaction, error)
    assert private_text(interaction) == "Minutes must be 1-600."
    bot.dispatch.assert_called_once_with("app_command_completion", interaction, walk.log)
