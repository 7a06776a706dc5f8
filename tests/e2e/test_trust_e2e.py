"""Privacy and fair use over the wire: the real bot process, its real database, the fake Discord.

- bob votes on alice's public answer: bob's ``/privacy export`` holds nothing of alice's question,
  before and after alice's ``/privacy delete``; alice's own export holds it until then;
- carol sends 30 mentions in under 20 s: at most 8 replies (6 answers and one notice), while
  dave, in the same channel, is answered at once;
- erin may not send messages in #announcements: ``/reminders start where:here`` there is refused
  privately, and nothing is stored.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from knowledge.content import default_library
from knowledge.texts import Texts
from tests.e2e.harness import confirm_erase, running_bot, walkwell
from tests.e2e.test_journal_e2e import answered, private
from tests.fakediscord import FakeChannel, FakeDiscord, FakeMessage, FakeUser
from tests.fakediscord.cast import Cast
from tests.fakediscord.models import SEND_MESSAGES

pytestmark = [pytest.mark.e2e]

QUESTION = "how fast should I walk on a treadmill with my sore back?"
TEXTS = Texts.from_library(default_library())


async def export(fake: FakeDiscord, user: FakeUser, channel: FakeChannel) -> str:
    """The user's export document, as the JSON text they receive."""
    [file] = (await private(fake, user, "privacy export", channel)).attachments
    document = json.loads(file.data)
    assert document["user_id"] == str(user.id)
    return json.dumps(document["data"])


def replies_to(fake: FakeDiscord, channel: FakeChannel, user: FakeUser) -> list[FakeMessage]:
    return [
        m
        for m in fake.bot_messages(channel)
        if m.referenced is not None and m.referenced.author is user
    ]


async def answered_at_once(fake: FakeDiscord, user: FakeUser, channel: FakeChannel) -> None:
    asked = await fake.user_message(user, channel, "which shoes?", mention_bot=True)
    await fake.wait_for_bot_message(
        channel, after=asked, timeout=5, predicate=lambda m: m.referenced is asked
    )


async def test_privacy_and_fair_use_over_the_wire(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        cast = Cast.join(fake, "Walkers")
        general, alice, bob = cast.general, cast.alice, cast.bob
        flood = fake.add_text_channel(cast.guild, "flood")
        announcements = fake.add_text_channel(cast.guild, "announcements")
        carol, dave, erin = (fake.add_user(n) for n in ("carol", "dave", "erin"))
        for user in (carol, dave, erin):
            fake.add_member(cast.guild, user)
        fake.set_channel_overwrite(announcements, erin, deny=SEND_MESSAGES)
        synced = await walkwell(fake, tmp_path, "sync")
        assert synced.returncode == 0, synced.output

        async with running_bot(
            fake, tmp_path, ready_timeout=60, env={"WALKWELL_ASK_PER_MINUTE": "6"}
        ):
            # -- a vote names no question -------------------------------------------------------
            answer = await answered(
                await fake.slash(alice, "ask", {"question": QUESTION}, channel=general)
            )
            assert not answer.ephemeral
            no = next(c for c in answer.custom_ids() if c.startswith("ww:fb:n:"))
            assert (await answered(await fake.click(bob, answer, no))).ephemeral
            bobs = await export(fake, bob, general)
            assert json.loads(bobs)["feedback"], bobs  # bob's vote is there ...
            assert "treadmill" not in bobs  # ... and nothing of alice's question
            assert "treadmill" in await export(fake, alice, general)  # hers, while she keeps it

            prompt = await private(fake, alice, "privacy delete", general)
            await confirm_erase(fake, alice, prompt)
            assert "treadmill" not in await export(fake, alice, general)
            bobs = await export(fake, bob, general)
            assert json.loads(bobs)["feedback"] and "treadmill" not in bobs

            # -- fair use: one person flooding, another answered at once ------------------------
            for i in range(30):  # 30 messages in about 15 s
                await fake.user_message(carol, flood, f"which shoes {i}?", mention_bot=True)
                if i == 15:
                    await answered_at_once(fake, dave, flood)
                await asyncio.sleep(0.5)
            await asyncio.sleep(2)  # replies still on their way arrive (none are expected)
            carols = replies_to(fake, flood, carol)
            assert 7 <= len(carols) <= 8, [m.text() for m in carols]
            notice = TEXTS("ask_too_many", seconds=60).split(":")[0]
            assert sum(1 for m in carols if m.text().startswith(notice)) == 1
            assert len(replies_to(fake, flood, dave)) == 1

            # -- where: here needs the member's own Send Messages ------------------------------
            refused = await private(
                fake,
                erin,
                "reminders start",
                announcements,
                {"time": "7:30", "timezone": "Europe/Berlin", "where": "here"},
            )
            assert refused.text() == TEXTS("here_member_cannot_send")
            status = await private(fake, erin, "reminders status", general)
            assert "off" in status.text().lower()
            assert json.loads(await export(fake, erin, general))["subscriptions"] == []

            assert fake.problems() == []
            assert not fake.mass_pings()
