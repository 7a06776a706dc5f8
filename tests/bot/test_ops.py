"""Operations: sharding settings, JSON logs, and the optional Prometheus metrics endpoint."""

from __future__ import annotations

import io
import json
import logging
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import metrics, runner
from bot.log import REDACTED, JsonFormatter, setup_logging
from bot.settings import SettingsProblem, load_settings
from tests.bot.conftest import TOKEN
from tests.helpers import run_bot_cli

# --- sharding settings ------------------------------------------------------------------------


def test_no_shard_settings_pass_no_shard_to_the_client(no_settings: Path) -> None:
    settings = load_settings()
    assert settings.discord.shard_id is None and settings.discord.shard_count is None
    kwargs = runner.client_kwargs(settings)
    assert "shard_id" not in kwargs and "shard_count" not in kwargs
    assert kwargs["health_file"] == settings.bot.health_file


def test_shard_settings_reach_the_client_constructor(
    no_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_SHARD_ID", "1")
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "2")
    settings = load_settings()
    assert runner.client_kwargs(settings) == {
        "health_file": settings.bot.health_file,
        "shard_id": 1,
        "shard_count": 2,
    }


BAD_SHARDS = [
    ({"DISCORD_SHARD_ID": "0"}, "DISCORD_SHARD_COUNT"),
    ({"DISCORD_SHARD_COUNT": "2"}, "DISCORD_SHARD_ID"),
    ({"DISCORD_SHARD_ID": "2", "DISCORD_SHARD_COUNT": "2"}, "DISCORD_SHARD_ID"),
    ({"DISCORD_SHARD_ID": "-1", "DISCORD_SHARD_COUNT": "2"}, "DISCORD_SHARD_ID"),
    ({"DISCORD_SHARD_ID": "0", "DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT"),
    ({"DISCORD_SHARD_ID": "one", "DISCORD_SHARD_COUNT": "2"}, "DISCORD_SHARD_ID"),
]


@pytest.mark.parametrize(("env", "named"), BAD_SHARDS)
def test_bad_shard_settings_are_one_line_naming_the_variable(
    no_settings: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsProblem) as problem:
        load_settings()
    line = str(problem.value)
    assert "\n" not in line and line.startswith(named)


def test_bad_shard_settings_stop_walkwell_run_with_exit_2(tmp_path: Path) -> None:
    proc = run_bot_cli(tmp_path, DISCORD_TOKEN=TOKEN, DISCORD_SHARD_ID="3", DISCORD_SHARD_COUNT="2")
    assert proc.returncode == 2, proc.stderr
    (line,) = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "DISCORD_SHARD_ID" in line and "DISCORD_SHARD_COUNT" in line
    assert TOKEN not in proc.stderr + proc.stdout


@pytest.mark.parametrize(
    ("var", "value"),
    [("WALKWELL_LOG_FORMAT", "xml"), ("WALKWELL_METRICS_PORT", "70000")],
)
def test_bad_ops_settings_are_named(
    no_settings: Path, monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsProblem, match=var):
        load_settings()


def test_metrics_are_off_by_default(no_settings: Path) -> None:
    settings = load_settings()
    assert settings.bot.metrics_port is None
    assert settings.bot.log_format == "text"


# --- JSON logs --------------------------------------------------------------------------------


def _json_lines(secrets: list[str], emit: object) -> list[dict[str, object]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(secrets))
    logger = logging.getLogger("test.jsonlog")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        emit(logger)  # type: ignore[operator]
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    for secret in secrets:
        assert secret not in text
    return [json.loads(line) for line in text.splitlines()]


def test_json_log_lines_are_objects_with_extra_fields() -> None:
    def emit(logger: logging.Logger) -> None:
        logger.info("sent %d reminders", 3, extra={"user_id": 42, "shard": [0, 2]})

    (entry,) = _json_lines([], emit)
    assert entry["message"] == "sent 3 reminders"
    assert entry["level"] == "INFO" and entry["logger"] == "test.jsonlog"
    assert entry["user_id"] == 42 and entry["shard"] == [0, 2]
    assert str(entry["ts"]).endswith("+00:00")


def test_json_logs_redact_messages_extras_and_tracebacks() -> None:
    secret = 'MTE3NDQ5.Gh"Ab\\Cd.SecretPart'  # quotes and backslashes are escaped in JSON

    def emit(logger: logging.Logger) -> None:
        logger.warning("token is %s", secret, extra={"header": f"Bot {secret}"})
        try:
            raise RuntimeError(f"failed with {secret}")
        except RuntimeError:
            logger.exception("boom")

    first, second = _json_lines([secret, "SecretPart"], emit)
    assert first["message"] == f"token is {REDACTED}"
    assert first["header"] == f"Bot {REDACTED}"
    assert "RuntimeError" in str(second["exc"]) and REDACTED in str(second["exc"])


def test_setup_logging_picks_the_format() -> None:
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        handler = setup_logging("INFO", secrets=["x"], fmt="json")
        assert isinstance(handler.formatter, JsonFormatter)
        with pytest.raises(ValueError, match="log format"):
            setup_logging("INFO", fmt="yaml")
    finally:
        for h in list(root.handlers):
            root.removeHandler(h)
        for h in saved[0]:
            root.addHandler(h)
        root.setLevel(saved[1])


# --- metrics ----------------------------------------------------------------------------------


@pytest.fixture
def live_metrics() -> Iterator[tuple[metrics.Metrics, int]]:
    live = metrics.start(0, "127.0.0.1")
    try:
        port = int(live.server.server_address[1])
        yield live, port
    finally:
        metrics.stop()


def _scrape(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
        assert resp.status == 200
        body = resp.read().decode()
    samples = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_recording_is_a_no_op_when_metrics_are_off() -> None:
    assert metrics.active() is None
    metrics.interaction("ask")
    metrics.interaction_from_payload({"name": "ask"}, 2)
    metrics.answer("answer")
    metrics.reminder("ok")
    metrics.rate_limited("global")
    metrics.sweep(0.5)
    assert metrics.active() is None


def test_metrics_are_served_on_the_port(live_metrics: tuple[metrics.Metrics, int]) -> None:
    _, port = live_metrics
    metrics.interaction("ask")
    metrics.interaction("ask")
    metrics.interaction_from_payload(
        {"name": "reminders", "options": [{"type": 1, "name": "start", "options": []}]}, 2
    )
    metrics.interaction_from_payload({"name": "guide", "options": []}, 4)
    metrics.interaction_from_payload({"custom_id": "unit:posture"}, 3)
    metrics.answer("answer")
    metrics.answer("urgent")
    metrics.answer("something else")
    metrics.reminder("ok")
    metrics.reminder("ok")
    metrics.reminder("blocked_dm")
    metrics.rate_limited("global")
    metrics.sweep(0.003)
    metrics.sweep(2.0)
    got = _scrape(port)
    assert got['walkwell_interactions_total{command="ask",type="application_command"}'] == 2
    key = 'walkwell_interactions_total{command="reminders start",type="application_command"}'
    assert got[key] == 1
    assert got['walkwell_interactions_total{command="guide",type="autocomplete"}'] == 1
    assert got['walkwell_interactions_total{command="none",type="component"}'] == 1
    assert got['walkwell_answers_total{kind="answer"}'] == 1
    assert got['walkwell_answers_total{kind="urgent"}'] == 1
    assert got['walkwell_answers_total{kind="other"}'] == 1
    assert got['walkwell_reminders_total{outcome="sent"}'] == 2
    assert got['walkwell_reminders_total{outcome="blocked_dm"}'] == 1
    assert got['walkwell_rate_limited_total{scope="global"}'] == 1
    assert got["walkwell_sweep_seconds_count"] == 2
    assert got["walkwell_sweep_seconds_sum"] == pytest.approx(2.003)
    assert got['walkwell_sweep_seconds_bucket{le="0.005"}'] == 1


def test_label_values_stay_bounded(live_metrics: tuple[metrics.Metrics, int]) -> None:
    _, port = live_metrics
    metrics.interaction('x"} 1\nevil_metric{a="')
    metrics.reminder("A" * 500)
    got = _scrape(port)
    assert got['walkwell_interactions_total{command="other",type="application_command"}'] == 1
    assert got['walkwell_reminders_total{outcome="other"}'] == 1
    assert not any(name.startswith("evil_metric") for name in got)


def test_discord_py_429s_are_counted_from_its_log(
    live_metrics: tuple[metrics.Metrics, int],
) -> None:
    _, port = live_metrics
    http_log = logging.getLogger("discord.http")
    fmt = "We are being rate limited. %s %s responded with 429. Retrying in %.2f seconds."
    http_log.warning(fmt, "POST", "https://x/channels/1/messages", 0.5)
    http_log.warning("Global rate limit has been hit. Retrying in %.2f seconds.", 0.5)
    http_log.warning("something else")
    got = _scrape(port)
    assert got['walkwell_rate_limited_total{scope="route"}'] == 1
    assert got['walkwell_rate_limited_total{scope="global"}'] == 1


def test_starting_twice_is_refused(live_metrics: tuple[metrics.Metrics, int]) -> None:
    with pytest.raises(RuntimeError, match="already"):
        metrics.start(0, "127.0.0.1")


def test_after_stop_nothing_is_served(live_metrics: tuple[metrics.Metrics, int]) -> None:
    _, port = live_metrics
    metrics.stop()
    assert metrics.active() is None
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)


async def test_the_runner_counts_interactions_by_command(
    live_metrics: tuple[metrics.Metrics, int],
) -> None:
    _, port = live_metrics
    fake = SimpleNamespace(
        data={"name": "cadence", "options": [{"type": 4, "name": "current", "value": 90}]},
        type=SimpleNamespace(value=2),
    )
    await runner._count_interaction(fake)  # type: ignore[arg-type]
    got = _scrape(port)
    assert got['walkwell_interactions_total{command="cadence",type="application_command"}'] == 1


# --- compose.yaml -----------------------------------------------------------------------------


def test_compose_runs_every_shard_once_on_one_postgres_database(
    no_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "compose.yaml").read_text())
    bots = {
        name: service["environment"]
        for name, service in compose["services"].items()
        if "DISCORD_SHARD_COUNT" in (service.get("environment") or {})
    }
    assert len(bots) >= 2
    counts = {int(env["DISCORD_SHARD_COUNT"]) for env in bots.values()}
    assert counts == {len(bots)}  # every process agrees on the number of shards
    ids = []
    for env in bots.values():
        for key, value in env.items():
            monkeypatch.setenv(key, str(value))
        settings = load_settings()  # each service's settings are valid
        ids.append(runner.client_kwargs(settings)["shard_id"])
        assert settings.database.database_url.startswith("postgresql+asyncpg://")
        assert settings.bot.metrics_port is not None and settings.bot.log_format == "json"
    assert sorted(ids) == list(range(len(bots)))  # each shard exactly once
    assert len({env["DATABASE_URL"] for env in bots.values()}) == 1
    assert compose["services"]["migrate"]["command"] == ["db", "upgrade"]
