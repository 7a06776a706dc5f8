"""Benchmark of reminder fan-out against Discord's global rate limit (not a test).

    .venv/bin/python bench/fanout_bench.py [--count 10000] [--target fakediscord|inprocess]
                                           [--rate 40] [--burst 5] [--in-flight 16]
                                           [--modes local,proxy] [--proxy-count 600]
                                           [--postgres DSN] [--json PATH]

Two modes, reported side by side as a fraction of Discord's 50 requests per second:

- ``local`` (one process): ``--count`` reminders are due in the same minute. One
  ``ReminderEngine.sweep()`` (live clock, SQLite in WAL mode, the default settings) claims and
  sends all of them, each with its cached DM channel id (one request per reminder), nonce +
  ``enforce_nonce``.
- ``proxy`` (two processes): ``--proxy-count`` reminders due in the next minute, sent by two shard
  processes (``python -m bot``, ``WALKWELL_RATE_LIMITS=proxy``, a fresh database on the PostgreSQL
  server at ``--postgres``) through the shared REST proxy (``node proxy/server.js``) to the fake
  Discord; see ``tests/e2e/fanout.py``. Needs Node 20+ (``npm ci --prefix proxy``); reported as
  skipped without it. Measured from the due instant to the last reminder (target >= 0.9 of 50/s).

Targets of the local mode:
- ``fakediscord`` (default when ``tests/fakediscord`` is there): the FakeDiscord aiohttp server on
  127.0.0.1 enforcing Discord's global 50 requests/second (and per-route buckets); the sender is
  the bot's own (``bot.exts.reminders.sender.DiscordSender`` with the real reminder message, embed and
  buttons) on discord.py's HTTP client.
- ``inprocess``: a fake Sender that itself refuses (429) the 51st request in any one second,
  with 5-40 ms of simulated latency.

Reported for the local mode (the top-level keys): time to deliver all, as a ratio of the pacing
bound ``(count - burst) / rate`` (target <= 1.1) and of Discord's own bound ``count / 50``; 429s
(target 0); duplicates and lost (target 0). ``side_by_side`` holds both modes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schedules.reminders.delivery import Outgoing, SendOutcome, TokenBucket  # noqa: E402
from schedules.reminders.engine import ReminderEngine  # noqa: E402
from schedules.settings import ReminderSettings  # noqa: E402
from schedules.store.db import Database  # noqa: E402
from schedules.store.schema import subscriptions_table, users_table  # noqa: E402


async def seed(db: Database, pairs: list[tuple[int, int]], due: datetime) -> None:
    """(user id, DM channel id) pairs, all due at ``due`` (UTC wall clock)."""
    rows_u, rows_s = [], []
    for user_id, channel_id in pairs:
        rows_u.append({"user_id": user_id, "timezone": "UTC", "created_at": due})
        rows_s.append(
            {
                "user_id": user_id,
                "local_time": due.time().replace(tzinfo=None),
                "timezone": "UTC",
                "destination": "dm",
                "dm_channel_id": channel_id,
                "nudges": True,
                "active": True,
                "pause_notice": False,
                "next_due_utc": due,
                "next_local_date": due.date(),
                "plan_started_on": due.date(),
                "plan_week": 1,
                "cadence_target": 85,
                "minutes_target": 10,
                "created_at": due,
                "updated_at": due,
            }
        )
    async with db.begin() as conn:
        for i in range(0, len(rows_u), 5000):
            await conn.execute(users_table.insert(), rows_u[i : i + 5000])
            await conn.execute(subscriptions_table.insert(), rows_s[i : i + 5000])


class BotSender:
    """The bot's own sender (``bot.exts.reminders.sender.DiscordSender``) and message builder, on discord.py's
    HTTP client logged in over REST only (a sweep needs no gateway): exactly what ``walkwell run``
    sends, embeds and buttons included."""

    def __init__(self, api_base: str, token: str) -> None:
        self.api_base, self.token = api_base, token
        self.client: Any = None
        self.sender: Any = None

    async def start(self) -> None:
        import discord

        from bot.app import WalkWell
        from bot.exts.reminders.cog import reminder_reply
        from bot.exts.reminders.sender import DiscordSender
        from knowledge.content import default_library

        discord.http.Route.BASE = self.api_base
        library = default_library()
        self.client = WalkWell(library=library, load_knowledge=False)
        await self.client.http.static_login(self.token)
        texts = self.client.texts
        self.sender = DiscordSender(self.client, lambda item: reminder_reply(library, texts, item))

    async def send(self, item: Outgoing) -> SendOutcome:
        outcome: SendOutcome = await self.sender.send(item)
        return outcome

    async def close(self) -> None:
        await self.client.http.close()


class FiftyPerSecond:
    """In-process stand-in for Discord: at most 50 requests in any one second, else 429."""

    def __init__(self) -> None:
        self.window: deque[float] = deque()
        self.rejected = 0
        self.delivered: Counter[int] = Counter()
        self.rng = random.Random(1)

    async def send(self, item: Outgoing) -> SendOutcome:
        now = time.monotonic()
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        if len(self.window) >= 50:
            self.rejected += 1
            return SendOutcome.rate_limited(self.window[0] + 1.0 - now, is_global=True)
        self.window.append(now)
        await asyncio.sleep(self.rng.uniform(0.005, 0.040))
        self.delivered[item.user_id] += 1
        return SendOutcome.ok(len(self.window), dm_channel_id=item.dm_channel_id)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = ReminderSettings(
        send_rate=args.rate, send_burst=args.burst, max_in_flight=args.in_flight
    )
    now = datetime.now(UTC)
    due = now.replace(second=0, microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(f"sqlite+aiosqlite:///{Path(tmp) / 'fanout.db'}")
        fake: Any = None
        sender: Any
        try:
            if args.target == "fakediscord":
                from tests.fakediscord import FakeDiscord

                fake = await FakeDiscord(global_rate=50).start()
                guild = fake.add_guild("Walkers")  # sharing a guild lets the bot DM them
                users = [fake.add_user(f"walker{i}") for i in range(args.count)]
                for user in users:
                    fake.add_member(guild, user)
                pairs = [(u.id, fake.dm_channel(u).id) for u in users]
                sender = BotSender(fake.api_base, fake.token)
                await sender.start()
            else:
                pairs = [(10_000 + i, 10**12 + i) for i in range(args.count)]
                sender = FiftyPerSecond()
            await seed(db, pairs, due)
            engine = ReminderEngine(
                db,
                sender,
                settings=settings,
                bucket=TokenBucket(settings.send_rate, settings.send_burst),
            )
            start = time.perf_counter()
            report = await engine.sweep()
            elapsed = time.perf_counter() - start
            if fake is not None:
                per_channel = Counter(
                    m.channel.id for m in fake.messages if m.author is fake.bot_user
                )
                rejected = len(fake.sent_429)
                dedupes = fake.nonce_dedupes
                statuses = dict(
                    Counter(
                        r.status
                        for r in fake.requests_to("POST", "/channels/{channel_id}/messages")
                    )
                )
                await sender.close()
            else:
                per_channel = Counter(
                    {10**12 + (u - 10_000): n for u, n in sender.delivered.items()}
                )
                rejected = sender.rejected
                dedupes = 0
                statuses = {}
            expected = {channel for _, channel in pairs}
            duplicates = sum(n - 1 for n in per_channel.values() if n > 1)
            lost = len(expected - set(per_channel))
        finally:
            if fake is not None:
                await fake.close()
            await db.close()
    bound = (args.count - settings.send_burst) / settings.send_rate
    return {
        "target": args.target,
        "count": args.count,
        "rate": settings.send_rate,
        "burst": settings.send_burst,
        "in_flight": settings.max_in_flight,
        "seconds": round(elapsed, 2),
        "pacing_bound_s": round(bound, 2),
        "ratio_to_pacing_bound": round(elapsed / bound, 4),
        "ratio_to_discord_50_per_s": round(elapsed / (args.count / 50), 4),
        "http_429": rejected,
        "duplicates": duplicates,
        "lost": lost,
        "nonce_dedupes": dedupes,
        "statuses": statuses,
        "report": report.__dict__,
        "due_minute": due.isoformat(),
        "started_after_due_s": round((now - due) / timedelta(seconds=1), 1),
        "fraction_of_50_per_s": round((args.count / 50) / elapsed, 4),
    }


async def run_proxy(args: argparse.Namespace) -> dict[str, Any]:
    """The proxy mode: two shard processes through the real REST proxy (tests/e2e/fanout.py)."""
    from tests.e2e.fanout import ProxyUnavailable, node_command, postgres_database, proxy_fanout

    try:
        node_command()
    except ProxyUnavailable as missing:
        return {"skipped": str(missing)}
    with tempfile.TemporaryDirectory() as tmp:
        async with postgres_database(args.postgres) as url:
            result = await proxy_fanout(Path(tmp), url, count=args.proxy_count, processes=2)
    return result.summary()


def proxy_ok(result: dict[str, Any]) -> bool:
    if "skipped" in result:
        return True
    return (
        result["fraction_of_50_per_s"] >= 0.9
        and result["http_429"].get("global", 0) == 0
        and result["duplicates"] == 0
        and result["lost"] == 0
    )


def side_by_side(local: dict[str, Any] | None, proxy: dict[str, Any] | None) -> dict[str, Any]:
    """Both modes in one table: processes, reminders, seconds, fraction of 50/s, 429s, lost, dup."""
    out: dict[str, Any] = {}
    if local is not None:
        out["local"] = {
            "processes": 1,
            "count": local["count"],
            "seconds": local["seconds"],
            "fraction_of_50_per_s": local["fraction_of_50_per_s"],
            "http_429": local["http_429"],
            "lost": local["lost"],
            "duplicates": local["duplicates"],
        }
    if proxy is not None:
        out["proxy"] = proxy
    return out


def main() -> int:
    try:
        import tests.fakediscord  # noqa: F401

        default_target = "fakediscord"
    except ImportError:
        default_target = "inprocess"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--target", choices=["fakediscord", "inprocess"], default=default_target)
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--burst", type=int, default=5)
    parser.add_argument("--in-flight", type=int, default=16)
    parser.add_argument("--modes", default="local,proxy", help="comma-separated: local,proxy")
    parser.add_argument("--proxy-count", type=int, default=600)
    parser.add_argument("--postgres", default=None, help="PostgreSQL admin DSN (proxy mode)")
    parser.add_argument("--json", metavar="PATH", help="also write the result to PATH as JSON")
    args = parser.parse_args()
    modes = {m.strip() for m in args.modes.split(",") if m.strip()}
    result: dict[str, Any] = asyncio.run(run(args)) if "local" in modes else {}
    proxy: dict[str, Any] | None = None
    if "proxy" in modes:
        if args.postgres is None:
            from tests.e2e.fanout import ADMIN_DSN

            args.postgres = ADMIN_DSN
        proxy = asyncio.run(run_proxy(args))
    result["side_by_side"] = side_by_side(result or None, proxy)
    print(json.dumps(result, indent=2))
    for mode, row in result["side_by_side"].items():
        figure = row.get("fraction_of_50_per_s", row.get("skipped"))
        print(
            f"{mode:>6}: {row.get('processes', '-')} process(es), {figure} of 50/s", file=sys.stderr
        )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ok = proxy is None or proxy_ok(proxy)
    if "local" in modes:
        ok = ok and result["http_429"] == 0 and result["duplicates"] == 0 and result["lost"] == 0
        ok = ok and result["ratio_to_pacing_bound"] <= 1.1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
