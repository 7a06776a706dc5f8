"""``walkwell sync`` / ``invite`` / ``run`` start-up paths, and the log's token redaction."""

from __future__ import annotations

import argparse
import base64
import io
import logging
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import discord
import pytest

from bot import runner
from bot.log import REDACTED, RedactingFormatter
from tests.e2e.harness import walkwell
from tests.fakediscord import FakeDiscord
from tests.helpers import run_bot_cli

APP_ID = 1174496221375000626


def _token_for(user_id: int) -> str:
    first = base64.b64encode(str(user_id).encode()).decode().rstrip("=")
    return f"{first}.GhAbCd.ThisIsTheSecretPartOfTheToken_0123456789"


# --- invite ---------------------------------------------------------------------------------


def test_application_id_from_the_token() -> None:
    assert runner.application_id_from_token(_token_for(APP_ID)) == APP_ID
    assert runner.application_id_from_token("not-base64!.x.y") is None
    assert runner.application_id_from_token(base64.b64encode(b"hello").decode() + ".x.y") is None


def test_invite_permissions_are_exactly_the_minimal_set() -> None:
    perms = runner.invite_permissions()
    assert perms == discord.Permissions(
        view_channel=True,
        send_messages=True,
        send_messages_in_threads=True,
        embed_links=True,
        attach_files=True,
        read_message_history=True,
    )
    assert not perms.administrator and not perms.mention_everyone and not perms.manage_messages


def _invite_url(stdout: str) -> tuple[str, dict[str, list[str]]]:
    (url,) = stdout.split()
    parts = urlsplit(url)
    return parts.netloc + parts.path, parse_qs(parts.query)


def test_invite_with_the_application_id_from_settings(tmp_path: Path) -> None:
    proc = run_bot_cli(tmp_path, "invite", DISCORD_APPLICATION_ID=str(APP_ID))
    assert proc.returncode == 0, proc.stderr
    where, query = _invite_url(proc.stdout)
    assert where == "discord.com/oauth2/authorize"
    assert query["client_id"] == [str(APP_ID)]
    assert query["permissions"] == [str(runner.invite_permissions().value)]
    assert set(query["scope"][0].split()) == {"bot", "applications.commands"}
    for name in runner.PERMISSIONS:  # each permission is explained
        assert name.replace("_", " ") in proc.stderr


def test_invite_derives_the_id_from_the_token_without_printing_it(tmp_path: Path) -> None:
    token = _token_for(APP_ID)
    proc = run_bot_cli(tmp_path, "invite", DISCORD_TOKEN=token)
    assert proc.returncode == 0, proc.stderr
    assert _invite_url(proc.stdout)[1]["client_id"] == [str(APP_ID)]
    assert "ThisIsTheSecretPart" not in proc.stdout + proc.stderr


def test_invite_without_id_or_token_is_a_settings_error(tmp_path: Path) -> None:
    proc = run_bot_cli(tmp_path, "invite")
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert "DISCORD_APPLICATION_ID" in line


async def test_invite_asks_discord_when_the_token_does_not_say(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        opaque = "opaque-token-" + fake.token.rsplit(".", 1)[-1]
        fake.token = opaque  # a token whose first segment is not an id: ask the API
        result = await walkwell(fake, tmp_path, "invite")
        assert result.returncode == 0, result.output
        assert f"client_id={fake.application_id}" in result.output
        assert fake.requests_to("GET", "/oauth2/applications/@me")


# --- sync -----------------------------------------------------------------------------------


async def test_sync_to_one_guild_registers_there_only(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Dev server")
        result = await walkwell(fake, tmp_path, "sync", "--guild", str(guild.id))
        assert result.returncode == 0, result.output
        names = {c["name"] for c in fake.registered_commands(guild.id)}
        assert f"registered {len(names)} commands in guild {guild.id}" in result.output
        assert {"ask", "guide", "faq", "checklist", "cadence", "reminders"} <= names
        assert fake.registered_commands() == []
        assert not fake.gateway.identifies  # REST only: sync never opens the gateway


async def test_sync_with_a_rejected_token_fails_cleanly(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        bad = fake.token[:-4] + "AAAA"
        result = await walkwell(fake, tmp_path, "sync", env={"DISCORD_TOKEN": bad})
        assert result.returncode == 1
        assert "rejected the token" in result.output
        assert bad not in result.output and not fake.sync_calls


def test_sync_refuses_a_tree_that_breaks_the_rules(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def broken(*args: object) -> list[str]:
        raise runner.InvalidCommands(["/ask: name 'Ask' must match"])

    monkeypatch.setattr(runner, "_sync", broken)
    monkeypatch.setattr(runner, "_settings", lambda require_token: _fake_settings())
    assert runner.sync_main(argparse.Namespace(guild=None)) == 1
    assert "/ask: name 'Ask'" in capsys.readouterr().err


def _fake_settings() -> object:
    from bot.settings import BotSettings, DiscordSettings, Settings
    from schedules.settings import DatabaseSettings, ReminderSettings

    return Settings(
        discord=DiscordSettings(token="abc.def.ghi"),  # type: ignore[arg-type]
        bot=BotSettings(),
        database=DatabaseSettings(),
        reminders=ReminderSettings(),
    )


# --- logs never hold the token ----------------------------------------------------------------


def test_redacting_formatter_hides_secrets_in_messages_args_and_tracebacks() -> None:
    secret = "MTE3NDQ5.GhAbCd.SecretPart"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter([secret, "SecretPart"]))
    logger = logging.getLogger("test.redact")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.warning("token is %s", secret)
        logger.warning(f"inline {secret}")
        try:
            raise RuntimeError(f"failed with {secret}")
        except RuntimeError:
            logger.exception("boom")
        logger.warning("only the tail SecretPart")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "SecretPart" not in text and "MTE3NDQ5" not in text
    assert text.count(REDACTED) >= 4


def test_a_thread_left_running_after_shutdown_does_not_keep_the_process_alive() -> None:
    script = (
        "import logging, threading, time, sys\n"
        "logging.basicConfig()\n"
        "from bot import runner\n"
        "runner.LINGER_SECONDS = 0.2\n"
        "assert runner._exit_when_threads_linger(0) == 0  # nothing lingers: returns\n"
        "threading.Thread(target=time.sleep, args=(60,), name='stuck-db-worker').start()\n"
        "runner._exit_when_threads_linger(3)\n"
        "print('not reached')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert proc.returncode == 3, proc.stderr
    assert "stuck-db-worker" in proc.stderr
    assert "not reached" not in proc.stdout


def test_the_event_loop_is_uvloop_when_installed_and_asyncio_on_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    monkeypatch.delenv("WALKWELL_ASYNCIO_LOOP", raising=False)
    factory = runner.event_loop_factory()
    if importlib.util.find_spec("uvloop") is None:
        assert factory is None  # asyncio's own loop: uvloop is optional
    else:
        assert factory is not None
        loop = factory()
        try:
            assert type(loop).__module__.startswith("uvloop")
        finally:
            loop.close()
    monkeypatch.setenv("WALKWELL_ASYNCIO_LOOP", "asyncio")
    assert runner.event_loop_factory() is None
    monkeypatch.setitem(sys.modules, "uvloop", None)  # not installed: asyncio's, no error
    monkeypatch.delenv("WALKWELL_ASYNCIO_LOOP")
    assert runner.event_loop_factory() is None


async def test_memory_settles_once_the_bot_is_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    calls: list[object] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "set_threshold", lambda *t: calls.append(t))

    class Bot:
        async def wait_until_ready(self) -> None:
            calls.append("ready")

    await runner.settle_memory(Bot())  # type: ignore[arg-type]
    assert calls == ["ready", "freeze", runner.GC_THRESHOLDS]
