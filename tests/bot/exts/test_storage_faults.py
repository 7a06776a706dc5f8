"""Handlers under a slow or failing database: each one responds (or defers) to Discord before its
first database call, so a slow database means a late follow-up, never "interaction failed"; a
failing one costs a log line or a short private apology, never the answer to a question.

The database here is the real one behind a gate (:class:`GatedDb`): every transaction waits for an
``asyncio.Event`` (or raises), and notes whether the interaction had been answered by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from types import ModuleType, SimpleNamespace
from typing import Any

import discord
import pytest
from sqlalchemy import update

from bot.exts.ask import Ask
from bot.exts.checklist import Checklist
from bot.exts.journal.walk import Walk, log_walk_for
from bot.exts.privacy import _Confirm
from bot.exts.reminders.cog import DoneButton, Reminders, SnoozeButton, StopButton
from bot.ui import render
from schedules.journal.store import walks_between
from schedules.store.db import Database
from schedules.store.schema import subscriptions_table
from schedules.store.userdata import export_user
from tests.helpers import MockInteraction, MockMessage, MockUser, run_command, sent


class StorageDown(Exception):
    """What the gated database raises when it is set to fail."""


class GatedDb:
    """The real database, but every transaction first waits for :attr:`gate` (or raises when
    :attr:`fail` is set). :attr:`calls` notes each transaction: ``(kind, answered)``, where
    ``answered`` is whether :attr:`interaction` had been responded to when it started."""

    def __init__(self, real: Database) -> None:
        self.real = real
        self.gate = asyncio.Event()
        self.fail = False
        self.interaction: Any = None
        self.calls: list[tuple[str, bool]] = []
        self.entered = asyncio.Event()

    @property
    def dialect(self) -> str:
        return self.real.dialect

    @property
    def engine(self) -> Any:
        return self.real.engine

    async def _enter(self, kind: str) -> None:
        answered = bool(self.interaction is not None and self.interaction.response.is_done())
        self.calls.append((kind, answered))
        self.entered.set()
        if self.fail:
            raise StorageDown("the database is down")
        await self.gate.wait()

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[Any]:
        await self._enter("write")
        async with self.real.begin() as conn:
            yield conn

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[Any]:
        await self._enter("read")
        async with self.real.read() as conn:
            yield conn

    async def close(self) -> None:
        await self.real.close()

    def writes(self) -> list[tuple[str, bool]]:
        return [call for call in self.calls if call[0] == "write"]


@pytest.fixture
def bot(stored_bot: Any) -> Any:
    return stored_bot


@pytest.fixture
def gated(bot: Any, db: Database) -> Callable[[Any], GatedDb]:
    """Put the gate between ``bot`` and its database, for one interaction; returns it."""

    def install(interaction: Any) -> GatedDb:
        gate = GatedDb(db)
        gate.interaction = interaction
        bot.services.db = gate
        bot.services.reminders.db = gate
        return gate

    return install


async def held(gate: GatedDb, call: Any) -> asyncio.Task[Any]:
    """Start ``call`` and wait until it reaches the database (where the gate holds it)."""
    task = asyncio.ensure_future(call)
    await asyncio.wait_for(gate.entered.wait(), 5)
    await asyncio.sleep(0)
    assert not task.done(), "the handler finished without waiting for the database"
    return task


def followup_text(interaction: Any) -> str:
    kwargs = sent(interaction.followup.send)
    assert kwargs["ephemeral"] is True
    return str(kwargs.get("content") or "")


def component(bot: Any, user: Any) -> Any:
    return MockInteraction(client=bot, user=user, type=discord.InteractionType.component)


# -- the reminder's Done button -------------------------------------------------------------------


async def test_done_opens_the_walk_form_before_it_records_done(bot: Any, gated: Any) -> None:
    user = MockUser()
    interaction = component(bot, user)
    gate = gated(interaction)
    due = datetime(2026, 3, 3, 6, 30, tzinfo=UTC)
    task = await held(gate, DoneButton(user.id, int(due.timestamp())).callback(interaction))
    interaction.response.send_modal.assert_awaited_once()  # the form is open while the db waits
    assert gate.calls and all(answered for _, answered in gate.calls)
    gate.gate.set()
    await asyncio.wait_for(task, 5)
    assert gate.writes() == [("write", True)]  # the acknowledgement is recorded after all
    interaction.followup.send.assert_not_awaited()


async def test_done_with_the_database_down_still_opens_the_form(
    bot: Any, gated: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user = MockUser()
    interaction = component(bot, user)
    gate = gated(interaction)
    gate.fail = True
    with caplog.at_level(logging.ERROR):
        await DoneButton(user.id, 1_750_000_000).callback(interaction)
    interaction.response.send_modal.assert_awaited_once()
    interaction.followup.send.assert_not_awaited()  # the form is up; no error message on top
    assert any("could not mark the reminder" in r.getMessage() for r in caplog.records)


# -- /privacy delete's confirm button --------------------------------------------------------------


async def test_the_delete_confirm_defers_before_it_erases(
    bot: Any, db: Database, gated: Any
) -> None:
    user = MockUser()
    await log_walk_for(bot, user.id, 25)
    interaction = component(bot, user)
    gate = gated(interaction)
    at = int(datetime.now(UTC).timestamp())
    task = await held(gate, _Confirm("del", user.id, at, bot.texts).callback(interaction))
    interaction.response.defer.assert_awaited_once()
    assert gate.calls and all(answered for _, answered in gate.calls)  # deferred first
    gate.gate.set()
    await asyncio.wait_for(task, 5)
    assert gate.writes() == [("write", True)]  # one transaction erases everything
    edit = sent(interaction.edit_original_response)
    assert edit["content"] == bot.texts("privacy_deleted") and edit["view"] is None
    assert not any((await export_user(db, user.id)).values())  # nothing lost: all erased


# -- "Was this helpful?" ----------------------------------------------------------------------------


async def asked(bot: Any) -> tuple[str, int]:
    """Someone asks; returns the Yes button's custom id of the answer and the answer's key."""
    interaction = MockInteraction(client=bot, user=MockUser())
    cog = Ask(bot)
    await cog.ask.callback(cog, interaction, question="how should i stand")
    view = sent(interaction.response.send_message)["view"]
    [yes] = [c.custom_id for c in view.children if c.custom_id.startswith("ww:fb:y:")]
    return yes, interaction.id


async def vote(bot: Any, custom_id: str, click: Any) -> Any:
    button = render.FeedbackButton(True, "x", 1)
    match = button.template.fullmatch(custom_id)
    assert match is not None
    item = await render.FeedbackButton.from_custom_id(click, button.item, match)
    return item.callback(click)


async def test_a_vote_defers_before_it_touches_the_database(
    bot: Any, db: Database, gated: Any
) -> None:
    yes, _ = await asked(bot)
    voter = MockUser()
    click = component(bot, voter)
    gate = gated(click)
    task = await held(gate, await vote(bot, yes, click))
    sent(click.response.defer)  # answered ("thinking") while the database holds the vote
    assert gate.calls and all(answered for _, answered in gate.calls)
    gate.gate.set()
    await asyncio.wait_for(task, 5)
    assert followup_text(click) == bot.texts("feedback_thanks")
    [stored] = (await export_user(db, voter.id))["feedback"]
    assert (stored["unit_id"], stored["helpful"]) == ("posture", True)


async def test_a_vote_with_the_database_down_gets_a_short_private_apology(
    bot: Any, gated: Any, caplog: pytest.LogCaptureFixture
) -> None:
    yes, _ = await asked(bot)
    click = component(bot, MockUser())
    gated(click).fail = True
    with caplog.at_level(logging.WARNING):
        await (await vote(bot, yes, click))
    assert followup_text(click) == bot.texts("feedback_unavailable")
    assert "Error id" not in followup_text(click)
    assert any("could not" in r.getMessage() and "vote" in r.getMessage() for r in caplog.records)


# -- /walk log and /reminders start -------------------------------------------------------------------


async def test_walk_log_defers_before_the_database(bot: Any, db: Database, gated: Any) -> None:
    user = MockUser()
    interaction = MockInteraction(client=bot, user=user)
    gate = gated(interaction)
    cog = Walk(bot)
    task = await held(gate, run_command(cog.log, cog, interaction, minutes=30, pain=2))
    assert sent(interaction.response.defer)["ephemeral"] is True
    assert gate.calls and all(answered for _, answered in gate.calls)
    gate.gate.set()
    await asyncio.wait_for(task, 5)
    assert "30" in followup_text(interaction)
    [walk] = await walks_between(db, user.id, date(2000, 1, 1), date(2100, 1, 1))
    assert (walk.minutes, walk.pain) == (30, 2)


async def test_reminders_start_defers_before_it_subscribes(bot: Any, gated: Any) -> None:
    user = MockUser()
    interaction = MockInteraction(client=bot, user=user)
    gate = gated(interaction)
    cog = Reminders(bot)
    call = run_command(cog.start, cog, interaction, time="07:30", timezone="Europe/Berlin")
    task = await held(gate, call)
    assert sent(interaction.response.defer)["ephemeral"] is True
    assert gate.writes() == [("write", True)]
    gate.gate.set()
    await asyncio.wait_for(task, 5)
    assert sent(interaction.followup.send)["content"] == bot.texts("reminders_started")
    status = await bot.services.reminders.status(user.id)
    assert status is not None and status.timezone == "Europe/Berlin"


async def test_reminders_status_defers_before_it_reads(bot: Any, gated: Any) -> None:
    user = MockUser()
    await bot.services.reminders.subscribe(user.id, "07:30", "Europe/Berlin")
    interaction = MockInteraction(client=bot, user=user)
    gate = gated(interaction)
    cog = Reminders(bot)
    task = await held(gate, run_command(cog.status, cog, interaction))
    assert sent(interaction.response.defer)["ephemeral"] is True
    assert gate.calls and all(answered for _, answered in gate.calls)
    gate.gate.set()
    await asyncio.wait_for(task, 5)
    kwargs = sent(interaction.followup.send)
    assert kwargs["ephemeral"] is True and "Europe/Berlin" in kwargs["embed"].description


@pytest.mark.parametrize("which", ["snooze button", "stop button", "/reminders stop"])
async def test_snooze_and_stop_defer_before_they_write(bot: Any, gated: Any, which: str) -> None:
    user = MockUser()
    await bot.services.reminders.subscribe(user.id, "07:30", "Europe/Berlin")
    interaction = component(bot, user)
    gate = gated(interaction)
    if which == "snooze button":
        call = SnoozeButton(user.id, bot.texts).callback(interaction)
    elif which == "stop button":
        call = StopButton(user.id, bot.texts).callback(interaction)
    else:
        cog = Reminders(bot)
        call = run_command(cog.stop, cog, interaction)
    task = await held(gate, call)
    assert sent(interaction.response.defer)["ephemeral"] is True
    assert gate.writes() == [("write", True)]
    gate.gate.set()
    await asyncio.wait_for(task, 5)
    text = followup_text(interaction)
    if which == "snooze button":
        assert text.startswith(bot.texts("reminder_snoozed", at="")[:10])
    else:
        assert text == bot.texts("reminders_stopped")
        assert await bot.services.reminders.status(user.id) is None


# -- the pause notice after every command ---------------------------------------------------------------


async def test_the_pause_notice_writes_only_when_there_is_one(
    bot: Any, db: Database, gated: Any
) -> None:
    user = MockUser()
    await bot.services.reminders.subscribe(user.id, "07:30", "Europe/Berlin")
    cog = Reminders(bot)
    command = SimpleNamespace(qualified_name="ask")  # any command outside /reminders

    interaction = MockInteraction(client=bot, user=user)
    gate = gated(interaction)
    gate.gate.set()
    await cog.on_app_command_completion(interaction, command)
    assert gate.writes() == []  # nothing to tell: a read, no write lock taken
    interaction.followup.send.assert_not_awaited()

    async with db.begin() as conn:
        await conn.execute(
            update(subscriptions_table)
            .where(subscriptions_table.c.user_id == user.id)
            .values(paused_reason="dms_blocked", pause_notice=True)
        )
    for told in (True, False):  # told once, then not again
        interaction = MockInteraction(client=bot, user=user)
        gate = gated(interaction)
        gate.gate.set()
        await cog.on_app_command_completion(interaction, command)
        assert len(gate.writes()) == (1 if told else 0)
        assert interaction.followup.send.await_count == (1 if told else 0)


# -- /ask and messages while the database is down -------------------------------------------------------


@pytest.mark.parametrize("question", ["how should i stand", "heat or ice"])
async def test_ask_and_a_mention_are_answered_while_the_database_is_down(
    bot: Any, gated: Any, caplog: pytest.LogCaptureFixture, question: str
) -> None:
    cog = Ask(bot)
    interaction = MockInteraction(client=bot, user=MockUser())
    gate = gated(interaction)
    gate.fail = True
    with caplog.at_level(logging.WARNING):
        await cog.ask.callback(cog, interaction, question=question)
        message = MockMessage(content=question)
        await cog.on_message(message)
    answer = sent(interaction.response.send_message)
    assert answer.get("embed") is not None or answer.get("content")
    reply = sent(message.reply)
    assert bot.texts("error", error_id="")[:20] not in str(reply.get("content"))
    # one attempt each, no retries: a log line apiece
    assert len(gate.calls) == 2
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(failures) == 2 and all("could not" in r.getMessage() for r in failures)


# -- the checklist's expiry timer -------------------------------------------------------------------------


@pytest.mark.parametrize("error", [RuntimeError("boom"), ConnectionResetError("cut")])
async def test_the_checklist_expiry_survives_any_error(
    bot: Any, caplog: pytest.LogCaptureFixture, error: Exception
) -> None:
    cog = Checklist(bot)
    cog.timeout = 0.0
    interaction = MockInteraction(client=bot)
    interaction.edit_original_response.side_effect = error
    with caplog.at_level(logging.WARNING):
        cog._arm_timer(42, interaction)
        task = cog._timers[42]
        await asyncio.wait_for(asyncio.shield(task), 5)  # raises here if the error escaped
    assert task.exception() is None
    assert cog._timers == {}  # nothing left behind
    assert any("checklist 42" in r.getMessage() for r in caplog.records)
    await cog.cog_unload()


# -- /progress: its chart library is loaded after the defer ----------------------------------------------


async def test_progress_defers_before_it_loads_the_chart_library(
    bot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.exts.journal.progress import Progress

    interaction = MockInteraction(client=bot, user=MockUser())
    seen: list[bool] = []

    class ColdModule(ModuleType):
        """Stands for ``schedules.journal.report``: notes whether the reply was deferred when
        the module's contents were first needed (a cold matplotlib import takes seconds)."""

        def __getattr__(self, name: str) -> Any:
            seen.append(interaction.response.defer.await_count == 1)
            raise AttributeError(name)

    monkeypatch.setitem(sys.modules, "schedules.journal.report", ColdModule("report"))
    cog = Progress(bot)
    await run_command(cog.progress, cog, interaction, weeks=2)
    assert seen and all(seen)
