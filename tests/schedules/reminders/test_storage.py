"""The reminders' storage: migrations to head, reopening, ``walkwell-db upgrade``."""

from __future__ import annotations

from pathlib import Path

import pytest

from schedules.store.db import Database, current_revision, head_revision
from schedules.store.schema import metadata
from tests.schedules.reminders.helpers import (
    make,
    utc,
)


async def test_fresh_database_is_migrated_to_head_and_matches_the_models(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    assert await current_revision(db.engine) == head_revision()
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), metadata
            )
        )
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        fks = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    assert diff == []
    assert (mode, fks) == ("wal", 1) and timeout and timeout >= 1000


async def test_reopening_runs_no_migration_and_keeps_data(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'dir' / 'w.db'}"  # folders are created
    first = await Database.open(url)
    _, service, _ = make(first)
    await service.subscribe(1, "7:30", "Europe/Berlin", now=utc(2026, 1, 1))
    await first.close()
    again = await Database.open(url)
    try:
        _, service, _ = make(again)
        assert (await service.status(1)) is not None
    finally:
        await again.close()


def test_walkwell_db_upgrade(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from schedules.cli import db_upgrade_main, report_main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert db_upgrade_main(None) == 0
    assert str(head_revision()) in capsys.readouterr().out
    assert db_upgrade_main(None) == 0  # idempotent
    monkeypatch.setenv("DATABASE_URL", "mysql://u:hunter2@h/db")
    assert db_upgrade_main(None) == 2
    err = capsys.readouterr().err
    assert "DATABASE_URL" in err and "hunter2" not in err and len(err.strip().splitlines()) == 1
    assert report_main(None) == 2  # the same clear line, no traceback
    err = capsys.readouterr().err
    assert "DATABASE_URL" in err and "hunter2" not in err and len(err.strip().splitlines()) == 1
