"""What WalkWell keeps about answers: the question behind each one (for its votes), the votes of
"Was this helpful?", and the questions the guide could not answer (for ``walkwell report``).

Nobody waits for these writes: :func:`remember_question` starts writing alongside sending the
answer (:data:`pending_answers` holds the writes in flight). A vote names the answer's key, never
its question: the report joins the question from the asker's row. A vote is acknowledged before
any write (a slow database never fails the click). A failed write is one log line: never shown
after an answer, a short private apology after a vote.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord.ext import commands
from pydantic import ValidationError

from bot import errors
from bot.ui import render
from schedules.errors import InputError

if TYPE_CHECKING:
    from bot.app import WalkWell
    from bot.services import Services

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Answers whose question is still being written, by answer key.
pending_answers: dict[int, asyncio.Future[None]] = {}


async def send_then_record(
    send: Callable[[], Awaitable[T]], record: Callable[[], Awaitable[None] | None]
) -> T:
    """Start ``record`` (what is kept about an answer), send the answer, then await the record:
    nobody waits for a database write before their answer."""
    pending = record()
    try:
        return await send()
    finally:
        if pending is not None:
            await pending


def remember_question(
    services: Services, key: int, unit_id: str, question: str, user_id: int | None
) -> Awaitable[None] | None:
    """Start keeping the question behind an answer (for its votes). Call it before sending the
    answer and await the result after. None without storage.

    The row joins the others being written at the same moment (``services.answer_writer()``, a
    group commit): under load one transaction keeps many answers' questions."""
    if services.db is None:
        return None
    from schedules.feedback.store import answer_row

    try:
        row = answer_row(key, unit_id, question, now=datetime.now(UTC), user_id=user_id)
    except Exception as exc:  # the answer matters more than its feedback context
        _quietly(exc, "could not remember the question of answer %s", key)
        return None
    if row is None:
        return None
    written = services.answer_writer().submit(row)
    pending_answers[key] = written
    written.add_done_callback(lambda _: pending_answers.pop(key, None))
    return _written(written, key)


async def _written(written: asyncio.Future[None], key: int) -> None:
    try:
        await written
    except Exception as exc:  # the answer matters more than its feedback context
        _quietly(exc, "could not remember the question of answer %s", key)


async def record_unanswered(services: Services, question: str, user_id: int | None) -> None:
    """Keep a question the guide does not answer (for ``walkwell report``); nothing without
    storage."""
    if services.db is None:
        return
    from schedules.feedback.store import record_unanswered as record

    try:
        await record(services.db, question, now=datetime.now(UTC), user_id=user_id)
    except Exception as exc:
        _quietly(exc, "could not record an unanswered question")


def _quietly(exc: Exception, message: str, *args: Any) -> None:
    """Bookkeeping after an answer failed (the database is down, or slow): one log line naming
    the error's type, no retry; the traceback only at DEBUG (it may hold what was asked)."""
    log.warning(message + " (%s); not retried", *args, type(exc).__name__)
    log.debug("the failed bookkeeping", exc_info=exc)


class Feedback(commands.Cog, name=render.FEEDBACK_COG):
    """Records the votes of :class:`bot.ui.render.FeedbackButton` (which finds this cog)."""

    def __init__(self, bot: WalkWell) -> None:
        self.bot = bot

    async def vote(
        self, interaction: discord.Interaction[Any], helpful: bool, unit_id: str, key: int
    ) -> None:
        """One vote per person per unit per day: voting again changes it. The vote names the
        answer's key, never its question (that stays with the asker)."""
        from schedules.feedback.report import Vote
        from schedules.feedback.store import record_vote

        db = self.bot.services.database()
        texts = self.bot.texts
        # Acknowledge first: the vote's write may be slow.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            vote = Vote(
                user_id=interaction.user.id, answer_id=key, unit_id=unit_id, helpful=helpful
            )
        except (ValidationError, InputError):
            await errors.send_private(interaction, texts("unit_gone"))
            return
        try:
            new = await record_vote(db, vote, now=datetime.now(UTC))
        except InputError:
            raise  # bad input has its own note (the one error path)
        except Exception as exc:
            await self._sorry(interaction, exc)
            return
        await errors.send_private(
            interaction, texts("feedback_thanks" if new else "feedback_changed")
        )

    async def _sorry(self, interaction: discord.Interaction[Any], exc: Exception) -> None:
        """The database failed under a vote: one log line, and a short private apology."""
        _quietly(exc, "could not record a vote")
        await errors.send_private(interaction, self.bot.texts("feedback_unavailable"))
