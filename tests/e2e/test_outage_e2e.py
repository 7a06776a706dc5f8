"""A PostgreSQL outage in the middle of a reminder fan-out loses nothing and sends nothing twice.

The real bot (``python -m bot``) talks to the fake Discord and to a fresh database of the local
PostgreSQL server through :class:`PgProxy`, a TCP proxy in this test (127.0.0.1 only) that can cut
every open connection and refuse new ones. 120 people are due in the same minute; the send rate
is lowered so the fan-out lasts about half a minute, and once a fifth of the reminders are out the
database disappears for 40 s, longer than the claim lease (``WALKWELL_REMINDER_LEASE_SECONDS=30``).
Every reminder arrives exactly once, the process lives on, and ``/ask`` asked during the outage
is answered within Discord's 3 seconds (counted by the fake from the interaction's creation).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from schedules.store.db import Database
from tests.e2e.harness import BotProcess
from tests.e2e.test_shards_e2e import database_url
from tests.fakediscord import FakeDiscord
from tests.schedules.reminders.helpers import seed

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

__all__ = ["database_url"]  # the fresh-database fixture, shared with the shards test
PEOPLE = 120
OUTAGE_SECONDS = 40.0


class PgProxy:
    """A TCP proxy to PostgreSQL that can cut its connections and refuse new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.refusing = False
        self.accepted = 0
        self.refused = 0
        self.cut = 0
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)

    async def close(self) -> None:
        self.cut_all()
        if self._server is not None:
            self._server.close()

    def cut_all(self) -> None:
        """Abort every open connection (both sides see a reset)."""
        for client, upstream in list(self._pairs):
            client.transport.abort()
            upstream.transport.abort()
            self.cut += 1
        self._pairs.clear()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refusing:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.accepted += 1
        pair = (writer, up_writer)
        self._pairs.add(pair)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, ConnectionError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort() if dst.transport else None

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        finally:
            self._pairs.discard(pair)


async def test_a_database_outage_mid_fan_out_loses_and_repeats_nothing(
    tmp_path: Path, database_url: str
) -> None:
    workdir = tmp_path
    url = make_url(database_url)
    proxy = PgProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)

    async with FakeDiscord() as fake:
        guild = fake.add_guild("walkers")
        channel = fake.add_text_channel(guild, "general")
        people = [fake.add_user(f"walker{i}") for i in range(PEOPLE)]
        for person in people:
            fake.add_member(guild, person)
        asker = fake.add_user("asker")
        fake.add_member(guild, asker)

        # all due in the current minute: the bot's catch-up sweep at start sends them on time
        due = datetime.now(UTC).replace(second=0, microsecond=0)
        db = await Database.open(database_url)
        try:
            await seed(db, [p.id for p in people], due)
        finally:
            await db.close()

        bot = BotProcess(
            fake,
            workdir / "bot",
            env={
                "DATABASE_URL": proxied,
                "WALKWELL_REMINDER_LEASE_SECONDS": "30",
                "WALKWELL_REMINDER_SEND_RATE": "4",
                "WALKWELL_REMINDER_SEND_BURST": "1",
            },
        )

        def reminders() -> list[int]:
            """The person each reminder went to."""
            out = []
            for m in fake.bot_messages():
                ids = m.custom_ids()
                if ids and ids[0].startswith("ww:rem:done:"):
                    out.append(int(ids[0].split(":")[3]))
            return out

        await bot.start()
        try:
            await fake.wait_ready(timeout=90)
            await fake.wait_until(
                lambda: len(reminders()) >= PEOPLE // 5, timeout=90, what="the fan-out to start"
            )
            # the database goes away in the middle of the fan-out
            proxy.refusing = True
            proxy.cut_all()
            cut_at = time.monotonic()
            sent_at_cut = len(reminders())
            assert sent_at_cut < PEOPLE, "the fan-out ended before the outage"

            await asyncio.sleep(3)
            ix = await fake.slash(
                asker, "ask", {"question": "how fast should I walk?"}, channel=channel
            )
            answer = await ix.response(timeout=5)
            assert answer.latency < 3.0, answer.latency  # Discord's contract, counted by the fake
            msg = await ix.final(timeout=10)
            assert msg.text(), "an answer from the guide"

            await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))
            sent_in_outage = len(reminders()) - sent_at_cut
            proxy.refusing = False
            assert bot.returncode is None, "the bot died during the outage"

            await fake.wait_until(
                lambda: len(set(reminders())) == PEOPLE, timeout=120, what="every reminder"
            )
            await asyncio.sleep(3)  # anything sent twice would show by now
            counts = Counter(reminders())
            assert counts == Counter({p.id: 1 for p in people})
            assert bot.returncode is None
            print(
                f"outage: {sent_at_cut} reminders before the cut, {sent_in_outage} during it, "
                f"{proxy.cut} connections cut, {proxy.refused} refused; /ask answered in "
                f"{answer.latency:.2f}s; nonce dedupes {fake.nonce_dedupes}",
                file=sys.stderr,
            )
            assert fake.nonce_dedupes == 0  # no second attempt even reached Discord
            assert proxy.refused > 0 and proxy.cut > 0  # the outage really happened
        except BaseException:
            print(bot.log_tail(120), file=sys.stderr)
            raise
        finally:
            await bot.stop()
            await proxy.close()
        bot.assert_clean_exit()
