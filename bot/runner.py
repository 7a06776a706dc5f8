"""``walkwell run`` / ``sync`` / ``invite``: each takes the parsed arguments and returns an exit code.

- A missing or malformed setting: one line on stderr naming the variable, exit code 2.
- ``run`` stops cleanly on SIGTERM or SIGINT (the bot is closed, exit code 0). It logs in
  ``WALKWELL_LOG_FORMAT``, serves ``/metrics`` when ``WALKWELL_METRICS_PORT`` is set (counting every
  interaction by command), and connects as shard ``DISCORD_SHARD_ID`` of ``DISCORD_SHARD_COUNT``
  when those are set.
- ``sync`` registers the slash commands over REST alone (no gateway connection). The bot never
  syncs by itself on start: registration is a deliberate act, and rate-limited by Discord.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import gc
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

import aiohttp
import discord
import yarl

from bot import metrics, treecheck
from bot.app import WalkWell
from bot.exts.reminders import reminder_sender
from bot.log import setup_logging, url_secrets
from bot.settings import DiscordSettings, Settings, SettingsProblem, load_settings

log = logging.getLogger(__name__)

EXIT_SETTINGS = 2

#: What the bot needs in a channel, and why; nothing more is asked for.
PERMISSIONS: dict[str, str] = {
    "view_channel": "see the channels it is mentioned in, and where reminders are posted",
    "send_messages": "reply to mentions and post channel reminders",
    "send_messages_in_threads": "reply when mentioned inside a thread",
    "embed_links": "show answers as embeds in replies and reminders (not needed for slash commands)",
    "attach_files": "post progress charts and exports outside an interaction reply",
    "read_message_history": "reply to a message (Discord requires it for message references)",
}
SCOPES = ("bot", "applications.commands")


def invite_permissions() -> discord.Permissions:
    return discord.Permissions(**dict.fromkeys(PERMISSIONS, True))


def _settings(*, require_token: bool) -> Settings | None:
    try:
        return load_settings(require_token=require_token)
    except SettingsProblem as problem:
        print(f"walkwell: {problem}", file=sys.stderr)
        return None


def configure_endpoints(settings: DiscordSettings) -> None:
    """Point discord.py at the configured REST and gateway URLs (Discord, a proxy, a test server)."""
    discord.http.Route.BASE = settings.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)


# --- run ------------------------------------------------------------------------------------


def run_main(args: argparse.Namespace) -> int:
    settings = _settings(require_token=True)
    if settings is None:
        return EXIT_SETTINGS
    token = settings.discord.token_value()
    secrets = [token, *url_secrets(settings.database.database_url)]
    setup_logging(settings.bot.log_level, secrets=secrets, fmt=settings.bot.log_format)
    configure_endpoints(settings.discord)
    if settings.bot.metrics_port is not None:
        host, port = settings.bot.metrics_host, settings.bot.metrics_port
        try:
            metrics.start(port, host)
        except OSError as exc:
            print(
                f"walkwell: WALKWELL_METRICS_PORT: cannot listen on {host}:{port} ({exc.strerror})",
                file=sys.stderr,
            )
            return 1
    try:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            code = runner.run(_run(settings, token))
    finally:
        metrics.stop()
    return _exit_when_threads_linger(code)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed (it costs the bot less CPU per interaction:
    see README, Dependencies), else None: asyncio's own. ``WALKWELL_ASYNCIO_LOOP=asyncio``
    keeps asyncio's even with uvloop installed."""
    if os.environ.get("WALKWELL_ASYNCIO_LOOP", "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


#: Young-generation collections come every this many new objects (Python's default is 700);
#: an interaction makes a few thousand, nearly all freed by reference counting at once.
GC_THRESHOLDS = (10_000, 20, 20)


async def settle_memory(bot: WalkWell) -> None:
    """Once the bot is first ready: what is loaded by then (the guide, the engine, modules,
    discord.py's caches) lives as long as the process, so the garbage collector stops walking
    it (``gc.freeze``) and collects the young generation less often. Under load a full
    collection otherwise walked every object of the process every few seconds."""
    await bot.wait_until_ready()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    log.debug("gc: %d objects frozen", gc.get_freeze_count())


#: How long a thread left running after shutdown may take to finish before the process exits anyway.
LINGER_SECONDS = 5.0


def _exit_when_threads_linger(code: int) -> int:
    """Everything is closed by now (gateway, sends, database). A non-daemon thread still running
    (a database driver's worker whose connection was never closed, say) would keep the process
    alive past SIGTERM: wait briefly, name it in the log, and exit anyway."""
    lingering = [
        t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon
    ]
    deadline = time.monotonic() + LINGER_SECONDS
    for thread in lingering:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    alive = [t.name for t in lingering if t.is_alive()]
    if not alive:
        return code
    log.warning("exiting with threads still running: %s", ", ".join(alive))
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def client_kwargs(settings: Settings) -> dict[str, object]:
    """The keyword arguments ``walkwell run`` gives the client besides the settings: the health
    file, and this process's shard (only when ``DISCORD_SHARD_ID``/``DISCORD_SHARD_COUNT`` are set).
    """
    return {"health_file": settings.bot.health_file, **settings.discord.shard_kwargs()}


async def _count_interaction(interaction: discord.Interaction) -> None:
    """Every interaction, by command (``/metrics``; a no-op when metrics are off)."""
    data = interaction.data
    metrics.interaction_from_payload(dict(data) if data else None, interaction.type.value)


async def _run(settings: Settings, token: str) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal(sig: signal.Signals) -> None:
        log.info("received %s: shutting down", sig.name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)

    bot = WalkWell(
        settings,
        storage=True,
        reminder_sender=reminder_sender,
        **client_kwargs(settings),  # type: ignore[arg-type]
    )
    if metrics.active() is not None:
        bot.add_listener(_count_interaction, "on_interaction")
    async with bot:
        settling = asyncio.create_task(settle_memory(bot), name="walkwell-settle-memory")
        running = asyncio.create_task(bot.start(token), name="walkwell-bot")
        stopping = asyncio.create_task(stop.wait(), name="walkwell-stop")
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        settling.cancel()  # never ready: nothing to settle
        if stopping.done():
            await bot.close()
            try:
                await running
            except Exception:
                log.exception("error while shutting down")
            log.info("stopped")
            return 0
        stopping.cancel()
        error = running.exception()
    if error is None:
        log.info("stopped")
        return 0
    if isinstance(error, discord.LoginFailure):
        log.error("login failed: Discord rejected the token in DISCORD_TOKEN")
    else:
        log.error("the bot stopped: %s", error, exc_info=error)
    return 1


# --- sync -----------------------------------------------------------------------------------


class InvalidCommands(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def sync_main(args: argparse.Namespace) -> int:
    settings = _settings(require_token=True)
    if settings is None:
        return EXIT_SETTINGS
    token = settings.discord.token_value()
    setup_logging("ERROR", secrets=[token])  # the one line printed below is the output
    configure_endpoints(settings.discord)
    guild_id: int | None = getattr(args, "guild", None)
    try:
        names = asyncio.run(_sync(settings, token, guild_id))
    except InvalidCommands as exc:
        for problem in exc.problems:
            print(f"walkwell: {problem}", file=sys.stderr)
        return 1
    except discord.LoginFailure:
        print("walkwell: Discord rejected the token in DISCORD_TOKEN", file=sys.stderr)
        return 1
    except discord.HTTPException as exc:
        print(f"walkwell: Discord refused the commands: {exc.status} {exc.text}", file=sys.stderr)
        return 1
    where = f"in guild {guild_id}" if guild_id else "globally"
    listing = ", ".join(f"/{name}" for name in names)
    print(f"registered {len(names)} commands {where}: {listing}")
    return 0


async def _sync(settings: Settings, token: str, guild_id: int | None) -> list[str]:
    """Log in over HTTP (no gateway), load the extensions, and register their commands."""
    bot = WalkWell(settings, load_knowledge=False)
    async with bot:
        await bot.login(token)  # REST only: users/@me, applications/@me, then setup_hook
        guild = discord.Object(id=guild_id) if guild_id is not None else None
        if guild is not None:
            bot.tree.copy_global_to(guild=guild)
        found = treecheck.problems(treecheck.tree_payloads(bot.tree, guild))
        if found:
            raise InvalidCommands(found)
        synced = await bot.tree.sync(guild=guild)
    return [command.name for command in synced]


# --- invite ---------------------------------------------------------------------------------


def application_id_from_token(token: str) -> int | None:
    """A bot token's first segment is its user id in base64; for bots that is the application id."""
    first = token.split(".", 1)[0]
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(decoded) if decoded.isdigit() and len(decoded) >= 15 else None


async def _fetch_application_id(token: str) -> int:
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login(token)
        info = await http.application_info()
        return int(info["id"])
    finally:
        await http.close()


def invite_main(args: argparse.Namespace) -> int:
    settings = _settings(require_token=False)
    if settings is None:
        return EXIT_SETTINGS
    token = settings.discord.token.get_secret_value() if settings.discord.token else None
    app_id = settings.discord.application_id or (
        application_id_from_token(token) if token else None
    )
    if app_id is None and token:
        setup_logging("WARNING", secrets=[token])
        configure_endpoints(settings.discord)
        try:
            app_id = asyncio.run(_fetch_application_id(token))
        except (discord.DiscordException, aiohttp.ClientError, OSError) as exc:
            reason = type(exc).__name__
            print(
                f"walkwell: could not ask Discord for the application id ({reason})",
                file=sys.stderr,
            )
            return 1
    if app_id is None:
        print(
            "walkwell: DISCORD_APPLICATION_ID is not set (nor DISCORD_TOKEN to derive it from)",
            file=sys.stderr,
        )
        return EXIT_SETTINGS
    print(discord.utils.oauth_url(app_id, permissions=invite_permissions(), scopes=SCOPES))
    for name, why in PERMISSIONS.items():
        print(f"  {name.replace('_', ' ')}: {why}", file=sys.stderr)
    return 0
