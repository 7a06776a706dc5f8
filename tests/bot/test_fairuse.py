"""Fair use: the sliding-window question limit (pure, with a fake clock), and /ask and messages
over it (mocks, no network)."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.exts.ask import Ask
from bot.exts.reminders.cog import Reminders
from bot.fairuse import QuestionLimit, Verdict
from bot.services import Services
from tests.helpers import (
    MockGuild,
    MockInteraction,
    MockMessage,
    MockTextChannel,
    MockUser,
    private_text,
    run_command,
)

A, B = 1001, 2002


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_six_questions_a_minute_then_one_notice_then_silence() -> None:
    clock = Clock()
    limit = QuestionLimit(clock=clock)
    verdicts = []
    for _ in range(20):
        verdicts.append(limit.check(A))
        clock.now += 0.5
    assert verdicts[:6] == [Verdict.ANSWER] * 6
    assert verdicts[6] is Verdict.NOTICE
    assert set(verdicts[7:]) == {Verdict.SILENT}
    assert limit.check(B) is Verdict.ANSWER  # nobody else is slowed


def test_the_window_slides_and_refused_questions_do_not_count() -> None:
    clock = Clock()
    limit = QuestionLimit(clock=clock)
    for _ in range(6):  # at t = 0, 10, ..., 50
        assert limit.check(A) is Verdict.ANSWER
        clock.now += 10
    clock.now = 1000 + 59  # the first question is 59 s old: still full
    assert limit.check(A) is Verdict.NOTICE
    assert limit.retry_after(A) == pytest.approx(1.0)
    clock.now = 1000 + 60  # the first one leaves the window: exactly one more
    assert limit.check(A) is Verdict.ANSWER
    assert limit.check(A) is Verdict.NOTICE  # a new spell gets its own notice
    assert limit.check(A) is Verdict.SILENT
    clock.now = 1000 + 70  # the refused ones never counted: the second slot frees now
    assert limit.check(A) is Verdict.ANSWER


def test_more_than_six_in_any_sixty_seconds_is_never_answered() -> None:
    clock = Clock()
    limit = QuestionLimit(clock=clock)
    answered: list[float] = []
    for i in range(600):  # a burst every few seconds, for ten minutes
        clock.now = 1000 + i * 1.7
        if limit.check(A) is Verdict.ANSWER:
            answered.append(clock.now)
    for i, start in enumerate(answered):
        assert sum(1 for t in answered[i:] if t < start + 60) <= 6
    assert len(answered) >= 6 * 10


def test_idle_people_are_swept(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.fairuse

    monkeypatch.setattr(bot.fairuse, "SWEEP_AT", 10)
    clock = Clock()
    limit = QuestionLimit(clock=clock)
    for user in range(10):
        limit.check(user)
    clock.now += 61
    limit.check(99)
    assert len(limit) == 1


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        QuestionLimit(0)
    with pytest.raises(ValueError):
        QuestionLimit(window=0)


def _mention(bot: Any, author: int) -> Any:
    return MockMessage(
        content=f"<@{bot.user.id}> which shoes",
        guild=MockGuild(),
        channel=MockTextChannel(),
        mentions=[bot.user],
        author=MockUser(id=author),
    )


async def test_messages_over_the_limit_get_one_short_reply_then_none(bot: Any) -> None:
    cog = Ask(bot, QuestionLimit(clock=Clock()))
    replies = []
    for _ in range(10):
        message = _mention(bot, A)
        await cog.on_message(message)
        replies.append(message.reply.await_args if message.reply.await_count else None)
    assert all(r is not None and "embed" in r.kwargs for r in replies[:6])
    notice = replies[6]
    assert notice is not None and "embed" not in notice.kwargs
    assert notice.args[0] == bot.texts("ask_too_many", seconds=60)
    assert replies[7:] == [None] * 3
    other = _mention(bot, B)
    await cog.on_message(other)
    assert "embed" in other.reply.await_args.kwargs  # someone else is answered at once


async def test_ask_over_the_limit_is_a_private_notice_and_shares_the_window(bot: Any) -> None:
    cog = Ask(bot, QuestionLimit(clock=Clock()))
    for _ in range(6):
        await cog.on_message(_mention(bot, A))
    interaction = MockInteraction(client=bot, user=MockUser(id=A))
    await cog.ask.callback(cog, interaction, question="which shoes")
    assert private_text(interaction) == bot.texts("ask_too_many", seconds=60)
    again = MockInteraction(client=bot, user=MockUser(id=A))
    await cog.ask.callback(cog, again, question="which shoes")
    assert private_text(again) == bot.texts("ask_too_many", seconds=60)  # must be answered


async def test_here_needs_the_member_to_be_able_to_send_there(bot: Any, services: Services) -> None:
    bot.services = services
    reminders = Reminders(bot)
    user = MockUser()
    interaction = MockInteraction(
        client=bot, user=user, guild_id=55, channel_id=66, permissions=discord.Permissions.none()
    )
    interaction.app_permissions = discord.Permissions.text() | discord.Permissions(
        view_channel=True
    )
    await run_command(
        reminders.start, reminders, interaction, time="7:30", timezone="UTC", where="here"
    )
    assert private_text(interaction) == bot.texts("here_member_cannot_send")
    assert await services.reminder_service().status(user.id) is None  # nothing stored

    allowed = MockInteraction(
        client=bot, user=user, guild_id=55, channel_id=66, permissions=discord.Permissions.text()
    )
    allowed.app_permissions = discord.Permissions.text() | discord.Permissions(view_channel=True)
    await run_command(
        reminders.start, reminders, allowed, time="7:30", timezone="UTC", where="here"
    )
    status = await services.reminder_service().status(user.id)
    assert status is not None and status.channel_id == 66
