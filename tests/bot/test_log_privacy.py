"""Logs carry no secret and nothing people typed: the database password is redacted, statement
parameters are hidden, discord.py's payloads are cut, autocomplete input is never logged."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.exts.guide import Guide
from bot.log import REDACTED, setup_logging, url_secrets
from schedules.store.db import create_engine
from tests.helpers import MockInteraction


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Root logging through :func:`setup_logging`'s handler (secrets: the DB password)."""
    root = logging.getLogger()
    old_handlers, old_level = list(root.handlers), root.level
    secrets = url_secrets("postgresql+asyncpg://walkwell:p%40ss%2Fw0rd@db:5432/walkwell")
    handler = setup_logging("DEBUG", secrets=["TOKEN.x", *secrets])
    stream = io.StringIO()
    handler.setStream(stream)
    try:
        yield stream
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in old_handlers:
            root.addHandler(h)
        root.setLevel(old_level)


def test_url_secrets_cover_every_form_of_the_password() -> None:
    assert url_secrets("postgresql+asyncpg://u:p%40ss@h/db") == ["p%40ss", "p@ss"]
    assert url_secrets("postgresql+asyncpg://u@h/db") == []
    assert url_secrets("sqlite+aiosqlite:///data/w.db") == []
    assert url_secrets(None) == []


def test_the_database_password_is_redacted(captured: io.StringIO) -> None:
    log = logging.getLogger("test.dbpassword")
    log.error("cannot connect to %s", "postgresql://walkwell:p%40ss%2Fw0rd@db/walkwell")
    log.error("password was p@ss/w0rd")
    out = captured.getvalue()
    assert "p@ss/w0rd" not in out and "p%40ss%2Fw0rd" not in out
    assert out.count(REDACTED) == 2


async def test_database_errors_hide_the_statements_parameters(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (note TEXT NOT NULL UNIQUE)"))
            await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": "my sciatica is bad"})
            with pytest.raises(IntegrityError) as caught:
                await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": "my sciatica is bad"})
    finally:
        await engine.dispose()
    assert "sciatica" not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)


def test_discord_payloads_are_cut_from_debug_logs(captured: io.StringIO) -> None:
    event = {
        "op": 0,
        "t": "INTERACTION_CREATE",
        "d": {"type": 4, "data": {"options": [{"name": "timezone", "value": "my home town"}]}},
    }
    logging.getLogger("discord.gateway").debug("For Shard ID %s: WebSocket Event: %s", None, event)
    http = logging.getLogger("discord.http")
    http.debug("%s %s with %s has returned %s", "POST", "/x", {"content": "my back hurts"}, 200)
    http.debug("%s %s has received %s", "POST", "/x", {"content": "my back hurts"})
    out = captured.getvalue()
    assert "my home town" not in out and "my back hurts" not in out
    assert "t=INTERACTION_CREATE" in out and "POST /x" in out


async def test_a_failing_autocomplete_never_logs_what_was_typed(
    bot: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("index gone")

    monkeypatch.setattr(bot.engine, "topics", broken)
    cog = Guide(bot)
    interaction = MockInteraction(client=bot, type=discord.InteractionType.autocomplete)
    with caplog.at_level(logging.DEBUG):
        assert await cog.topic_choices(interaction, "my private pain story") == []
    assert caplog.records and "private pain" not in caplog.text
