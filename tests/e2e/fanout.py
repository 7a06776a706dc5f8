"""Reminder fan-out through the shared REST proxy: the scenario behind ``test_proxy_e2e.py`` and
the proxy mode of ``bench/fanout_bench.py``.

:func:`rest_proxy` starts the real proxy (``node proxy/server.js``) in front of a
:class:`FakeDiscord`; :func:`proxy_fanout` runs two shard processes (``python -m bot``, one
PostgreSQL database, ``WALKWELL_RATE_LIMITS=proxy``) through it while ``count`` reminders fall due
in the same minute, and measures what reached the fake Discord.
"""

# The helpers take explicit timeouts on purpose.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.fanout_bench import seed
from schedules.settings import normalise_database_url
from schedules.store.db import Database
from tests.e2e.harness import REPO_ROOT, BotProcess
from tests.fakediscord import FakeDiscord

PROXY_DIR = REPO_ROOT / "proxy"
#: Discord's global limit, requests per second per bot.
GLOBAL_RATE = 50
ADMIN_DSN = os.environ.get(
    "WALKWELL_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)


class ProxyUnavailable(Exception):
    """Node is not installed: the proxy cannot run here."""


def proxy_required() -> bool:
    """CI and ``WALKWELL_REQUIRE_PROXY=1`` make a missing Node a failure instead of a skip."""
    return os.environ.get("CI", "").lower() == "true" or (
        os.environ.get("WALKWELL_REQUIRE_PROXY") == "1"
    )


def node_command() -> list[str]:
    """``node proxy/server.js``; :class:`ProxyUnavailable` without Node, ``AssertionError`` when
    the proxy's packages are not installed (``npm ci --prefix proxy``)."""
    node = shutil.which("node")
    if node is None:
        raise ProxyUnavailable("node is not on PATH (the REST proxy needs Node 20+)")
    if not (PROXY_DIR / "node_modules" / "@discordjs" / "proxy").is_dir():
        raise AssertionError("the proxy's packages are missing: run `npm ci --prefix proxy`")
    return [node, str(PROXY_DIR / "server.js")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def rest_proxy(upstream: str, *, timeout: float = 20.0) -> AsyncIterator[str]:
    """Run the proxy in front of ``upstream`` (an API base ending in ``/v10``); yields the base
    URL the bots use as ``DISCORD_API_BASE``."""
    api, _, version = upstream.rstrip("/").rpartition("/v")
    port = _free_port()
    env = dict(
        os.environ,
        PROXY_HOST="127.0.0.1",
        PROXY_PORT=str(port),
        DISCORD_API=api,
        DISCORD_API_VERSION=version,
    )
    proc = await asyncio.create_subprocess_exec(
        *node_command(),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=timeout)
        if b"listening" not in line:
            rest = await asyncio.wait_for(proc.stdout.read(), timeout=timeout)
            raise AssertionError(f"the REST proxy did not start: {(line + rest).decode()}")
        yield f"http://127.0.0.1:{port}/api/v{version}"
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout=10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


@contextlib.asynccontextmanager
async def postgres_database(admin_dsn: str = ADMIN_DSN) -> AsyncIterator[str]:
    """A fresh database on the PostgreSQL server at ``admin_dsn``, dropped afterwards; yields its
    ``postgresql+asyncpg://`` URL."""
    import asyncpg

    name = f"ww_fanout_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield normalise_database_url(f"{admin_dsn.rsplit('/', 1)[0]}/{name}")
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@dataclass
class FanoutResult:
    count: int
    processes: int
    #: reminders per DM channel that reached the fake Discord
    delivered: Counter[int]
    #: 429s the fake Discord sent, by scope ("global", "user", ...)
    http_429: Counter[str]
    nonce_dedupes: int
    #: from the due instant to the last reminder's arrival
    seconds: float

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.delivered.values() if n > 1)

    @property
    def lost(self) -> int:
        return self.count - len(self.delivered)

    @property
    def fraction_of_global_rate(self) -> float:
        """Reminders per second, end to end, as a fraction of Discord's 50 per second."""
        return round(self.count / self.seconds / GLOBAL_RATE, 4) if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "processes": self.processes,
            "seconds": round(self.seconds, 2),
            "fraction_of_50_per_s": self.fraction_of_global_rate,
            "http_429": dict(self.http_429),
            "duplicates": self.duplicates,
            "lost": self.lost,
            "nonce_dedupes": self.nonce_dedupes,
        }


async def proxy_fanout(
    workdir: Path, database_url: str, *, count: int = 600, processes: int = 2
) -> FanoutResult:
    """``count`` DM reminders due in the same minute, ``processes`` shard processes sending them
    through the real proxy to a fake Discord that enforces the global 50 per second."""
    async with FakeDiscord(global_rate=GLOBAL_RATE) as fake:
        guilds = [fake.add_guild(f"club {i}", shard=(i, processes)) for i in range(processes)]
        users = [fake.add_user(f"walker{i}") for i in range(count)]
        for i, user in enumerate(users):
            fake.add_member(guilds[i % processes], user)
        channels = {fake.dm_channel(u).id for u in users}
        db = await Database.open(database_url)  # migrated before the shards start
        await db.close()
        async with rest_proxy(fake.api_base) as api_base:
            env = {
                "DISCORD_API_BASE": api_base,
                "DISCORD_SHARD_COUNT": str(processes),
                "DATABASE_URL": database_url,
                "WALKWELL_RATE_LIMITS": "proxy",
            }
            bots = [
                BotProcess(fake, workdir / f"shard{i}", env=dict(env, DISCORD_SHARD_ID=str(i)))
                for i in range(processes)
            ]
            for bot in bots:
                await bot.start()
            try:
                await fake.wait_ready(timeout=90)
                now = datetime.now(UTC)
                due = (now + timedelta(minutes=1 if now.second < 40 else 2)).replace(
                    second=0, microsecond=0
                )
                due_at = time.monotonic() + (due - datetime.now(UTC)).total_seconds()
                db = await Database.open(database_url)
                try:
                    await seed(db, [(u.id, fake.dm_channel(u).id) for u in users], due)
                finally:
                    await db.close()

                def delivered() -> Counter[int]:
                    return Counter(
                        m.channel.id for m in fake.bot_messages() if m.channel.id in channels
                    )

                wait = due_at - time.monotonic() + 60 + count / GLOBAL_RATE
                await fake.wait_until(
                    lambda: len(delivered()) == count, timeout=wait, what=f"{count} reminders"
                )
                await asyncio.sleep(3)  # a second copy, if any, would arrive by now
                sends = [
                    r.at
                    for r in fake.requests_to("POST", "/channels/{channel_id}/messages")
                    if r.status == 200 and int(r.path.split("/")[4]) in channels
                ]
                result = FanoutResult(
                    count=count,
                    processes=processes,
                    delivered=delivered(),
                    http_429=Counter(scope for scope, _ in fake.sent_429),
                    nonce_dedupes=fake.nonce_dedupes,
                    seconds=max(sends) - due_at,
                )
            except BaseException:
                print("\n".join(bot.log_tail(60) for bot in bots), file=sys.stderr)
                raise
            finally:
                await asyncio.gather(*(bot.stop() for bot in bots))
            for bot in bots:
                bot.assert_clean_exit()
            return result
