"""The real bot with ``WALKWELL_METRICS_PORT`` and ``WALKWELL_LOG_FORMAT=json``: /metrics counts
the interactions it handled, and every log line is a JSON object without the token."""

from __future__ import annotations

import asyncio
import json
import socket
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.harness import running_bot, token_leaks, walkwell
from tests.fakediscord import FakeDiscord

pytestmark = [pytest.mark.e2e]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        return resp.read().decode()


async def test_metrics_and_json_logs_from_the_running_bot(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        "WALKWELL_METRICS_PORT": str(port),
        "WALKWELL_METRICS_HOST": "127.0.0.1",
        "WALKWELL_LOG_FORMAT": "json",
    }
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Walkers")
        channel = fake.add_text_channel(guild, "general")
        alice = fake.add_user("alice")
        fake.add_member(guild, alice)
        synced = await walkwell(fake, tmp_path, "sync")
        assert synced.returncode == 0, synced.output
        async with running_bot(fake, tmp_path, env=env) as bot:
            for _ in range(2):
                ix = await fake.slash(alice, "cadence", {"current": 90}, channel=channel)
                await ix.final(timeout=10)
            ix = await fake.slash(alice, "guide", {"topic": "posture"}, channel=channel)
            await ix.final(timeout=10)
            body = await asyncio.to_thread(_scrape, port)
        log_text = bot.log_text()  # stopped by now (SIGTERM): the whole log
        assert 'walkwell_interactions_total{command="cadence",type="application_command"} 2.0' in (
            body
        )
        assert 'walkwell_interactions_total{command="guide",type="application_command"} 1.0' in (
            body
        )
        assert "walkwell_sweep_seconds_bucket" in body and "walkwell_reminders_total" in body
    lines = [line for line in log_text.splitlines() if line.strip()]
    assert lines, "the bot logged nothing"
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert any(e["logger"] == "bot.metrics" for e in entries)
    messages = {(e["logger"], e["message"]) for e in entries}
    assert ("bot.runner", "received SIGTERM: shutting down") in messages
    assert not token_leaks(fake, log_text)


async def test_sigterm_right_after_start_up_exits_cleanly(tmp_path: Path) -> None:
    """Stopping while start-up work (the first sweep, the first prune) is still running: nothing
    is cut off mid-query, so no database thread keeps the process alive."""
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Walkers")
        fake.add_text_channel(guild, "general")
        synced = await walkwell(fake, tmp_path, "sync")
        assert synced.returncode == 0, synced.output
        for round_ in range(3):
            async with running_bot(fake, tmp_path / f"run{round_}") as bot:
                pass
            assert bot.returncode == 0
