"""One error path: bad input and "storage is off" get their private note, for commands (the
tree's handler and the ``needs_storage`` check) and for buttons and forms alike."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord
import pytest
from discord import app_commands

from bot import errors
from bot.exts.ask import Ask
from bot.exts.journal.progress import Progress
from bot.exts.journal.walk import Walk, WalkModal
from bot.exts.privacy import Privacy
from bot.exts.reminders.cog import Reminders, SnoozeButton
from bot.services import Services
from schedules.errors import InputError
from tests.helpers import MockInteraction, MockUser, private_text, run_command, sent


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


async def test_command_error_gives_a_private_apology_with_the_logged_id(
    bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    interaction = MockInteraction(client=bot)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        command = Ask(bot).ask
        error = app_commands.CommandInvokeError(command, exc)
    interaction.command = command
    with caplog.at_level(logging.ERROR):
        await errors.on_app_command_error(interaction, error)
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    error_id = re.search(r"`([0-9a-f]{8})`", kwargs["content"])
    assert error_id
    record = next(r for r in caplog.records if error_id.group(1) in r.getMessage())
    assert record.exc_info and record.exc_info[0] is RuntimeError
    assert "/ask" in record.getMessage()


async def test_error_after_a_response_goes_to_a_followup(bot: Any) -> None:
    interaction = MockInteraction(client=bot)
    await interaction.response.defer()
    await errors.report(interaction, RuntimeError("late"), "test")
    assert sent(interaction.followup.send)["ephemeral"] is True


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (app_commands.CheckFailure("no"), "error_not_allowed"),
        (app_commands.CommandOnCooldown(app_commands.Cooldown(1, 10.0), 4.2), "error_cooldown"),
    ],
)
async def test_refusals_are_private_notes_without_an_error_id(
    bot: Any, caplog: pytest.LogCaptureFixture, error: app_commands.AppCommandError, key: str
) -> None:
    interaction = MockInteraction(client=bot)
    with caplog.at_level(logging.ERROR):
        await errors.on_app_command_error(interaction, error)
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    assert kwargs["content"] == bot.texts(key, seconds=4)
    assert not caplog.records
