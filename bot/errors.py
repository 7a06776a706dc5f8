"""One error handler for every command, button and message the bot handles.

The user gets a short private apology with an error id (8 hex characters); the log gets the
traceback under the same id, so a report from a user leads straight to the cause.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord import app_commands

from knowledge.texts import Texts

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


async def on_app_command_error(
    interaction: discord.Interaction[Any], error: app_commands.AppCommandError
) -> None:
    """``CommandTree.on_error``: bad input gets a plain private note, anything else an error id."""
    texts = _texts(interaction)
    note: str | None = None
    if isinstance(error, app_commands.TransformerError):
        note = texts("error_bad_input")
    elif isinstance(error, app_commands.CommandOnCooldown):
        note = texts("error_cooldown", seconds=max(1, round(error.retry_after)))
    elif isinstance(error, app_commands.CheckFailure):
        note = texts("error_not_allowed")
    if note is not None:  # the user's doing, not a fault: no error id, nothing in the error log
        try:
            await send_private(interaction, note)
        except discord.HTTPException:
            log.warning("could not answer a refused interaction")
        return
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    name = interaction.command.qualified_name if interaction.command else "unknown command"
    await report(interaction, original, f"/{name}")
