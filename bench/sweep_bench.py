"""Benchmark of the reminder sweep at scale (not a test).

    .venv/bin/python bench/sweep_bench.py [--backend sqlite|postgresql|both] [--users 100000]
                                          [--minutes 240] [--pg URL] [--json PATH]

With ``--users`` subscribers spread over 20 IANA zones with random local times (as in
shared/notes/scheduling.md), each backend is bulk-loaded (COPY on PostgreSQL, one driver-level
executemany on SQLite, values bound through the columns' own types; then ANALYZE), then a FRESH
process measures:

- start-up: ``Database.open()`` (migration check) + ``ReminderEngine.start()`` (APScheduler),
- memory: RSS of that process after start-up, and its growth from before ``Database.open``;
  RSS after all the sweeps and the catch-up, and the peak (VmHWM),
- per-minute sweeps over ``--minutes`` simulated minutes (injected clock, an instant Sender and an
  unlimited bucket, so the numbers are the engine's and the database's own cost): the claim
  transaction alone and the whole sweep (claim + send + record each outcome), median/p99/max,
- catch-up after a one-hour outage: one sweep claiming and recording everything due in that hour
  (sent late, within the 2 h grace window).

Targets: start-up well under a second, whole sweep p99 far below the 60 s tick.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "America/Toronto",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Moscow",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Africa/Johannesburg",
    "UTC",
]
#: The simulated "now" the data is seeded for (a Wednesday, no DST change nearby).
EPOCH = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def rss_mib(field: str = "VmRSS") -> float:
    """This process's resident memory now (``VmRSS``) or at its peak so far (``VmHWM``)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def engine_kwargs(schema: str | None) -> dict[str, Any]:
    return {"connect_args": {"server_settings": {"search_path": schema}}} if schema else {}


def _rows(
    users: int, now: datetime, all_due: datetime | None, dm_channels: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``users`` and ``subscriptions`` rows, as the engine itself would have written them."""
    from datetime import time as dtime

    from schedules.reminders.timecalc import get_zone, next_due

    rng = random.Random(42)
    user_rows, sub_rows = [], []
    for uid in range(1, users + 1):
        zone_name = ZONES[uid % len(ZONES)]
        zone = get_zone(zone_name)
        if all_due is not None:
            due = all_due
            local = due.astimezone(zone)
            wall, day = local.time().replace(tzinfo=None), local.date()
        else:
            wall = dtime(rng.randrange(24), rng.randrange(60))
            due, day = next_due(wall, zone, now)
        user_rows.append({"user_id": uid, "timezone": zone_name, "created_at": now})
        age = rng.randrange(60)
        sub_rows.append(
            {
                "user_id": uid,
                "local_time": wall,
                "timezone": zone_name,
                "destination": "dm",
                "channel_id": None,
                "guild_id": None,
                "dm_channel_id": (10**12 + uid) if dm_channels else None,
                "nudges": True,
                "active": True,
                "paused_reason": None,
                "pause_notice": False,
                "next_due_utc": due,
                "next_local_date": day,
                "last_local_date": None,
                "plan_started_on": day - timedelta(days=age),
                "plan_week": age // 7 + 1,
                "cadence_target": 85,
                "minutes_target": 10,
                "created_at": now,
                "updated_at": now,
            }
        )
    return user_rows, sub_rows


async def _bulk_insert(
    conn: Any, table: Any, rows: list[dict[str, Any]], schema: str | None
) -> None:
    """Load ``rows`` fast: COPY on PostgreSQL; one driver-level executemany on SQLite, the values
    bound through the columns' own SQLAlchemy types (so they are stored exactly as the ORM would).
    """
    columns = list(rows[0])
    if conn.dialect.name == "postgresql":
        raw = (await conn.get_raw_connection()).driver_connection
        for base in range(0, len(rows), 100_000):
            records = [tuple(r[c] for c in columns) for r in rows[base : base + 100_000]]
            await raw.copy_records_to_table(
                table.name, records=records, columns=columns, schema_name=schema
            )
        return
    dialect = conn.dialect
    procs = []
    for name in columns:
        col_type = table.c[name].type
        procs.append(col_type.dialect_impl(dialect).bind_processor(dialect))
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    for base in range(0, len(rows), 100_000):
        params = [
            tuple(
                (proc(r[c]) if proc is not None and r[c] is not None else r[c])
                for c, proc in zip(columns, procs, strict=True)
            )
            for r in rows[base : base + 100_000]
        ]
        await conn.exec_driver_sql(sql, params)


async def seed(
    url: str,
    users: int,
    schema: str | None = None,
    *,
    now: datetime = EPOCH,
    all_due: datetime | None = None,
    dm_channels: bool = True,
) -> float:
    """Create the schema and ``users`` subscribers (bulk-loaded). Returns seconds taken."""
    from sqlalchemy import text

    from schedules.store.db import Database
    from schedules.store.schema import subscriptions_table, users_table

    start = time.perf_counter()
    db = await Database.open(url, **engine_kwargs(schema))
    try:
        user_rows, sub_rows = _rows(users, now, all_due, dm_channels)
        async with db.begin() as conn:
            await _bulk_insert(conn, users_table, user_rows, schema)
            await _bulk_insert(conn, subscriptions_table, sub_rows, schema)
        async with db.begin() as conn:  # fresh statistics, as autovacuum would have made them
            await conn.execute(text("ANALYZE"))
    finally:
        await db.close()
    return time.perf_counter() - start


class InstantSender:
    def __init__(self) -> None:
        self.count = 0

    async def send(self, item: Any) -> Any:
        from schedules.reminders.delivery import SendOutcome

        self.count += 1
        return SendOutcome.ok(self.count, dm_channel_id=item.dm_channel_id)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def measure(url: str, schema: str | None, minutes: int) -> dict[str, Any]:
    """Runs in a fresh process."""
    rss_before = rss_mib()
    t0 = time.perf_counter()
    from schedules.reminders.delivery import TokenBucket
    from schedules.reminders.engine import ReminderEngine
    from schedules.settings import ReminderSettings
    from schedules.store.db import Database

    imported = time.perf_counter() - t0
    clock_now = [EPOCH]
    db = await Database.open(url, **engine_kwargs(schema))
    sender = InstantSender()
    settings = ReminderSettings(batch_size=500, max_in_flight=16)
    engine = ReminderEngine(
        db, sender, settings=settings, clock=lambda: clock_now[0], bucket=TokenBucket(1e9, 10**9)
    )
    await engine.start(sweep_now=False)
    startup = time.perf_counter() - t0
    rss_after = rss_mib()

    claim_times: list[float] = []
    original = engine._claim

    async def timed_claim(now: datetime, report: Any) -> Any:
        s = time.perf_counter()
        result = await original(now, report)
        claim_times.append(time.perf_counter() - s)
        return result

    engine._claim = timed_claim  # type: ignore[method-assign]
    sweep_times: list[float] = []
    per_minute: list[int] = []
    for minute in range(1, minutes + 1):
        instant = EPOCH + timedelta(minutes=minute, seconds=1)
        clock_now[0] = instant
        before = sender.count
        s = time.perf_counter()
        await engine.sweep(instant)
        sweep_times.append(time.perf_counter() - s)
        per_minute.append(sender.count - before)

    # catch-up after a one-hour outage (everything due in that hour is within grace)
    outage_end = EPOCH + timedelta(minutes=minutes + 60, seconds=1)
    before = sender.count
    s = time.perf_counter()
    report = await engine.sweep(outage_end)
    catch_up = time.perf_counter() - s
    caught = sender.count - before
    rss_end = rss_mib()
    rss_peak = rss_mib("VmHWM")
    await engine.stop()
    await db.close()
    return {
        "startup_s": round(startup, 4),
        "of_which_imports_s": round(imported, 4),
        "rss_mib": round(rss_after, 1),
        "rss_growth_mib": round(rss_after - rss_before, 1),
        "rss_after_sweeps_mib": round(rss_end, 1),
        "rss_peak_mib": round(rss_peak, 1),
        "sweeps": len(sweep_times),
        "sent_per_minute_mean": round(statistics.mean(per_minute), 1),
        "sweep_ms": {
            "median": round(statistics.median(sweep_times) * 1000, 2),
            "p99": round(pct(sweep_times, 0.99) * 1000, 2),
            "max": round(max(sweep_times) * 1000, 2),
        },
        "claim_tx_ms": {
            "median": round(statistics.median(claim_times) * 1000, 2),
            "p99": round(pct(claim_times, 0.99) * 1000, 2),
        },
        "catch_up_1h": {"sent": caught, "late": report.late, "seconds": round(catch_up, 2)},
    }


async def run_backend(backend: str, users: int, minutes: int, pg_url: str) -> dict[str, Any]:
    schema = None
    tmp = None
    if backend == "sqlite":
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.db'}"
    else:
        from schedules.store.db import Database

        url = pg_url
        schema = f"ww_bench_{uuid.uuid4().hex[:10]}"
        admin = await Database.open(url, upgrade=False)
        async with admin.begin() as conn:
            from sqlalchemy import text

            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.close()
    try:
        seeded = await seed(url, users, schema)
        command = [sys.executable, __file__, "--measure", url, "--schema", schema or ""]
        command += ["--minutes", str(minutes)]
        out = await asyncio.to_thread(
            subprocess.run, command, capture_output=True, text=True, check=True, cwd=ROOT
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["seed_s"] = round(seeded, 1)
        if tmp is not None:
            db_file = Path(tmp.name) / "bench.db"
            result["db_file_mib"] = round(db_file.stat().st_size / 2**20, 1)
        return result
    finally:
        if tmp is not None:
            tmp.cleanup()
        if schema:
            from sqlalchemy import text

            from schedules.store.db import Database

            admin = await Database.open(url, upgrade=False)
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--minutes", type=int, default=240)
    parser.add_argument("--pg", default=os.environ.get("WALKWELL_TEST_POSTGRES_URL", DEFAULT_PG))
    parser.add_argument("--json", metavar="PATH", help="also write the results to PATH as JSON")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--schema", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        result = asyncio.run(measure(args.measure, args.schema or None, args.minutes))
        print(json.dumps(result))
        return 0
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = {}
    for backend in backends:
        print(
            f"== {backend}: {args.users} subscribers, {args.minutes} one-minute sweeps", flush=True
        )
        results[backend] = asyncio.run(run_backend(backend, args.users, args.minutes, args.pg))
        print(json.dumps(results[backend], indent=2), flush=True)
    if args.json:
        out = {"users": args.users, "minutes": args.minutes, "backends": results}
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
