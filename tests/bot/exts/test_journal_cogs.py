"""/walk log, the Done button's form, and the feedback buttons, on mocks with a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.exts.ask import Ask, feedback
from bot.exts.journal.walk import Walk, WalkModal, day_text
from bot.exts.reminders.cog import DoneButton
from bot.services import Services
from bot.ui import render
from knowledge.loader import default_library
from knowledge.models import Library
from schedules.journal.store import export_user_journal, walks_between
from schedules.journal.texts import default_texts
from schedules.reminders.service import ReminderService
from schedules.store.db import Database
from tests.helpers import (
    FakeEngine,
    FakeResult,
    MockInteraction,
    MockUser,
    make_bot,
    run_command,
    sent,
)


@pytest.fixture(scope="module")
def library() -> Library:
    return default_library()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'walkwell.db'}")
    yield database
    await database.close()


@pytest.fixture
def bot(library: Library, db: Database) -> Any:
    engine = FakeEngine(
        library,
        {
            "how should i stand": FakeResult("answer", "posture", 0.9),
            "heat or ice": FakeResult("none", None, 0.2, ["warmup"]),
        },
    )
    bot = make_bot(library, engine)
    bot.services = Services(db=db, reminders=ReminderService(db))
    return bot


def private_text(interaction: Any) -> str:
    kwargs = sent(interaction.response.send_message)
    assert kwargs["ephemeral"] is True
    return str(kwargs["content"])


async def log(bot: Any, user: Any, **options: Any) -> str:
    interaction = MockInteraction(client=bot, user=user)
    cog = Walk(bot)
    await run_command(cog.log, cog, interaction, **options)
    return private_text(interaction)


async def walks(db: Database, user_id: int) -> list[Any]:
    return await walks_between(db, user_id, date(2000, 1, 1), date(2100, 1, 1))


@pytest.mark.parametrize(
    "options",
    [
        {"minutes": 0},
        {"minutes": 10_000},
        {"minutes": 20, "pain": 11},
        {"minutes": 20, "note": "x" * 5000},
    ],
)
async def test_bad_walks_are_refused_privately_and_store_nothing(
    bot: Any, db: Database, options: dict[str, Any]
) -> None:
    user = MockUser()
    text = await log(bot, user, **options)
    assert text and "logged" not in text.lower()
    assert await walks(db, user.id) == []


async def test_a_walk_without_a_timezone_counts_in_utc_and_says_so(bot: Any, db: Database) -> None:
    user = MockUser()
    before = datetime.now(UTC).date()
    text = await log(bot, user, minutes=20, pain=8)
    days = {day_text(before), day_text(datetime.now(UTC).date())}  # a run across midnight
    assert any(day in text for day in days), text
    assert bot.texts("walk_zone_utc") in text
    assert default_texts().get("nudge.reasons.see_professional") in text  # pain of 8
    [walk] = await walks(db, user.id)
    assert (walk.minutes, walk.pain) == (20, 8)


async def test_a_walk_counts_on_the_reminder_timezones_day(bot: Any, db: Database) -> None:
    user = MockUser()
    await bot.services.reminders.subscribe(user.id, "07:30", "Pacific/Kiritimati")
    text = await log(bot, user, minutes=15)
    from zoneinfo import ZoneInfo

    local = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()  # UTC+14: often another day
    [walk] = await walks(db, user.id)
    assert walk.local_date == local
    assert day_text(local) in text and "Pacific/Kiritimati" in text


async def test_done_marks_the_reminder_and_opens_the_walk_form(bot: Any) -> None:
    user = MockUser()
    interaction = MockInteraction(client=bot, user=user, type=discord.InteractionType.component)
    marked: list[tuple[Any, ...]] = []
    real_mark_done = bot.services.reminders.mark_done

    async def mark_done(*args: Any) -> bool:
        marked.append(args)
        return bool(await real_mark_done(*args))

    bot.services.reminders.mark_done = mark_done
    await DoneButton(user.id, 1_750_000_000).callback(interaction)
    assert marked == [(user.id, datetime.fromtimestamp(1_750_000_000, UTC))]
    interaction.response.send_modal.assert_awaited_once()
    interaction.response.send_message.assert_not_awaited()
    (modal,) = interaction.response.send_modal.await_args.args
    # by name: loading the extensions elsewhere re-imports bot.exts.journal.walk
    assert type(modal).__name__ == WalkModal.__name__
    fields = [getattr(item, "custom_id", "") for item in modal.children]
    assert fields == [f"ww:walk:{f}" for f in ("minutes", "cadence", "pain", "note")]


async def test_the_walk_form_logs_and_refuses(bot: Any, db: Database) -> None:
    user = MockUser()
    modal = WalkModal(bot.texts)
    modal.minutes._value = "abc"
    interaction = MockInteraction(client=bot, user=user, type=discord.InteractionType.modal_submit)
    await modal.on_submit(interaction)
    assert "whole number" in private_text(interaction)
    assert await walks(db, user.id) == []
    modal.minutes._value = "30 min"
    modal.cadence._value = "100"
    interaction = MockInteraction(client=bot, user=user, type=discord.InteractionType.modal_submit)
    await modal.on_submit(interaction)
    assert "30 min" in private_text(interaction)
    [walk] = await walks(db, user.id)
    assert (walk.minutes, walk.cadence) == (30, 100)


# -- feedback --------------------------------------------------------------------------------------


def feedback_ids(view: discord.ui.View | None) -> list[str]:
    ids = [getattr(i, "custom_id", "") for i in (view.children if view else [])]
    return [c for c in ids if c.startswith("ww:fb:")]


def test_unit_reply_asks_for_feedback_only_with_a_key(library: Library) -> None:
    unit = library.units["posture"]
    plain = render.unit_reply(library, unit)
    assert feedback_ids(plain.view) == []
    assert plain.embed is not None and plain.embed.footer.text == library.disclaimer
    asked = render.unit_reply(library, unit, feedback_key=42)
    assert feedback_ids(asked.view) == ["ww:fb:y:posture:42", "ww:fb:n:posture:42"]
    assert asked.embed is not None and asked.embed.footer.text is not None
    assert asked.embed.footer.text.startswith(library.disclaimer)
    assert asked.embed.footer.text.endswith("Was this helpful?")
    rows = {getattr(i, "custom_id", ""): i.row for i in asked.view.children}  # type: ignore[union-attr]
    assert rows["ww:fb:y:posture:42"] == render.FEEDBACK_ROW


async def test_a_vote_is_one_per_person_and_carries_the_question(bot: Any, db: Database) -> None:
    asker = MockUser()
    interaction = MockInteraction(client=bot, user=asker)
    cog = Ask(bot)
    await cog.ask.callback(cog, interaction, question="how should i stand")
    yes, no = feedback_ids(sent(interaction.response.send_message)["view"])
    assert yes == f"ww:fb:y:posture:{interaction.id}"

    voter = MockUser()
    replies = []
    for custom_id in (yes, no, no):
        button = render.FeedbackButton(True, "x", 1)
        match = button.template.fullmatch(custom_id)
        assert match is not None
        click = MockInteraction(client=bot, user=voter, type=discord.InteractionType.component)
        item = await render.FeedbackButton.from_custom_id(click, button.item, match)
        await item.callback(click)
        replies.append(private_text(click))
    assert replies[0] == bot.texts("feedback_thanks")
    assert replies[1] == replies[2] == bot.texts("feedback_changed")
    [vote] = (await export_user_journal(db, voter.id))["feedback"]
    assert (vote["unit_id"], vote["helpful"], vote["question"]) == (
        "posture",
        False,
        "how should i stand",
    )


async def test_an_unanswered_question_is_recorded(bot: Any, db: Database) -> None:
    user = MockUser()
    interaction = MockInteraction(client=bot, user=user)
    cog = Ask(bot)
    await cog.ask.callback(cog, interaction, question="heat or ice")
    data = await export_user_journal(db, user.id)
    assert [q["question"] for q in data["unanswered"]] == ["heat or ice"]


@pytest.mark.parametrize("question", ["how should i stand", "heat or ice"])
async def test_the_answer_is_sent_before_anything_is_written(
    bot: Any, monkeypatch: pytest.MonkeyPatch, question: str
) -> None:
    """Nobody waits for a database write before their answer: the bookkeeping comes after."""
    import schedules.feedback.answers
    import schedules.journal.store

    order: list[str] = []
    interaction = MockInteraction(client=bot, user=MockUser())

    async def sent_first(*args: Any, **kwargs: Any) -> bool:
        order.append("write" if interaction.response.send_message.await_count else "write-first")
        return True

    monkeypatch.setattr(schedules.feedback.answers, "remember_answer", sent_first)
    monkeypatch.setattr(schedules.journal.store, "record_unanswered", sent_first)
    cog = Ask(bot)
    await cog.ask.callback(cog, interaction, question=question)
    assert interaction.response.send_message.await_count == 1
    assert order == ["write"]


async def test_a_vote_that_beats_the_question_write_waits_for_it(
    bot: Any, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import schedules.feedback.answers

    real = schedules.feedback.answers.remember_answer
    gate = asyncio.Event()

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await gate.wait()
        return await real(*args, **kwargs)

    monkeypatch.setattr(schedules.feedback.answers, "remember_answer", slow)
    asker = MockInteraction(client=bot, user=MockUser())
    cog = Ask(bot)
    asking = asyncio.create_task(cog.ask.callback(cog, asker, question="how should i stand"))
    for _ in range(100):
        if asker.response.send_message.await_count:
            break
        await asyncio.sleep(0)
    yes, _ = feedback_ids(sent(asker.response.send_message)["view"])  # the answer is out

    voter = MockUser()
    button = render.FeedbackButton(True, "x", 1)
    match = button.template.fullmatch(yes)
    assert match is not None
    click = MockInteraction(client=bot, user=voter, type=discord.InteractionType.component)
    item = await render.FeedbackButton.from_custom_id(click, button.item, match)
    voting = asyncio.create_task(item.callback(click))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not voting.done()  # waiting for the question to be written
    gate.set()
    await asyncio.gather(asking, voting)
    [vote] = (await export_user_journal(db, voter.id))["feedback"]
    assert vote["question"] == "how should i stand"
    assert not feedback.pending_answers
