"""``walkwell health``: healthy while the bot runs and beats, unhealthy when it stops or stalls."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

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
