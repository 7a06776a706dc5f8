"""Start the real bot process against a :class:`FakeDiscord` and stop it cleanly.

Usage (inside an async test)::

    async with FakeDiscord() as fake:
        guild = fake.add_guild("Walkers"); general = fake.add_text_channel(guild)
        async with running_bot(fake, tmp_path) as bot:        # python -m bot, READY, then SIGTERM
            ix = await fake.slash(alice, "ask", {"question": "..."}, channel=general)
            ...
        # leaving the block asserts a clean exit (code 0) and that the token was never logged

Or step by step: ``bot = BotProcess(fake, tmp_path); await bot.start(); await bot.wait_ready();
... ; await bot.stop()``. ``await walkwell(fake, tmp_path, "sync")`` runs the CLI with the same
settings (REST only).
"""

# The harness takes explicit timeouts on purpose.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.fakediscord import FakeDiscord, FakeMessage, FakeUser

REPO_ROOT = Path(__file__).resolve().parents[2]
#: the real bot's start-up, exactly as `python -m bot`
BOT_ARGV = [sys.executable, "-m", "bot"]
#: the `walkwell` console script, without relying on PATH
CLI_PREFIX = [
    sys.executable,
    "-c",
    "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))",
]

_SCRUBBED_PREFIXES = ("DISCORD_", "WALKWELL_")


class BotDied(AssertionError):
    """The bot process exited while a test was waiting on it."""


def bot_environment(
    fake: FakeDiscord, workdir: Path, extra: dict[str, str] | None = None
) -> dict[str, str]:
    """A clean environment: this machine's, minus any Discord/WalkWell settings, plus the fake's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_SCRUBBED_PREFIXES) and k != "DATABASE_URL"
    }
    env.update(fake.bot_env())
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{workdir / 'walkwell.db'}"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    # The tests of other features ask many questions as one person: fair use has its own test
    # (test_trust_e2e.py), at the contract's 6 a minute.
    env["WALKWELL_ASK_PER_MINUTE"] = "1000"
    if extra:
        env.update(extra)
    return env


def token_leaks(fake: FakeDiscord, text: str) -> list[str]:
    """Pieces of the token that appear in ``text`` (the whole token, or its secret part)."""
    secret = fake.token.rsplit(".", 1)[-1]
    return [
        label for label, piece in (("token", fake.token), ("token secret", secret)) if piece in text
    ]


@dataclass
class CliResult:
    returncode: int
    output: str


async def walkwell(
    fake: FakeDiscord,
    workdir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    stdin: bytes | None = None,
) -> CliResult:
    """Run ``walkwell ARGS`` (e.g. ``sync``) with the fake's settings; returns code and output."""
    proc = await asyncio.create_subprocess_exec(
        *CLI_PREFIX,
        *args,
        cwd=workdir,
        env=bot_environment(fake, workdir, env),
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(stdin), timeout=timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(
            f"walkwell {' '.join(args)} did not finish within {timeout}s"
        ) from None
    assert proc.returncode is not None
    return CliResult(proc.returncode, out.decode(errors="replace"))


class BotProcess:
    """The real bot as a subprocess, its output captured to ``workdir/<name>.log``."""

    def __init__(
        self,
        fake: FakeDiscord,
        workdir: Path,
        *,
        argv: Sequence[str] = BOT_ARGV,
        env: dict[str, str] | None = None,
        name: str = "bot",
    ) -> None:
        self.fake = fake
        self.workdir = Path(workdir)
        self.argv = list(argv)
        self.extra_env = env
        self.log_path = self.workdir / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None
        self._log_file: object = None
        self._stopping = False
        self._exit_watch: asyncio.Task[None] | None = None

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode if self.proc is not None else None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = await asyncio.to_thread(open, self.log_path, "ab")  # closed in stop()
        self._log_file = log
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=self.workdir,
            env=bot_environment(self.fake, self.workdir, self.extra_env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        self.fake.watchdogs.append(self._check_alive)
        self._exit_watch = asyncio.create_task(self._watch_exit())

    async def _watch_exit(self) -> None:
        assert self.proc is not None
        await self.proc.wait()
        self.fake._touch()

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.returncode is not None and not self._stopping:
            raise BotDied(
                f"the bot exited with code {self.proc.returncode} while a test waited on it\n"
                f"{self.log_tail()}"
            )

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """READY and GUILD_CREATE sent and handled by the bot (see FakeDiscord.wait_ready)."""
        await self.fake.wait_ready(timeout=timeout)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 80) -> str:
        text = self.log_text().splitlines()[-lines:]
        return "--- bot log (tail) ---\n" + "\n".join(text) + "\n--- end of bot log ---"

    async def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then wait; kills and raises if the bot does not exit within ``timeout``."""
        if self.proc is None:
            return 0
        self._stopping = True
        with contextlib.suppress(ValueError):
            self.fake.watchdogs.remove(self._check_alive)
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=timeout)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
                self._close_log()
                raise AssertionError(
                    f"the bot ignored SIGTERM for {timeout}s and was killed\n{self.log_tail()}"
                ) from None
        if self._exit_watch is not None:
            await self._exit_watch
        self._close_log()
        assert self.proc.returncode is not None
        return self.proc.returncode

    def _close_log(self) -> None:
        log = self._log_file
        if log is not None:
            log.close()  # type: ignore[attr-defined]
            self._log_file = None

    def assert_clean_exit(self) -> None:
        """Exit code 0 after SIGTERM, and the token never reached the log."""
        text = self.log_text()
        leaks = token_leaks(self.fake, text)
        assert not leaks, f"the bot logged its {', '.join(leaks)}"
        assert self.returncode == 0, (
            f"the bot exited with code {self.returncode} after SIGTERM\n{self.log_tail()}"
        )


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord,
    workdir: Path,
    *,
    argv: Sequence[str] = BOT_ARGV,
    env: dict[str, str] | None = None,
    ready_timeout: float = 30.0,
    check_exit: bool = True,
) -> AsyncIterator[BotProcess]:
    """Start the bot, wait for READY, yield it; on the way out stop it and check its exit."""
    bot = BotProcess(fake, workdir, argv=argv, env=env)
    await bot.start()
    ok = False
    try:
        await bot.wait_ready(timeout=ready_timeout)
        yield bot
        ok = True
    finally:
        with contextlib.suppress(AssertionError):
            if not ok:
                await bot.stop()
                print(bot.log_tail(), file=sys.stderr)
        if ok:
            await bot.stop()
            if check_exit:
                bot.assert_clean_exit()


async def confirm_erase(fake: FakeDiscord, user: FakeUser, prompt: FakeMessage) -> None:
    """Press ``/privacy delete``'s confirm button as ``user``: acknowledged at once (a deferred
    update), then the prompt becomes the result once everything is erased."""
    erase = next(c for c in prompt.custom_ids() if c.startswith("ww:priv:del:"))
    click = await fake.click(user, prompt, erase)
    assert (await click.response(timeout=5)).type == 6
    await fake.wait_until(
        lambda: not prompt.components and "erased" in prompt.text(),
        timeout=10,
        what="the delete prompt to show its result",
    )
