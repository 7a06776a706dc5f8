"""``WALKWELL_RATE_LIMITS``: ``local`` (the default) splits Discord's budget among engines;
``proxy`` leaves Discord's limits to the shared REST proxy. The over-the-wire check is
``tests/e2e/test_proxy_e2e.py``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from bot.settings import SettingsProblem, load_settings
from schedules.reminders.delivery import SendOutcome
from schedules.reminders.engine import ReminderEngine
from schedules.settings import DISCORD_GLOBAL_RATE, ReminderSettings
from schedules.store.db import Database
from schedules.store.schema import sweepers_table
from tests.helpers import run_bot_cli
from tests.schedules.reminders.helpers import (
    RecordingSender,
    delivery_rows,
    fast_bucket,
    seed,
    settings,
    utc,
)

REPO = Path(__file__).resolve().parents[3]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gh7abc.SuperSecretTokenPartDoNotLog_123"


@pytest.mark.usefixtures("no_settings")
def test_local_is_the_default_and_keeps_the_configured_pacing() -> None:
    s = ReminderSettings()
    assert s.rate_limits == "local" and s.shares_budget
    assert s.pacing() == (s.send_rate, s.send_burst) == (40.0, 5)


@pytest.mark.usefixtures("no_settings")
@pytest.mark.parametrize("value", ["proxy", " Proxy ", "PROXY"])
def test_proxy_mode_paces_at_the_global_rate_bounded_by_the_in_flight_limit(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("WALKWELL_RATE_LIMITS", value)
    s = ReminderSettings()
    assert s.rate_limits == "proxy" and not s.shares_budget
    assert s.pacing() == (float(DISCORD_GLOBAL_RATE), s.max_in_flight) == (50.0, 16)
    assert ReminderSettings(rate_limits="proxy", max_in_flight=200).pacing() == (50.0, 50)


@pytest.mark.usefixtures("no_settings")
def test_a_bad_mode_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALKWELL_RATE_LIMITS", "shared")
    with pytest.raises(ValidationError) as err:
        ReminderSettings()
    assert "WALKWELL_RATE_LIMITS" in str(err.value)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    with pytest.raises(SettingsProblem) as problem:
        load_settings(require_token=True)
    line = str(problem.value)
    assert "\n" not in line and "WALKWELL_RATE_LIMITS" in line and "shared" not in line


def test_a_bad_mode_stops_the_bot_with_exit_2(tmp_path: Path) -> None:
    proc = run_bot_cli(tmp_path, DISCORD_TOKEN=TOKEN, WALKWELL_RATE_LIMITS="sometimes")
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "WALKWELL_RATE_LIMITS" in lines[0], proc.stderr
    assert TOKEN not in proc.stderr + proc.stdout


async def test_behind_the_proxy_engines_do_not_split_the_budget(db: Database) -> None:
    t = utc(2026, 7, 1, 7, 30)
    for i, user_id in enumerate(range(1, 5)):
        await seed(db, [user_id], t + timedelta(seconds=20 * i))
    proxied = settings(rate_limits="proxy")
    first = ReminderEngine(db, RecordingSender(), settings=proxied)
    second = ReminderEngine(db, RecordingSender(), settings=proxied)
    assert (first.bucket.rate, first.bucket.burst) == (50.0, proxied.max_in_flight)
    async with db.begin() as conn:  # a local-mode engine sweeping at the same time
        await conn.execute(sweepers_table.insert().values(owner="other", seen_at=t))
    for i, engine in enumerate((first, second, first, second)):
        await engine.sweep(t + timedelta(seconds=20 * i + 1))
        assert engine.bucket.share == 1 and engine.bucket.rate == 50.0
    async with db.read() as conn:  # no heartbeat written
        beats = (await conn.execute(select(func.count()).select_from(sweepers_table))).scalar_one()
    assert beats == 1
    assert len(first.sender.calls) + len(second.sender.calls) == 4  # type: ignore[attr-defined]


async def test_a_429_through_the_proxy_is_retried_as_in_local_mode(db: Database) -> None:
    answers = [SendOutcome.rate_limited(2.0, is_global=True)]
    sender = RecordingSender(lambda item: answers.pop() if answers else None)
    engine = ReminderEngine(
        db, sender, settings=settings(rate_limits="proxy"), bucket=fast_bucket()
    )
    due = utc(2026, 7, 1, 7, 30)
    await seed(db, [1], due)
    report = await engine.sweep(due + timedelta(seconds=1))
    assert report.deferred == 1 and report.sent == 0
    await engine.sweep(due + timedelta(seconds=2))  # before retry_after: nothing
    assert len(sender.calls) == 1
    report = await engine.sweep(due + timedelta(seconds=4))
    assert report.sent == 1 and len(sender.calls) == 2
    (row,) = await delivery_rows(db, 1)
    assert (row.status, row.attempts) == ("sent", 1)


def test_compose_sends_every_shard_through_the_rest_proxy() -> None:
    import yaml

    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    proxy = services["rest-proxy"]
    assert proxy["build"] == "./proxy"
    port = proxy["environment"]["PROXY_PORT"]
    shards = [s for s in services.values() if "DISCORD_SHARD_ID" in (s.get("environment") or {})]
    assert len(shards) >= 2
    for shard in shards:
        env = shard["environment"]
        assert env["DISCORD_API_BASE"] == f"http://rest-proxy:{port}/api/v10"
        assert env["WALKWELL_RATE_LIMITS"] == "proxy"
        assert "rest-proxy" in shard["depends_on"]


def test_the_proxy_packages_are_pinned_and_locked() -> None:
    package = json.loads((REPO / "proxy" / "package.json").read_text())
    lock = json.loads((REPO / "proxy" / "package-lock.json").read_text())
    pinned = package["dependencies"]
    assert set(pinned) == {"@discordjs/proxy", "@discordjs/rest"}
    for name, version in pinned.items():
        assert version[0].isdigit(), f"{name} is not pinned: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert package["engines"]["node"] == ">=20"
