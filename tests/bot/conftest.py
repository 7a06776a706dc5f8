"""Fixtures shared by the bot's tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.services import Services
from knowledge.loader import default_library
from schedules.reminders.delivery import SendOutcome
from tests.helpers import SETTINGS_PREFIXES

#: A well-formed token that must never appear in any output.
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gh7abc.SuperSecretTokenPartDoNotLog_123"


@pytest.fixture
def no_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No bot setting in the environment, and an empty working directory; returns it."""
    for key in list(os.environ):
        if key.startswith(SETTINGS_PREFIXES):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


class NoSender:
    """A reminder ``Sender`` for tests that send nothing."""

    async def send(self, item: Any) -> SendOutcome:
        raise AssertionError("nothing is sent in this test")


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    """The bot's services over a new database (the engine built, not started)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'walkwell.db'}"
    opened = await Services.open(url, None, default_library(), sender=NoSender())
    yield opened
    await opened.close()
