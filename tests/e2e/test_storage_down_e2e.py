"""Questions are answered while storage fails, over the wire: the real bot process with its SQLite
database locked by another process (every write waits out the busy timeout, then fails).

- ``/ask`` (answered and not answered), a mention and a DM are answered as usual, each
  interaction within Discord's 3 seconds; the bookkeeping after each (the question kept for votes,
  the unanswered question) fails with one log line apiece, and is not retried;
- a vote, ``/walk log`` and the ``/privacy delete`` confirm are acknowledged at once (never
  "interaction failed"); the vote then gets the short private apology, the others a private error;
- once the lock is gone, a vote counts again, the erase goes through, and nothing went wrong on
  the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.content import default_library
from tests.e2e.harness import BotProcess, running_bot, walkwell
from tests.fakediscord import FakeDiscord, FakeInteraction, FakeMessage
from tests.fakediscord.cast import Cast

pytestmark = [pytest.mark.e2e]

ANSWERED = "how fast should I walk?"
UNANSWERED = "what is the capital of france?"
#: Discord's callback types: a reply, a deferred reply ("thinking"), a deferred update.
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE = 4, 5, 6


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Another process's write lock on the SQLite database at ``path`` (readers go on: WAL)."""
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        yield
        conn.execute("ROLLBACK")
    finally:
        conn.close()


async def in_time(ix: FakeInteraction) -> int:
    """The first callback's type; the fake refuses one later than 3 seconds (10062)."""
    response = await ix.response(timeout=3)
    assert not ix.rejected, ix.rejected
    return response.type


async def logged(bot: BotProcess, line: str, count: int) -> int:
    """Wait (up to 40 s) until ``line`` is in the bot's log ``count`` times; returns how often
    it is."""
    for _ in range(200):
        if bot.log_text().count(line) >= count:
            break
        await asyncio.sleep(0.2)
    return bot.log_text().count(line)


def _answers_kept(path: Path) -> int:
    with contextlib.closing(sqlite3.connect(path, timeout=1)) as conn:
        return int(conn.execute("SELECT count(*) FROM answers").fetchone()[0])


def erase_button(msg: FakeMessage) -> str:
    return next(c for c in msg.custom_ids() if c.startswith("ww:priv:del:"))


def yes_button(msg: FakeMessage) -> str:
    [yes] = [c for c in msg.custom_ids() if c.startswith("ww:fb:y:")]
    return yes


async def test_questions_are_answered_while_storage_fails(tmp_path: Path) -> None:
    library = default_library()
    async with FakeDiscord() as fake:
        cast = Cast.join(fake, "Walkers")
        general = cast.general
        synced = await walkwell(fake, tmp_path, "sync")
        assert synced.returncode == 0, synced.output
        async with running_bot(fake, tmp_path, ready_timeout=60) as bot:
            # An answer to vote on, while storage works.
            before = await (
                await fake.slash(cast.alice, "ask", {"question": ANSWERED}, channel=general)
            ).final(timeout=10)
            [embed] = before.embeds
            title = embed["title"]

            prompt = await (await fake.slash(cast.alice, "privacy delete", channel=general)).final(
                timeout=10
            )
            # the answer's bookkeeping (its question, kept for votes) is written before the lock
            await fake.wait_until(
                lambda: _answers_kept(tmp_path / "walkwell.db") == 1,
                timeout=10,
                what="the first answer's question to be kept",
            )

            with locked(tmp_path / "walkwell.db"):
                ask = await fake.slash(cast.bob, "ask", {"question": ANSWERED}, channel=general)
                miss = await fake.slash(cast.bob, "ask", {"question": UNANSWERED}, channel=general)
                mention = await fake.user_message(cast.bob, general, "<@BOT> " + ANSWERED)
                dm = await fake.user_dm(cast.alice, ANSWERED)
                vote = await fake.click(cast.bob, before, yes_button(before))
                erase = await fake.click(cast.alice, prompt, erase_button(prompt))
                walk = await fake.slash(cast.bob, "walk log", {"minutes": 20}, channel=general)

                # every interaction is answered or deferred within Discord's 3 seconds
                assert await in_time(ask) == CHANNEL_MESSAGE
                assert await in_time(miss) == CHANNEL_MESSAGE
                assert await in_time(vote) == DEFERRED_CHANNEL_MESSAGE
                assert await in_time(walk) == DEFERRED_CHANNEL_MESSAGE
                assert await in_time(erase) == DEFERRED_UPDATE_MESSAGE

                answer = await ask.final(timeout=10)
                assert answer.embeds[0]["title"] == title
                assert library.disclaimer in answer.text()
                nothing = await miss.final(timeout=10)
                assert nothing.ephemeral and nothing.text()
                reply = await fake.wait_for_bot_message(
                    general, after=mention, timeout=10, predicate=lambda m: m.referenced is mention
                )
                assert reply.referenced is mention and reply.embeds[0]["title"] == title
                direct = await fake.wait_for_bot_message(dm.channel, after=dm, timeout=10)
                assert direct.referenced is dm and direct.embeds[0]["title"] == title

                # the writes wait out SQLite's busy timeout (10 s), then fail
                sorry = await vote.final(timeout=40)
                assert sorry.ephemeral
                assert sorry.text() == bot_text("feedback_unavailable")
                failed = await walk.final(timeout=40)
                assert failed.ephemeral and "logged" not in failed.text().lower()
                # the erase failed: said privately, the prompt is still there to try again
                [kept] = await fake.wait_until(
                    lambda: erase.followups, timeout=40, what="the erase's follow-up"
                )
                assert kept.ephemeral and "Error id" in kept.text() and prompt.components

                # the bookkeeping: one quiet line per question (the /ask, the mention, the DM;
                # the unanswered one), no retries
                remembered = "could not remember the question of answer"
                assert await logged(bot, remembered, 3) == 3
                assert await logged(bot, "could not record an unanswered question", 1) == 1

            # storage is back: votes count again
            again = await fake.click(cast.bob, before, yes_button(before))
            assert await in_time(again) == DEFERRED_CHANNEL_MESSAGE
            thanks = await again.final(timeout=10)
            assert thanks.ephemeral and thanks.text() == bot_text("feedback_thanks")
            erase = await fake.click(cast.alice, prompt, erase_button(prompt))
            assert await in_time(erase) == DEFERRED_UPDATE_MESSAGE
            await fake.wait_until(
                lambda: not prompt.components and prompt.text() == bot_text("privacy_deleted"),
                timeout=10,
                what="the delete prompt to show its result",
            )
            await asyncio.sleep(1)
            assert bot.log_text().count(remembered) == 3  # nothing was retried
        assert fake.problems() == []
        assert all(ix.responses for ix in fake.interactions)


def bot_text(key: str) -> str:
    from knowledge.texts import Texts

    return Texts.from_library(default_library())(key)
