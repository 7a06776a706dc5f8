"""Fixtures shared by the tests of schedules/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from schedules.store.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, migrated SQLite database in the test's temporary folder."""
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'walkwell.db'}")
    yield database
    await database.close()
