"""Fixtures shared by the bot's tests: settings, the guide, a canned answering engine, a bot
without storage, and the services over a new database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.services import Services
from knowledge.content import default_library
from knowledge.models import Library
from schedules.reminders.delivery import SendOutcome
from schedules.store.db import Database
from tests.helpers import FakeEngine, FakeResult, make_bot

#: A well-formed token that must never appear in any output.
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gh7abc.SuperSecretTokenPartDoNotLog_123"


class NoSender:
    """A reminder ``Sender`` for tests that send nothing."""

    async def send(self, item: Any) -> SendOutcome:
        raise AssertionError("nothing is sent in this test")


@pytest.fixture
async def services(tmp_path: Path, library: Library) -> AsyncIterator[Services]:
    """The bot's services over a new database (the engine built, not started)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'walkwell.db'}"
    opened = await Services.open(url, None, library, sender=NoSender())
    yield opened
    await opened.close()


@pytest.fixture(scope="module")
def library() -> Library:
    return default_library()


@pytest.fixture
def engine(library: Library) -> FakeEngine:
    return FakeEngine(
        library,
        {
            "how should i stand": FakeResult("answer", "posture", 0.9),
            "which shoes": FakeResult("answer", "footwear", 0.8),
            "heat or ice": FakeResult("none", None, 0.2, ["warmup", "intro", "summary", "incline"]),
            "i cannot control my bladder": FakeResult("urgent", None, 1.0, ["posture"]),
        },
    )


@pytest.fixture
def bot(library: Library, engine: FakeEngine) -> Any:
    return make_bot(library, engine)


@pytest.fixture
def db(services: Services) -> Database:
    return services.database()


@pytest.fixture
def stored_bot(library: Library, engine: FakeEngine, services: Services) -> Any:
    """A bot with storage: the services over a new database."""
    bot = make_bot(library, engine)
    bot.services = services
    return bot
