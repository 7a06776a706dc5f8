"""Settings: a missing or malformed one stops start-up with one line naming it, exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsProblem, load_settings

REPO = Path(__file__).resolve().parents[1]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.Gh7abc.SuperSecretTokenPartDoNotLog_123"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DISCORD_", "WALKWELL_", "DATABASE_"))
    }
    env.update(extra)
    return env


def _python_m_bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,  # no .env from the repository
        env=_clean_env(PYTHONPATH=str(REPO), **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]


def test_missing_token_exits_2_naming_it(tmp_path: Path) -> None:
    proc = _python_m_bot(tmp_path)
    assert proc.returncode == 2
    assert "DISCORD_TOKEN" in _one_line(proc.stderr)
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("DISCORD_API_BASE", "ftp://example.com/api"),
        ("DISCORD_API_BASE", "not a url"),
        ("DISCORD_GATEWAY_URL", "https://gateway.example.com/"),
        ("DISCORD_GATEWAY_URL", "ws://127.0.0.1:notaport/"),
        ("DISCORD_APPLICATION_ID", "abc"),
        ("WALKWELL_LOG_LEVEL", "LOUD"),
    ],
)
def test_malformed_setting_exits_2_naming_it(tmp_path: Path, var: str, value: str) -> None:
    proc = _python_m_bot(tmp_path, **{"DISCORD_TOKEN": TOKEN, var: value})
    assert proc.returncode == 2, proc.stderr
    line = _one_line(proc.stderr)
    assert var in line
    assert TOKEN not in proc.stderr + proc.stdout


def test_malformed_token_is_named_not_shown(tmp_path: Path) -> None:
    bad = "abc def-secret-part"
    proc = _python_m_bot(tmp_path, DISCORD_TOKEN=bad)
    assert proc.returncode == 2
    line = _one_line(proc.stderr)
    assert "DISCORD_TOKEN" in line
    assert "secret-part" not in line


def test_dotenv_in_working_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith(("DISCORD_", "WALKWELL_")):
            monkeypatch.delenv(key)
    (tmp_path / ".env").write_text(
        f"DISCORD_TOKEN={TOKEN}\nDISCORD_API_BASE=http://127.0.0.1:9999/api/v10/\n"
        "DISCORD_GATEWAY_URL=ws://127.0.0.1:9999/gateway\nOTHER_THING=1\n"
    )
    monkeypatch.chdir(tmp_path)
    settings = load_settings(require_token=True)
    assert settings.discord.token_value() == TOKEN
    assert settings.discord.api_base == "http://127.0.0.1:9999/api/v10"
    assert settings.discord.gateway_url == "ws://127.0.0.1:9999/gateway"
    assert TOKEN not in repr(settings)


def test_defaults_and_token_optional_outside_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith(("DISCORD_", "WALKWELL_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.discord.api_base == "https://discord.com/api/v10"
    assert settings.discord.gateway_url == "wss://gateway.discord.gg/"
    assert settings.discord.token is None
    with pytest.raises(SettingsProblem, match="DISCORD_TOKEN"):
        load_settings(require_token=True)
