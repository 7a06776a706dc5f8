"""The walk log, /progress, answer feedback and /privacy end to end: the real bot process, its real
database and engine, the fake Discord.

One scenario, in order, on real time (the reminder whose Done button opens the walk form is due on
a real minute, so this waits up to two minutes once; everything else happens while it waits):

- alice opts into a reminder for the next minute (her days are Berlin days from then on);
- bad walks (minutes 0 or 10,000, pain 11, a 5,000-character note) are refused privately and
  store nothing; Discord's client would not even send them;
- ``/walk log`` says which local day it logged; ``/progress`` answers privately with a PNG;
- "Was this helpful?": bob's second vote on the same answer changes his vote, not the count; a
  question the guide cannot answer is recorded; ``walkwell report`` shows both;
- the reminder's Done opens the walk form, whose bad input is refused and good input logged;
- ``/privacy export`` holds exactly that; ``/privacy delete`` (after its confirm button) leaves
  nothing: ``/reminders status`` shows none, the export is empty, and no reminder follows.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.exts.journal.walk import day_text
from tests.e2e.harness import BotProcess, confirm_erase, walkwell
from tests.fakediscord import FakeChannel, FakeDiscord, FakeInteraction, FakeMessage, FakeUser

pytestmark = [pytest.mark.e2e]

BERLIN = ZoneInfo("Europe/Berlin")
ANSWERED = "how fast should I walk?"
UNANSWERED = "what is the capital of france?"


async def answered(ix: FakeInteraction) -> FakeMessage:
    return await ix.final(timeout=10)


async def private(
    fake: FakeDiscord,
    user: FakeUser,
    name: str,
    channel: FakeChannel,
    options: dict[str, Any] | None = None,
    **kw: Any,
) -> FakeMessage:
    msg = await answered(await fake.slash(user, name, options, channel=channel, **kw))
    assert msg.ephemeral, (name, options, msg.text())
    assert not any(p.any_mass_ping for p in msg.all_pings())
    return msg


async def export(fake: FakeDiscord, user: FakeUser, channel: FakeChannel) -> dict[str, Any]:
    msg = await private(fake, user, "privacy export", channel)
    [file] = msg.attachments
    assert file.filename.endswith(".json")
    document = json.loads(file.data)
    assert document["user_id"] == str(user.id)
    return dict(document["data"])


def due_minute() -> datetime:
    now = datetime.now(BERLIN)
    ahead = 1 if now.second < 40 else 2
    return (now + timedelta(minutes=ahead)).replace(second=0, microsecond=0)


def today_texts() -> set[str]:
    """Berlin's day now, and a minute from now (a test running across midnight)."""
    now = datetime.now(BERLIN)
    return {day_text(now.date()), day_text((now + timedelta(minutes=1)).date())}


async def test_journal_over_the_wire(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Walkers")
        general = fake.add_text_channel(guild, "general")
        alice, bob = fake.add_user("alice"), fake.add_user("bob")
        for user in (alice, bob):
            fake.add_member(guild, user)
        synced = await walkwell(fake, tmp_path, "sync")
        assert synced.returncode == 0, synced.output
        registered = {c["name"] for c in fake.global_commands}
        assert {"walk", "progress", "privacy"} <= registered

        bot = BotProcess(fake, tmp_path)
        await bot.start()
        try:
            await bot.wait_ready(timeout=60)
            due = due_minute()
            await private(
                fake,
                alice,
                "reminders start",
                general,
                {"time": f"{due:%H:%M}", "timezone": "Europe/Berlin"},
            )

            # -- bad walks: refused privately, nothing stored -------------------------------------
            bad: list[dict[str, Any]] = [
                {"minutes": 0},
                {"minutes": 10_000},
                {"minutes": 20, "pain": 11},
                {"minutes": 20, "note": "x" * 5000},
            ]
            for options in bad:
                with pytest.raises(ValueError):  # Discord's client refuses these itself
                    await fake.slash(alice, "walk log", options, channel=general)
                msg = await private(fake, alice, "walk log", general, options, validate=False)
                assert "Error id" not in msg.text() and "logged" not in msg.text().lower()
            assert (await export(fake, alice, general))["walks"] == []

            # -- a walk, then the chart -------------------------------------------------------------
            logged = await private(
                fake,
                alice,
                "walk log",
                general,
                {"minutes": 20, "cadence": 95, "pain": 3, "note": "@everyone felt good"},
            )
            assert any(day in logged.text() for day in today_texts()), logged.text()
            assert "Europe/Berlin" in logged.text()

            chart = await private(fake, alice, "progress", general, {"weeks": 2})
            [png] = chart.attachments
            assert png.filename.endswith(".png") and png.data[:8] == b"\x89PNG\r\n\x1a\n"
            assert "20 min" in chart.text()
            # bob has logged nothing: his chart is his own, empty one
            theirs = await private(fake, bob, "progress", general)
            assert theirs.attachments and "20 min" not in theirs.text()

            # -- "Was this helpful?" ----------------------------------------------------------------
            answer = await answered(
                await fake.slash(alice, "ask", {"question": ANSWERED}, channel=general)
            )
            assert not answer.ephemeral
            yes = next(c for c in answer.custom_ids() if c.startswith("ww:fb:y:"))
            no = next(c for c in answer.custom_ids() if c.startswith("ww:fb:n:"))
            unit_id = yes.split(":")[3]
            for button in (yes, no):  # bob changes his mind: still one vote
                vote = await answered(await fake.click(bob, answer, button))
                assert vote.ephemeral
            assert (await answered(await fake.click(alice, answer, yes))).ephemeral
            await private(fake, alice, "ask", general, {"question": UNANSWERED})

            [bobs_vote] = (await export(fake, bob, general))["feedback"]
            assert (bobs_vote["unit_id"], bobs_vote["helpful"]) == (unit_id, False)
            assert "question" not in bobs_vote  # a vote names the unit, never the question

            report = await walkwell(fake, tmp_path, "report", "--min-votes", "1")
            assert report.returncode == 0, report.output
            assert UNANSWERED in report.output
            assert any(unit_id in line and "1 of 2" in line for line in report.output.splitlines())

            # -- the reminder's Done opens the walk form --------------------------------------------
            dm = fake.dm_channel(alice)
            wait = (due - datetime.now(BERLIN)).total_seconds() + 75
            reminder = await fake.wait_for_bot_message(dm, timeout=wait)
            done = next(c for c in reminder.custom_ids() if c.startswith("ww:rem:done:"))
            click = await fake.click(alice, reminder, done)
            form = await click.response(timeout=5)
            assert form.type == 9  # a modal, as the first response
            refused = await fake.submit_modal(alice, click, {"ww:walk:minutes": "10000"})
            assert (await answered(refused)).ephemeral
            click = await fake.click(alice, reminder, done)
            await click.response(timeout=5)
            submitted = await fake.submit_modal(
                alice, click, {"ww:walk:minutes": "25 min", "ww:walk:pain": "2"}
            )
            confirm = await answered(submitted)
            assert confirm.ephemeral and "25 min" in confirm.text()

            mine = await export(fake, alice, general)
            assert sorted(w["minutes"] for w in mine["walks"]) == [20, 25]
            assert [w["note"] for w in mine["walks"] if w["note"]] == ["@everyone felt good"]
            assert [v["helpful"] for v in mine["feedback"]] == [True]
            assert [q["question"] for q in mine["unanswered"]] == [UNANSWERED]
            assert mine["subscriptions"] and mine["user"] is not None

            # -- /privacy delete leaves nothing -----------------------------------------------------
            prompt = await private(fake, alice, "privacy delete", general)
            erase = next(c for c in prompt.custom_ids() if c.startswith("ww:priv:del:"))
            with pytest.raises(ValueError):  # nobody else can see it, so nobody else can click it
                await fake.click(bob, prompt, erase)
            await confirm_erase(fake, alice, prompt)

            status = await private(fake, alice, "reminders status", general)
            assert "off" in status.text().lower()
            after = await export(fake, alice, general)
            assert all(not value for value in after.values()), after
            # bob's vote is his and stays; it never held alice's words
            bobs = await export(fake, bob, general)
            assert len(bobs["feedback"]) == 1 and ANSWERED not in json.dumps(bobs)

            assert fake.problems() == []
            assert not fake.mass_pings()
        except BaseException:
            print(bot.log_tail(200), file=sys.stderr)
            raise
        finally:
            await bot.stop()
        bot.assert_clean_exit()
