"""One error path for every command, button, form and message the bot handles.

- Bad input (:class:`~schedules.errors.InputError`, raised by ``schedules``) gets its own short
  private message; no error id, nothing in the error log.
- Storage off: the :func:`needs_storage` check on a command, or :class:`~bot.services.StorageOff`
  raised anywhere, gets the private ``storage_off`` text.
- Anything else: the user gets a short private apology with an error id (8 hex characters); the
  log gets the traceback under the same id, so a report from a user leads straight to the cause.

Slash commands reach :func:`on_app_command_error` (the tree's error handler); buttons and forms
call :func:`on_component_error` (see :mod:`bot.ui.buttons`).
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord import app_commands

from bot.services import StorageOff
from knowledge.texts import Texts
from schedules.errors import InputError

log = logging.getLogger(__name__)


def new_error_id() -> str:
    return secrets.token_hex(4)


def _texts(interaction: discord.Interaction[Any]) -> Texts:
    texts = getattr(interaction.client, "texts", None)
    return texts if isinstance(texts, Texts) else Texts()


async def send_private(interaction: discord.Interaction[Any], content: str, **kwargs: Any) -> None:
    """Answer ``interaction`` privately, whether or not it has been answered already."""
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(content, ephemeral=True, **kwargs)


def log_error(error: BaseException, where: str, user_id: int | None, guild_id: int | None) -> str:
    """Log ``error`` with its traceback under a new error id; returns the id."""
    error_id = new_error_id()
    log.error(
        "error %s in %s (user %s, guild %s)",
        error_id,
        where,
        user_id,
        guild_id,
        exc_info=(type(error), error, error.__traceback__),
    )
    return error_id


async def report(interaction: discord.Interaction[Any], error: BaseException, where: str) -> str:
    """Log ``error`` with a new id and tell the user (privately); returns the id."""
    user_id = interaction.user.id if interaction.user else None
    error_id = log_error(error, where, user_id, interaction.guild_id)
    if interaction.type is discord.InteractionType.autocomplete:
        return error_id  # nothing can be shown for a failed autocomplete
    try:
        await send_private(interaction, _texts(interaction)("error", error_id=error_id))
    except discord.HTTPException:
        log.warning("error %s: could not tell the user", error_id)
    return error_id


class StorageRequired(app_commands.CheckFailure):
    """The :func:`needs_storage` check failed: the bot runs without its database."""


def needs_storage() -> Any:
    """An app command check: the command runs only with storage (``bot.services.storage``)."""

    def predicate(interaction: discord.Interaction[Any]) -> bool:
        services = getattr(interaction.client, "services", None)
        if services is None or not services.storage:
            raise StorageRequired
        return True

    return app_commands.check(predicate)


def _user_note(error: BaseException, texts: Texts) -> str | None:
    """The private note for an error that is the user's doing or the set-up's, not a fault."""
    if isinstance(error, InputError):
        return error.user_message
    if isinstance(error, (StorageOff, StorageRequired)):
        return texts("storage_off")
    return None


async def _note(interaction: discord.Interaction[Any], note: str) -> None:
    try:
        await send_private(interaction, note)
    except discord.HTTPException:
        log.warning("could not answer a refused interaction")


async def on_component_error(
    interaction: discord.Interaction[Any], error: BaseException, where: str
) -> None:
    """A button's or form's error: bad input or storage off gets its note, a fault an error id."""
    note = _user_note(error, _texts(interaction))
    if note is not None:
        await _note(interaction, note)
        return
    await report(interaction, error, where)


async def on_app_command_error(
    interaction: discord.Interaction[Any], error: app_commands.AppCommandError
) -> None:
    """``CommandTree.on_error``: bad input gets a plain private note, anything else an error id."""
    texts = _texts(interaction)
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    note = _user_note(original, texts)
    if note is None:
        if isinstance(error, app_commands.TransformerError):
            note = texts("error_bad_input")
        elif isinstance(error, app_commands.CommandOnCooldown):
            note = texts("error_cooldown", seconds=max(1, round(error.retry_after)))
        elif isinstance(error, app_commands.CheckFailure):
            note = texts("error_not_allowed")
    if note is not None:  # the user's doing, not a fault: no error id, nothing in the error log
        await _note(interaction, note)
        if isinstance(original, InputError) and interaction.command is not None:
            # Bad input is answered, not a failure: the command counts as completed (listeners
            # of ``app_command_completion`` run, as after any answer).
            interaction.client.dispatch("app_command_completion", interaction, interaction.command)
        return
    name = interaction.command.qualified_name if interaction.command else "unknown command"
    await report(interaction, original, f"/{name}")
