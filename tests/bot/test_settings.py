"""Settings: a missing or malformed one stops start-up with one line naming it, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsProblem, load_settings
from tests.bot.conftest import TOKEN
from tests.helpers import run_bot_cli


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def test_missing_token_exits_2_naming_it(tmp_path: Path) -> None:
    proc = run_bot_cli(tmp_path)
    assert proc.returncode == 2
    assert "DISCORD_TOKEN" in _one_line(proc.stderr)
    assert proc.stdout == ""


MALFORMED = [
    ("DISCORD_API_BASE", "ftp://example.com/api"),
    ("DISCORD_API_BASE", "not a url"),
    ("DISCORD_GATEWAY_URL", "https://gateway.example.com/"),
    ("DISCORD_GATEWAY_URL", "ws://127.0.0.1:notaport/"),
    ("DISCORD_APPLICATION_ID", "abc"),
    ("DISCORD_APPLICATION_ID", "-4"),
    ("WALKWELL_LOG_LEVEL", "LOUD"),
    ("DATABASE_URL", "mysql://nope/db"),
    ("WALKWELL_REMINDER_GRACE_MINUTES", "soon"),
    ("WALKWELL_REMINDER_SEND_RATE", "900"),
]


@pytest.mark.parametrize(("var", "value"), MALFORMED)
def test_malformed_setting_is_one_line_naming_it(
    no_settings: Path, monkeypatch: pytest.MonkeyPatch, var: str, value: str
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsProblem) as problem:
        load_settings(require_token=True)
    line = str(problem.value)
    assert "\n" not in line and var in line
    assert TOKEN not in line and value not in line


def test_malformed_setting_stops_the_process_with_exit_2(tmp_path: Path) -> None:
    var, value = MALFORMED[0]
    proc = run_bot_cli(tmp_path, **{"DISCORD_TOKEN": TOKEN, var: value})
    assert proc.returncode == 2, proc.stderr
    assert var in _one_line(proc.stderr)
    assert TOKEN not in proc.stderr + proc.stdout


def test_malformed_reminder_setting_stops_the_process_with_exit_2(tmp_path: Path) -> None:
    var = "WALKWELL_REMINDER_MAX_ATTEMPTS"
    proc = run_bot_cli(tmp_path, **{"DISCORD_TOKEN": TOKEN, var: "many"})
    assert proc.returncode == 2, proc.stderr
    assert var in _one_line(proc.stderr)
    assert proc.stdout == ""


def test_reminder_limits_across_fields_are_one_line(
    no_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WALKWELL_REMINDER_SEND_RATE", "48")
    monkeypatch.setenv("WALKWELL_REMINDER_SEND_BURST", "5")
    with pytest.raises(SettingsProblem) as problem:
        load_settings()
    line = str(problem.value)
    assert "\n" not in line and "WALKWELL_REMINDER_SEND_RATE" in line


def test_malformed_token_is_named_not_shown(tmp_path: Path) -> None:
    bad = "abc def-secret-part"
    proc = run_bot_cli(tmp_path, DISCORD_TOKEN=bad)
    assert proc.returncode == 2
    line = _one_line(proc.stderr)
    assert "DISCORD_TOKEN" in line
    assert "secret-part" not in line


def test_dotenv_in_working_directory_is_read(no_settings: Path) -> None:
    (no_settings / ".env").write_text(
        f"DISCORD_TOKEN={TOKEN}\nDISCORD_API_BASE=http://127.0.0.1:9999/api/v10/\n"
        "DISCORD_GATEWAY_URL=ws://127.0.0.1:9999/gateway\nOTHER_THING=1\n"
    )
    settings = load_settings(require_token=True)
    assert settings.discord.token_value() == TOKEN
    assert settings.discord.api_base == "http://127.0.0.1:9999/api/v10"
    assert settings.discord.gateway_url == "ws://127.0.0.1:9999/gateway"
    assert TOKEN not in repr(settings)


def test_defaults_and_token_optional_outside_run(no_settings: Path) -> None:
    settings = load_settings()
    assert settings.discord.api_base == "https://discord.com/api/v10"
    assert settings.discord.gateway_url == "wss://gateway.discord.gg/"
    assert settings.discord.token is None
    with pytest.raises(SettingsProblem, match="DISCORD_TOKEN"):
        load_settings(require_token=True)
