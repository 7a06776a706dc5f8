"""``/ask``, and messages that mention the bot or reach it by DM: the guide answers them.

Fair use (:mod:`bot.fairuse`): one person's questions, by any of these routes, share one sliding
window; over it, a message gets one short reply and then none, an ``/ask`` a short private notice
(an interaction must be answered). Nobody else is slowed."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot import errors, metrics
from bot.exts.ask.batcher import AnswerBatcher
from bot.exts.ask.feedback import record_unanswered, remember_question, send_then_record
from bot.exts.ask.followup import asks_something, choose, new_topic, replied_unit, with_topic
from bot.fairuse import QUESTIONS, QuestionLimit, Verdict
from bot.settings import Settings
from bot.ui import render, sanitize

if TYPE_CHECKING:
    from bot.app import WalkWell

log = logging.getLogger(__name__)


async def _nothing() -> None:
    """Nothing to record after a reply."""


#: Longest question the /ask option accepts (Discord enforces it in the client; longer text
#: from elsewhere is cut by :func:`bot.ui.sanitize.question_text`).
QUESTION_MAX_LENGTH = 1000


class Ask(commands.Cog):
    def __init__(self, bot: WalkWell, limit: QuestionLimit | None = None) -> None:
        self.bot = bot
        #: the engine runs in a worker thread, questions that arrive together in one batch
        self.answers = AnswerBatcher(lambda: self.bot.engine)
        #: fair use: at most 6 questions a minute per person (CONTRACT.md)
        settings = bot.settings
        per_minute = settings.bot.ask_per_minute if isinstance(settings, Settings) else QUESTIONS
        self.limit = limit or QuestionLimit(per_minute)

    async def cog_unload(self) -> None:
        self.answers.close()

    async def _answer(self, question: str, context: str | None) -> Any:
        """The engine's result; a follow-up to an answer on unit ``context`` is read in it."""
        unit = self.bot.library.units.get(context) if context else None
        if unit is None or not asks_something(question) or new_topic(self.bot.library, question):
            return await self.answers.answer(question)
        alone, together = await asyncio.gather(
            self.answers.answer(question),
            self.answers.answer(with_topic(question, unit)),
        )
        return choose(alone, together)

    def _refusal(self, user_id: int) -> tuple[Verdict, str]:
        """Whether ``user_id`` may be answered now, and the notice to give when not."""
        verdict = self.limit.check(user_id)
        if verdict is Verdict.ANSWER:
            return verdict, ""
        log.info("ask: over the limit (user %s, %s)", user_id, verdict.value)
        seconds = max(1, math.ceil(self.limit.retry_after(user_id)))
        return verdict, self.bot.texts("ask_too_many", seconds=seconds)

    async def build_reply(
        self,
        text: str,
        *,
        interaction: bool,
        key: int | None = None,
        user_id: int | None = None,
        context: str | None = None,
    ) -> tuple[render.Reply, Callable[[], Awaitable[None] | None]]:
        """The reply to one question, and what to record about it (sent with
        :func:`~bot.exts.ask.feedback.send_then_record`). ``interaction``: misses are private and
        quote the question.

        With storage, ``key`` (the id of the interaction or message being answered) puts "Was this
        helpful?" under an answer and keeps the question for its votes; a question the guide does
        not answer is recorded for ``walkwell report``. ``context``: the unit of the answer a
        message replies to (:mod:`bot.exts.ask.followup`).
        """
        library, texts = self.bot.library, self.bot.texts
        question = sanitize.question_text(text)
        if not question:
            return render.Reply(content=texts("ask_empty"), ephemeral=interaction), _nothing
        result = await self._answer(question, context)
        log.info(
            "ask: kind=%s id=%s score=%.3f context=%s",
            result.kind,
            result.id,
            result.score,
            context,
        )
        metrics.answer(result.kind)
        if result.kind == "urgent":
            # Privately where we can: symptoms are nobody else's business.
            return render.seek_care_reply(library, texts, ephemeral=interaction), _nothing
        unit = library.units.get(result.id) if result.kind == "answer" and result.id else None
        if unit is not None:
            services = self.bot.services
            feedback = key if services.storage and key is not None else None
            reply = render.unit_reply(
                library, unit, feedback_key=feedback, texts=texts, did_you_mean=result.suggestions
            )
            if feedback is None:
                return reply, _nothing
            return reply, partial(remember_question, services, feedback, unit.id, question, user_id)
        reply = render.not_found_reply(
            library,
            texts,
            result.suggestions,
            question=question if interaction else None,
            ephemeral=interaction,
            reason=getattr(result, "reason", None),
        )
        if result.kind == "none":
            return reply, partial(record_unanswered, self.bot.services, question, user_id)
        return reply, _nothing

    @app_commands.command(name="ask", description="Ask the walking guide a question")
    @app_commands.describe(question="Your question, in your own words")
    async def ask(
        self,
        interaction: discord.Interaction[Any],
        question: app_commands.Range[str, 1, QUESTION_MAX_LENGTH],
    ) -> None:
        verdict, notice = self._refusal(interaction.user.id)
        if verdict is not Verdict.ANSWER:  # an interaction must be answered: privately
            await errors.send_private(interaction, notice)
            return
        reply, record = await self.build_reply(
            str(question), interaction=True, key=interaction.id, user_id=interaction.user.id
        )
        await send_then_record(partial(render.respond, interaction, reply), record)

    def _addressed_to_me(self, message: discord.Message) -> bool:
        me = self.bot.user
        if me is None or message.author.bot or message.author.id == me.id:
            return False
        if message.guild is None:
            return True
        return any(user.id == me.id for user in message.mentions)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """A mention of the bot, or a DM, is answered like /ask, as a reply."""
        if not self._addressed_to_me(message):
            return
        verdict, notice = self._refusal(message.author.id)
        if verdict is Verdict.NOTICE:  # once per spell; then nothing until the window allows
            try:
                await message.reply(notice, mention_author=False)
            except discord.HTTPException:
                log.warning("ask: could not send the limit notice (user %s)", message.author.id)
        if verdict is not Verdict.ANSWER:
            return
        try:
            me = self.bot.user
            context = await replied_unit(
                self.bot.library, self.bot.services, me.id if me else 0, message
            )
            reply, record = await self.build_reply(
                message.content,
                interaction=False,
                key=message.id,
                user_id=message.author.id,
                context=context,
            )
            await send_then_record(partial(render.reply_to, message, reply), record)
        except Exception as exc:
            guild_id = message.guild.id if message.guild else None
            error_id = errors.log_error(exc, "a message", message.author.id, guild_id)
            try:
                await message.reply(
                    self.bot.texts("error", error_id=error_id), mention_author=False
                )
            except discord.HTTPException:
                log.warning("error %s: could not tell the user", error_id)
