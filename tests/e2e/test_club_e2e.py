"""The walking club end to end: the real bot process, its real engine and clock, the fake Discord.

One scenario on real time (the walk call is due on a real minute, so this waits up to two
minutes once); the week boundary and its summary are covered on a fixed clock in
``tests/schedules/club``:

- a member's ``/club setup`` is refused privately; setup in a channel the bot cannot post in,
  or with a bad time, is refused and stores nothing; the admin's setup works;
- the call arrives within 60 s of its minute, pinging only the club's role;
- three presses count three, a repeat changes nothing, the count edit shows 3;
- the erase of a presser drops the day's count by one, in status and on the posted call;
- a restart sends no second call; ``/club status``; ``/club stop``; a deleted channel pauses the
  club; the bot removed from a server pauses that club until setup runs again.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.harness import confirm_erase, running_bot, walkwell
from tests.fakediscord import FakeChannel, FakeDiscord, FakeInteraction, FakeMessage, FakeUser
from tests.fakediscord.models import MANAGE_GUILD, SEND_MESSAGES

pytestmark = [pytest.mark.e2e]

BERLIN = ZoneInfo("Europe/Berlin")


async def answered(ix: FakeInteraction) -> FakeMessage:
    return await ix.final(timeout=10)


async def private(
    fake: FakeDiscord,
    user: FakeUser,
    command: str,
    channel: FakeChannel,
    options: dict | None = None,
) -> FakeMessage:
    msg = await answered(await fake.slash(user, command, options or {}, channel=channel))
    assert msg.ephemeral, msg.text()
    assert not any(p.any_mass_ping for p in msg.all_pings())
    return msg


def calls_in(fake: FakeDiscord, channel: FakeChannel) -> list[FakeMessage]:
    return [m for m in fake.bot_messages(channel) if m.kind == "channel" and not m.ephemeral]


def due_minute() -> datetime:
    now = datetime.now(BERLIN)
    ahead = 1 if now.second < 40 else 2
    return (now + timedelta(minutes=ahead)).replace(second=0, microsecond=0)


def shown_count(message: FakeMessage) -> int | None:
    found = re.search(r"(\d+) walked today", message.embeds[0]["description"])
    return int(found.group(1)) if found else None


async def test_club_over_the_wire(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Walkers")
        general = fake.add_text_channel(guild, "general")
        walks = fake.add_text_channel(guild, "walks")
        quiet = fake.add_text_channel(guild, "quiet")
        fake.set_channel_overwrite(quiet, fake.bot_user, deny=SEND_MESSAGES)
        admins = fake.add_role(guild, "admins", permissions=MANAGE_GUILD, mentionable=False)
        walkers = fake.add_role(guild, "walkers", mentionable=True)
        admin, alice, bob, carol = (fake.add_user(n) for n in ("admin", "alice", "bob", "carol"))
        fake.add_member(guild, admin, roles=[admins])
        for user in (alice, bob, carol):
            fake.add_member(guild, user)
        other = fake.add_guild("Others")
        other_channel = fake.add_text_channel(other, "walks")
        fake.add_member(
            other, admin, roles=[fake.add_role(other, "mods", permissions=MANAGE_GUILD)]
        )
        synced = await walkwell(fake, tmp_path, "sync")
        assert synced.returncode == 0, synced.output

        async with running_bot(fake, tmp_path, ready_timeout=60):
            due = due_minute()
            good = {"channel": walks, "time": f"{due:%H:%M}", "timezone": "Europe/Berlin"}
            # -- refusals: private, nothing stored ---------------------------------------------
            refused = await private(fake, alice, "club setup", general, good)
            assert "Manage Server" in refused.text()
            refused = await private(fake, alice, "club stop", general)
            assert "Manage Server" in refused.text()
            cannot = await private(fake, admin, "club setup", general, {**good, "channel": quiet})
            assert "send messages" in cannot.text()
            bad = await private(fake, admin, "club setup", general, {**good, "time": "25:99"})
            assert "Hours" in bad.text() or "time" in bad.text()
            assert "no walking club" in (await private(fake, bob, "club status", general)).text()

            # -- the admin sets it up ------------------------------------------------------------
            done = await private(fake, admin, "club setup", general, {**good, "role": walkers})
            assert f"<t:{int(due.timestamp())}:F>" in done.text(), done.text()
            status = await private(fake, bob, "club status", general)
            assert f"<t:{int(due.timestamp())}:F>" in status.text()
            assert "Today: 0 walked" in status.text()
            # the other server's club, for the removal below
            await private(
                fake,
                admin,
                "club setup",
                other_channel,
                {"channel": other_channel, "time": "6:00", "timezone": "Europe/Berlin"},
            )

            # -- the call ------------------------------------------------------------------------
            wait = (due - datetime.now(BERLIN)).total_seconds() + 75
            call = await fake.wait_for_bot_message(
                walks, timeout=wait, predicate=lambda m: m.kind == "channel"
            )
            assert timedelta(0) <= call.timestamp - due.astimezone(UTC) <= timedelta(seconds=60)
            pings = call.pings()
            assert pings.roles == frozenset({walkers.id})
            assert not pings.everyone and not pings.users
            assert call.nonce is not None
            assert shown_count(call) == 0
            walked = next(c for c in call.custom_ids() if c.startswith("ww:club:walk:"))

            # -- three presses, then a repeat ----------------------------------------------------
            for user in (alice, bob, carol):
                thanks = await answered(await fake.click(user, call, walked))
                assert thanks.ephemeral and "Thank you" in thanks.text()
            again = await answered(await fake.click(bob, call, walked))
            assert again.ephemeral and "already counted" in again.text()
            await fake.wait_until(lambda: shown_count(call) == 3, timeout=15)
            assert len(call.history) <= 4  # the post, then paced edits (not one per press)
            assert "Today: 3 walked" in (await private(fake, bob, "club status", general)).text()

            # -- the erase of a presser -----------------------------------------------------------
            prompt = await private(fake, carol, "privacy delete", general)
            await confirm_erase(fake, carol, prompt)
            assert "Today: 2 walked" in (await private(fake, bob, "club status", general)).text()
            await fake.wait_until(lambda: shown_count(call) == 2, timeout=15)  # the call, too
            assert len(calls_in(fake, walks)) == 1

        # -- a restart on the same database: no second call ---------------------------------------
        async with running_bot(fake, tmp_path, ready_timeout=60):
            await asyncio.sleep(5)  # the catch-up sweep runs at start
            assert len(calls_in(fake, walks)) == 1
            status = await private(fake, alice, "club status", general)
            assert "Next walk call" in status.text() and "Today: 2 walked" in status.text()

            # -- stop, then setup again resumes; a deleted channel pauses ----------------------------
            refused = await private(fake, bob, "club stop", general)
            assert "Manage Server" in refused.text()
            stopped = await private(fake, admin, "club stop", general)
            assert "stopped" in stopped.text()
            assert "Stopped" in (await private(fake, alice, "club status", general)).text()
            await private(fake, admin, "club setup", general, good)
            assert "Next walk call" in (await private(fake, alice, "club status", general)).text()
            fake.delete_channel(walks)
            await asyncio.sleep(1)
            paused = (await private(fake, alice, "club status", general)).text()
            assert "Paused" in paused and "deleted" in paused

            # -- the bot removed from a server: that club stays paused when it is invited back ---
            fake.remove_bot_from(other)
            await asyncio.sleep(1)
            fake.add_bot_to(other)
            await asyncio.sleep(1)
            removed = (await private(fake, admin, "club status", other_channel)).text()
            assert "removed" in removed
            assert len(calls_in(fake, walks)) == 1
            # only the walk call pinged a role, and only its own
            assert [m.id for m in fake.mass_pings()] == [call.id]
            mass = f"mass ping possible: {call!r}"  # the walk call's role ping, allowed
            assert [p for p in fake.problems() if p != mass] == []
