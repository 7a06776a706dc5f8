"""schedules/ on PostgreSQL: migrations, the service, and exactly-once delivery with several
concurrent sweepers (separate engines and separate processes) against the local server.

Each test works in its own schema, dropped afterwards. Without a reachable server these tests
skip, unless ``WALKWELL_REQUIRE_POSTGRES=1`` (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from schedules.reminders.delivery import SendOutcome
from schedules.reminders.engine import ReminderEngine
from schedules.reminders.service import ReminderService
from schedules.store.db import Database, current_revision, head_revision
from schedules.store.schema import deliveries_table, metadata, subscriptions_table
from schedules.store.userdata import erase_user, export_user
from tests.schedules.reminders.helpers import RecordingSender, fast_bucket, seed, settings, utc

pytestmark = pytest.mark.postgres

PG_URL = os.environ.get(
    "WALKWELL_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REPO = Path(__file__).resolve().parents[3]


async def _unreachable(url: str) -> str | None:
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        conn = await asyncpg.connect(dsn, timeout=5)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


@pytest.fixture
async def schema() -> AsyncIterator[str]:
    problem = await _unreachable(PG_URL)
    if problem is not None:
        message = f"PostgreSQL at {PG_URL} is unreachable ({problem})"
        if os.environ.get("WALKWELL_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{message}, and WALKWELL_REQUIRE_POSTGRES=1")
        pytest.skip(f"{message}; set WALKWELL_REQUIRE_POSTGRES=1 to make this a failure")
    name = f"ww_test_{uuid.uuid4().hex[:12]}"
    admin = await Database.open(PG_URL, upgrade=False)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        await admin.close()


async def open_db(schema: str, **kwargs: Any) -> Database:
    return await Database.open(
        PG_URL, connect_args={"server_settings": {"search_path": schema}}, **kwargs
    )


async def test_concurrent_start_ups_migrate_once_and_match_the_models(schema: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    dbs = await asyncio.gather(*(open_db(schema) for _ in range(3)))
    try:
        assert await current_revision(dbs[0].engine) == head_revision()
        async with dbs[0].engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True}), metadata
                )
            )
            kind = (
                await conn.execute(
                    text(
                        "SELECT data_type FROM information_schema.columns WHERE table_schema = "
                        ":s AND table_name = 'subscriptions' AND column_name = 'next_due_utc'"
                    ),
                    {"s": schema},
                )
            ).scalar()
        assert diff == []
        assert kind == "timestamp with time zone"
    finally:
        for db in dbs:
            await db.close()


async def test_service_round_trip_on_postgres(schema: str) -> None:
    db = await open_db(schema)
    try:
        sender = RecordingSender(
            lambda item: SendOutcome.blocked_dm() if item.user_id == 2 else None
        )
        engine = ReminderEngine(db, sender, settings=settings(), bucket=fast_bucket())
        service = ReminderService(db, engine=engine)
        now = utc(2026, 7, 1, 4, 0)
        status = await service.subscribe(1, "7:30am", "berlin", now=now)
        assert status.next_due_utc == utc(2026, 7, 1, 5, 30)
        await service.subscribe(1, "7:45", "Europe/Berlin", now=now)  # update in place
        await service.subscribe(2, "7:45", "Europe/Berlin", now=now)
        report = await engine.sweep(utc(2026, 7, 1, 5, 45, 5))
        assert report.sent == 1 and report.paused == 1
        assert await service.pop_pause_notice(2) is not None
        assert await service.pop_pause_notice(2) is None
        await service.snooze(1, 30, now=utc(2026, 7, 1, 5, 46))
        assert await service.mark_done(1, now=utc(2026, 7, 1, 5, 47)) is True
        data = await export_user(db, 1, "reminders")
        json.dumps(data)
        assert data["subscriptions"][0]["local_time"] == "07:45:00"
        engine.forget_user(1)
        assert await erase_user(db, 1, "reminders") > 0
        assert (await export_user(db, 1, "reminders"))["deliveries"] == []
    finally:
        await db.close()


async def test_skip_locked_lets_another_sweeper_pass_rows_being_claimed(schema: str) -> None:
    db = await open_db(schema)
    other = await open_db(schema)
    try:
        due = utc(2026, 7, 1, 7, 30)
        await seed(db, range(1, 11), due)
        sender = RecordingSender()
        engine = ReminderEngine(other, sender, settings=settings(), bucket=fast_bucket())
        async with db.engine.connect() as conn, conn.begin():
            # another process is in the middle of claiming users 1-5
            await conn.execute(
                select(subscriptions_table.c.user_id)
                .where(subscriptions_table.c.user_id <= 5)
                .with_for_update()
            )
            report = await asyncio.wait_for(engine.sweep(due + timedelta(seconds=1)), 10)
            assert sorted(c.user_id for c in sender.calls) == [6, 7, 8, 9, 10]
            assert report.sent == 5
        await engine.sweep(due + timedelta(seconds=2))
        assert sorted(c.user_id for c in sender.calls) == list(range(1, 11))
    finally:
        await db.close()
        await other.close()


async def test_four_concurrent_sweepers_send_2000_reminders_exactly_once(schema: str) -> None:
    setup = await open_db(schema)
    due = utc(2026, 7, 1, 7, 30)
    await seed(setup, range(1, 2001), due)
    async with setup.begin() as conn:  # every 10th user starts a new plan week today: a nudge
        await conn.execute(
            text(
                "UPDATE subscriptions SET plan_started_on = next_local_date - 7 "
                "WHERE user_id % 10 = 0"
            )
        )
    await setup.close()

    dbs = [await open_db(schema, upgrade=False) for _ in range(4)]
    senders = [RecordingSender() for _ in dbs]
    engines = [
        ReminderEngine(
            db, s, settings=settings(batch_size=40, max_in_flight=8), bucket=fast_bucket()
        )
        for db, s in zip(dbs, senders, strict=True)
    ]
    try:
        # every sweeper sweeps twice, all at once
        for offset in (1, 2):
            await asyncio.gather(*(e.sweep(due + timedelta(seconds=offset)) for e in engines))
        keys: Counter[tuple[int, str, datetime]] = Counter()
        for s in senders:
            keys.update(s.keys())
        assert sum(keys.values()) == 2200  # 2,000 reminders + 200 nudges
        assert len(keys) == 2200 and max(keys.values()) == 1
        assert {k[0] for k in keys if k[1] == "reminder"} == set(range(1, 2001))
        assert sum(1 for s in senders if s.calls) >= 2  # they really shared the work
        async with dbs[0].read() as conn:
            statuses = dict(
                (
                    await conn.execute(
                        select(deliveries_table.c.status, func.count()).group_by(
                            deliveries_table.c.status
                        )
                    )
                ).all()
            )
        assert statuses == {"sent": 2200}
    finally:
        for db in dbs:
            await db.close()


SWEEPER = textwrap.dedent(
    """
    import asyncio, json, sys
    from datetime import datetime
    from schedules.store.db import Database
    from schedules.reminders.delivery import SendOutcome, TokenBucket
    from schedules.reminders.engine import ReminderEngine
    from schedules.settings import ReminderSettings

    url, schema, when = sys.argv[1:4]

    class Printer:
        async def send(self, item):
            print(json.dumps([item.user_id, item.kind, item.due_utc.isoformat()]), flush=True)
            await asyncio.sleep(0.0005)
            return SendOutcome.ok(1)

    async def main():
        db = await Database.open(url, connect_args={"server_settings": {"search_path": schema}})
        settings = ReminderSettings(batch_size=25, max_in_flight=4, send_rate=40, send_burst=5)
        engine = ReminderEngine(db, Printer(), settings=settings,
                                bucket=TokenBucket(1e9, 10**9))
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await engine.sweep(datetime.fromisoformat(when))
        await db.close()
        print("done", flush=True)

    asyncio.run(main())
    """
)


async def test_three_sweeper_processes_send_each_reminder_exactly_once(schema: str) -> None:
    setup = await open_db(schema)
    due = utc(2026, 7, 1, 7, 30)
    await seed(setup, range(1, 1201), due)
    await setup.close()
    when = (due + timedelta(seconds=1)).isoformat()
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SWEEPER,
            PG_URL,
            schema,
            when,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=REPO,
        )
        for _ in range(3)
    ]
    try:
        for p in procs:  # all started and connected: release them together
            assert p.stdout is not None
            line = await asyncio.wait_for(p.stdout.readline(), 60)
            assert line.strip() == b"ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(b"go\n")
            await p.stdin.drain()
        outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in procs)), 120)
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
    per_process = []
    for (out, _), p in zip(outputs, procs, strict=True):
        assert p.returncode == 0
        lines = out.decode().splitlines()
        assert lines[-1] == "done"
        per_process.append([tuple(json.loads(x)) for x in lines[:-1]])
    sent = Counter(key for keys in per_process for key in keys)
    assert len(sent) == 1200 and max(sent.values()) == 1
    assert {k[0] for k in sent} == set(range(1, 1201))
    assert sum(1 for keys in per_process if keys) >= 2  # the processes really overlapped
    assert all(datetime.fromisoformat(k[2]) == due for k in sent)
    assert due.tzinfo is UTC
