"""``walkwell health``: healthy while the bot runs and beats, unhealthy when it stops or stalls."""

from __future__ import annotations

import asyncio
import json
import unittest.mock
from pathlib import Path
from typing import Any

import pytest

from bot import health
from tests.e2e.harness import running_bot, walkwell
from tests.fakediscord import FakeDiscord


class Gateway:
    def __init__(self, ready: bool) -> None:
        self.ready = ready

    def is_ready(self) -> bool:
        return self.ready

    def is_closed(self) -> bool:
        return False


def test_check_flags_an_old_file_and_stale_beats() -> None:
    now = 10_000.0
    fresh = {"written_at": now - 5, "beats": {"gateway": {"at": now - 5, "max_age": 90}}}
    assert health.check(fresh, now) == []
    old_file = {**fresh, "written_at": now - health.FILE_MAX_AGE - 1}
    assert any("no sign of life" in p for p in health.check(old_file, now))
    stale_sweep = {
        **fresh,
        "beats": {**fresh["beats"], "sweep": {"at": now - 200, "max_age": 180}},
    }
    assert health.check(stale_sweep, now) == ["sweep stale for 200s"]
    never_connected = {"written_at": now, "beats": {}}
    assert health.check(never_connected, now) == ["not connected to the gateway yet"]


async def test_the_writer_records_the_gateway_only_when_ready(tmp_path: Path) -> None:
    clock = iter(range(100, 1000))
    state = health.Health(tmp_path / "data" / "health.json", clock=lambda: float(next(clock)))
    gateway = Gateway(ready=False)
    task = asyncio.create_task(state.run(gateway, interval=0.01))
    try:
        for _ in range(200):
            if state.path and state.path.exists():
                break
            await asyncio.sleep(0.01)
        data = json.loads((tmp_path / "data" / "health.json").read_text())
        assert "gateway" not in data["beats"]
        gateway.ready = True
        for _ in range(200):
            data = json.loads((tmp_path / "data" / "health.json").read_text())
            if "gateway" in data["beats"]:
                break
            await asyncio.sleep(0.01)
        assert data["beats"]["gateway"]["max_age"] == health.GATEWAY_MAX_AGE
    finally:
        task.cancel()
    state.remove()
    assert not (tmp_path / "data" / "health.json").exists()


@pytest.mark.e2e
async def test_health_follows_the_running_bot(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        fake.add_guild("Walkers")
        result = await walkwell(fake, tmp_path, "health")
        assert result.returncode == 1 and "not running" in result.output
        async with running_bot(fake, tmp_path):
            health_file = tmp_path / "data" / "health.json"

            def ready() -> bool:
                try:
                    data = json.loads(health_file.read_text())
                except (OSError, ValueError):
                    return False
                return "gateway" in data["beats"]

            await fake.wait_until(ready, timeout=15, what="the bot to record its gateway beat")
            result = await walkwell(fake, tmp_path, "health")
            assert (result.returncode, result.output.strip()) == (0, "healthy")
        # Stopped: the file is gone at once, and health says so.
        result = await walkwell(fake, tmp_path, "health")
        assert result.returncode == 1


async def _until(condition: Any) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


async def test_the_database_beat_stops_when_the_database_stops_answering() -> None:
    """The ``database`` beat is recorded while ``SELECT 1`` answers and ages while it does not,
    so ``walkwell health`` fails after a minute of silence."""
    from contextlib import asynccontextmanager

    clock = [1000.0]
    beats = health.Health(None, clock=lambda: clock[0])
    answering = [True]
    asked = asyncio.Event()

    class Db:
        @asynccontextmanager
        async def read(self) -> Any:
            asked.set()
            if not answering[0]:
                await asyncio.sleep(3600)  # a hung database
            conn = unittest.mock.AsyncMock()
            yield conn

    task = asyncio.create_task(health.probe_database(beats, Db(), every=0.01, answer_within=0.05))
    try:
        await _until(lambda: "database" in beats.beats)
        assert beats.beats["database"] == {"at": 1000.0, "max_age": health.DB_MAX_AGE}
        answering[0] = False
        clock[0] = 1100.0
        for _ in range(10):  # several probes, none answered in time
            asked.clear()
            await asked.wait()
        assert beats.beats["database"]["at"] == 1000.0
        data = {"written_at": 1100.0, "beats": {"gateway": {"at": 1100.0, "max_age": 90}}}
        data["beats"]["database"] = beats.beats["database"]
        assert health.check(data, 1100.0) == ["database stale for 100s"]
        answering[0] = True
        await _until(lambda: beats.beats["database"]["at"] == 1100.0)
    finally:
        task.cancel()
