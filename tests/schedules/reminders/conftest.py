"""Fixtures of the reminder tests: a fresh migrated SQLite database per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from schedules.store.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> Any:
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'walkwell.db'}")
    yield database
    await database.close()
