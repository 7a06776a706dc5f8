"""Daily reminders end to end: the real bot process, its real engine and clock, the fake Discord.

One scenario, in order, on real time (a reminder is due on a real minute, so this waits up to
two minutes once):

- bad times and timezones are refused privately and store nothing;
- alice (DM), bob (``where: here``), carol (DMs closed) and dave (opts out again) opt in for the
  next minute;
- alice's DM arrives within 60 s of the due minute, with Done / Snooze / Stop; bob's reminder is
  posted in the channel pinging only him; carol is paused after one refused attempt and told so on
  her next command; dave gets nothing;
- after a restart on the same database nobody gets a second reminder that day.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.harness import running_bot, walkwell
from tests.fakediscord import FakeChannel, FakeDiscord, FakeInteraction, FakeMessage, FakeUser
from tests.fakediscord.models import SEND_MESSAGES

pytestmark = [pytest.mark.e2e]

BERLIN = ZoneInfo("Europe/Berlin")


async def answered(ix: FakeInteraction) -> FakeMessage:
    return await ix.final(timeout=10)


def reminders_to(fake: FakeDiscord, channel: FakeChannel) -> list[FakeMessage]:
    return [m for m in fake.bot_messages(channel) if m.kind == "channel" and not m.ephemeral]


async def status_text(fake: FakeDiscord, user: FakeUser, channel: FakeChannel) -> str:
    msg = await answered(await fake.slash(user, "reminders status", channel=channel))
    assert msg.ephemeral
    return msg.text()


def due_minute() -> datetime:
    """The next whole minute in Berlin that leaves time to opt in before it."""
    now = datetime.now(BERLIN)
    ahead = 1 if now.second < 45 else 2
    return (now + timedelta(minutes=ahead)).replace(second=0, microsecond=0)


async def test_reminders_over_the_wire(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Walkers")
        general = fake.add_text_channel(guild, "general")
        quiet = fake.add_text_channel(guild, "quiet")
        doomed = fake.add_text_channel(guild, "doomed")
        alice, bob, carol, dave, eve = (
            fake.add_user(n) for n in ("alice", "bob", "carol", "dave", "eve")
        )
        for user in (alice, bob, carol, dave, eve):
            fake.add_member(guild, user)
        fake.set_channel_overwrite(quiet, fake.bot_user, deny=SEND_MESSAGES)
        fake.block_dms(carol)
        synced = await walkwell(fake, tmp_path, "sync")
        assert synced.returncode == 0, synced.output

        async with running_bot(fake, tmp_path, ready_timeout=60):
            # -- bad input: a private error, nothing stored ------------------------------------
            for options in (
                {"time": "25:99", "timezone": "Europe/Berlin"},
                {"time": "7:30", "timezone": "Mars/Olympus_Mons"},
                {"time": "@everyone " + "9" * 30, "timezone": "berlin"},
            ):
                ix = await fake.slash(alice, "reminders start", options, channel=general)
                msg = await answered(ix)
                assert msg.ephemeral, options
                assert not any(p.any_mass_ping for p in msg.all_pings())
            assert "off" in (await status_text(fake, alice, general)).lower()

            # timezone autocomplete: fuzzy, each choice with its current local time
            choices = await fake.autocomplete(
                alice,
                "reminders start",
                {"time": "7:30", "timezone": "new york"},
                focused="timezone",
            )
            assert 1 <= len(choices) <= 25
            assert choices[0]["value"] == "America/New_York"
            assert f"{datetime.now(ZoneInfo('America/New_York')):%H}:" in choices[0]["name"]

            # where: here in a channel the bot cannot post in is refused up front
            ix = await fake.slash(
                bob,
                "reminders start",
                {"time": "7:30", "timezone": "Europe/Berlin", "where": "here"},
                channel=quiet,
            )
            assert (await answered(ix)).ephemeral
            assert "off" in (await status_text(fake, bob, general)).lower()

            # -- opting in for the next minute ---------------------------------------------------
            due = due_minute()
            for user, options, channel in (
                (alice, {"time": f"{due:%H:%M}", "timezone": "berlin"}, general),
                (
                    bob,
                    {
                        "time": f"{due:%I:%M%p}".lstrip("0").lower(),
                        "timezone": "Europe/Berlin",
                        "where": "here",
                    },
                    general,
                ),
                (carol, {"time": f"{due:%H:%M}", "timezone": "Europe/Berlin"}, general),
                (dave, {"time": f"{due:%H:%M}", "timezone": "Europe/Berlin"}, general),
                (
                    eve,
                    {"time": f"{due:%H:%M}", "timezone": "Europe/Berlin", "where": "here"},
                    doomed,
                ),
            ):
                msg = await answered(
                    await fake.slash(user, "reminders start", options, channel=channel)
                )
                assert msg.ephemeral
                assert f"<t:{int(due.timestamp())}:F>" in msg.text(), msg.text()
            stopped = await answered(await fake.slash(dave, "reminders stop", channel=general))
            assert stopped.ephemeral
            fake.delete_channel(doomed)  # eve's channel goes before her reminder is due

            # -- the due minute ------------------------------------------------------------------
            alice_dm = fake.dm_channel(alice)
            wait = (due - datetime.now(BERLIN)).total_seconds() + 75
            got = await fake.wait_for_bot_message(alice_dm, timeout=wait)
            assert timedelta(0) <= got.timestamp - due.astimezone(UTC) <= timedelta(seconds=60)
            assert got.embeds and got.embeds[0]["footer"]["text"]
            ids = got.custom_ids()
            done = next(c for c in ids if c.startswith("ww:rem:done:"))
            snooze = next(c for c in ids if c.startswith("ww:rem:snooze:"))
            assert any(c.startswith("ww:rem:stop:") for c in ids)
            assert got.nonce is not None

            in_channel = await fake.wait_for_bot_message(
                general, timeout=30, predicate=lambda m: m.kind == "channel"
            )
            pings = in_channel.pings()
            assert pings.users == frozenset({bob.id}) and not pings.any_mass_ping
            # someone else's buttons are not yours
            other = await answered(
                await fake.click(
                    alice,
                    in_channel,
                    next(c for c in in_channel.custom_ids() if c.startswith("ww:rem:snooze:")),
                )
            )
            assert other.ephemeral and "belong" in other.text()

            # snooze is a one-off: the daily time stays
            snoozed = await answered(await fake.click(alice, got, snooze))
            assert snoozed.ephemeral and "<t:" in snoozed.text()
            status = await status_text(fake, alice, general)
            assert "Snoozed" in status and f"{due:%H:%M}" in status
            # Done acknowledges the reminder and opens the walk log's form (a modal)
            acked = await fake.click(alice, got, done)
            assert (await acked.response(timeout=10)).type == 9

            # carol: paused after one refused DM, no retry storm, told on her next command
            await fake.wait_until(lambda: fake.blocked_dm_attempts >= 1, timeout=30)
            await asyncio.sleep(3)
            assert fake.blocked_dm_attempts == 1
            faq = await fake.slash(carol, "faq", channel=general)
            await answered(faq)
            notice = await faq.followup(timeout=10)
            assert notice.ephemeral and "paused" in notice.text()
            assert "paused" in (await status_text(fake, carol, general)).lower()

            # eve: her channel is gone, so one DM instead, then paused
            fallback = await fake.wait_for_bot_message(fake.dm_channel(eve), timeout=30)
            assert "DM" in fallback.text()
            assert "paused" in (await status_text(fake, eve, general)).lower()

            assert reminders_to(fake, fake.dm_channel(dave)) == []
            sent_before = len(reminders_to(fake, alice_dm)), len(reminders_to(fake, general))
            assert sent_before == (1, 1)

        # -- restart on the same database: no second reminder that day ---------------------------
        async with running_bot(fake, tmp_path, ready_timeout=60):
            await asyncio.sleep(5)  # the catch-up sweep runs at start
            after = len(reminders_to(fake, alice_dm)), len(reminders_to(fake, general))
            assert after == sent_before
            assert len(reminders_to(fake, fake.dm_channel(eve))) == 1
            assert fake.blocked_dm_attempts == 1
            assert not fake.mass_pings()
            assert fake.problems() == []
