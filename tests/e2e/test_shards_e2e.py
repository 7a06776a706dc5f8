"""Two bot processes, two shards, one PostgreSQL database: every reminder is sent exactly once.

The real bot (``python -m bot``) runs twice with ``DISCORD_SHARD_ID`` 0 and 1 of
``DISCORD_SHARD_COUNT`` 2 against the fake Discord, on a fresh database of the local PostgreSQL
server. People in both shards' guilds opt in for the next minute; both processes sweep the same
table, and each reminder goes out once. Waits for one real minute.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from tests.e2e.harness import BotProcess, walkwell
from tests.fakediscord import FakeDiscord

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

ADMIN_DSN = os.environ.get(
    "WALKWELL_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
ZONE = ZoneInfo("America/New_York")


@pytest_asyncio.fixture
async def database_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    import asyncpg

    try:
        admin = await asyncpg.connect(ADMIN_DSN, timeout=5)
    except Exception as exc:
        message = f"PostgreSQL at {ADMIN_DSN} is unreachable ({type(exc).__name__}: {exc})"
        if os.environ.get("WALKWELL_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{message}, and WALKWELL_REQUIRE_POSTGRES=1")
        pytest.skip(f"{message}; set WALKWELL_REQUIRE_POSTGRES=1 to make this a failure")
    name = f"ww_shards_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_two_shards_one_database_send_each_reminder_once(
    tmp_path: Path, database_url: str
) -> None:
    async with FakeDiscord() as fake:
        guilds = [fake.add_guild(f"club {i}", shard=(i, 2)) for i in range(2)]
        channels = [fake.add_text_channel(g, "general") for g in guilds]
        people = [fake.add_user(f"walker{i}") for i in range(8)]
        for i, person in enumerate(people):
            fake.add_member(guilds[i % 2], person)
        synced = await walkwell(fake, tmp_path, "sync", env={"DATABASE_URL": database_url})
        assert synced.returncode == 0, synced.output

        bots = [
            BotProcess(
                fake,
                tmp_path / f"shard{i}",
                env={**fake.shard_env(i, 2), "DATABASE_URL": database_url},
            )
            for i in range(2)
        ]
        for bot in bots:
            await bot.start()
        try:
            await fake.wait_ready(timeout=90)
            assert sorted(s.shard[0] for s in fake.gateway.shards.values()) == [0, 1]
            now = datetime.now(ZONE)
            due = (now + timedelta(minutes=1 if now.second < 45 else 2)).replace(
                second=0, microsecond=0
            )
            for i, person in enumerate(people):
                where = "here" if i % 4 == 3 else "dm"
                ix = await fake.slash(
                    person,
                    "reminders start",
                    {"time": f"{due:%H:%M}", "timezone": "new york", "where": where},
                    channel=channels[i % 2],
                )
                msg = await ix.final(timeout=10)
                assert msg.ephemeral and f"<t:{int(due.timestamp())}:F>" in msg.text(), msg.text()

            def reminders() -> list[int]:
                """The person each reminder went to (DM recipient, or the one pinged)."""
                out = []
                for m in fake.bot_messages():
                    if m.kind != "channel" or not any(
                        c.startswith("ww:rem:done:") for c in m.custom_ids()
                    ):
                        continue
                    out.append(int(m.custom_ids()[0].split(":")[3]))
                return out

            wait = (due - datetime.now(ZONE)).total_seconds() + 75
            await fake.wait_until(
                lambda: len(set(reminders())) == len(people), timeout=wait, what="8 reminders"
            )
            await asyncio.sleep(5)  # both processes have swept the due minute by now
            counts = Counter(reminders())
            assert counts == Counter({p.id: 1 for p in people})
            assert fake.nonce_dedupes == 0  # not even a second attempt reached Discord
            assert not fake.mass_pings()
            logs = [bot.log_text() for bot in bots]
            assert all("reminder engine started" in text for text in logs)
        except BaseException:
            for bot in bots:
                print(bot.log_tail(80), file=sys.stderr)
            raise
        finally:
            for bot in bots:
                await bot.stop()
        for bot in bots:
            bot.assert_clean_exit()
