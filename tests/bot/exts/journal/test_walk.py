"""``/walk log`` and the walk form (opened by the reminder's Done button), with a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import discord
import pytest

from bot.exts.journal.walk import Walk, WalkModal, day_text
from bot.exts.reminders.cog import DoneButton
from knowledge.texts import default_texts
from schedules.journal.store import walks_between
from schedules.store.db import Database
from tests.helpers import MockInteraction, MockUser, private_text, run_command


@pytest.fixture
def bot(stored_bot: Any) -> Any:
    return stored_bot


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
