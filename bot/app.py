"""The WalkWell client: a ``commands.Bot`` with the intents, mentions policy and extensions it needs."""

from __future__ import annotations

import asyncio
import logging
import pkgutil
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot import exts
from bot.errors import on_app_command_error
from bot.health import GATEWAY_MAX_AGE, Health, probe_database
from bot.ratelimits import GlobalLimitWatch, cap_ratelimit_wait
from bot.services import Services
from knowledge.models import Library
from knowledge.texts import Texts

if TYPE_CHECKING:
    from bot.settings import Settings
    from knowledge.engine import Engine
    from schedules.reminders.delivery import Sender

log = logging.getLogger(__name__)

#: Set once, on the client: nothing the bot sends can ping @everyone, @here or a role, whatever
#: a user typed. A reply may notify the one person it answers; user mentions stay possible for
#: features that address their caller ("where: here" reminders). The one exception, set on that
#: message alone: a walking club's call may ping the club's own role (``bot.exts.club.call``).
ALLOWED_MENTIONS = discord.AllowedMentions(
    everyone=False, roles=False, users=True, replied_user=True
)


def make_intents() -> discord.Intents:
    """No privileged intent: Discord sends a message's content to a bot it mentions, and in DMs.

    - ``guilds``: the channels and the bot's own permissions (needed to post in a channel).
    - ``guild_messages``: messages in servers, so mentions of the bot arrive.
    - ``dm_messages``: direct messages to the bot.
    ``members``, ``presences`` and ``message_content`` stay off; nothing else is subscribed.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    return intents


def extension_names() -> list[str]:
    """Every module or package in ``bot/exts/`` (one per feature)."""
    return sorted(
        f"{exts.__name__}.{info.name}"
        for info in pkgutil.iter_modules(exts.__path__)
        if not info.name.startswith("_")
    )


def load_knowledge(library: Library | None = None) -> tuple[Library, Engine]:
    """The guide (unless given) and its answering engine. Blocking: call it off the event loop.

    Imported here, not at the top: ``walkwell sync`` and ``invite`` never pay for the engine.
    """
    from knowledge.content import default_library
    from knowledge.engine import Engine

    if library is None:
        library = default_library()
    return library, Engine.load(library)


#: Builds the reminder engine's ``Sender`` for a client (``bot.exts.reminders.reminder_sender``).
SenderFactory = Callable[["WalkWell"], "Sender"]


class WalkWell(commands.Bot):
    """The bot. ``library``, ``engine``, ``texts`` and ``services`` are ready once ``setup_hook``
    has run."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        library: Library | None = None,
        engine: Engine | None = None,
        load_knowledge: bool = True,
        health_file: str | None = None,
        storage: bool = False,
        reminder_sender: SenderFactory | None = None,
        **options: Any,
    ) -> None:
        #: Global 429s seen on the wire (the reminder sender reports them as global).
        self.global_limit = GlobalLimitWatch()
        options.setdefault("http_trace", self.global_limit.trace)
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=make_intents(),
            allowed_mentions=ALLOWED_MENTIONS,
            chunk_guilds_at_startup=False,
            max_messages=None,
            **options,
        )
        cap_ratelimit_wait(self)  # a long Retry-After comes back to the engine (bot.ratelimits)
        self.settings = settings
        self._library = library
        self._engine = engine
        self._load_knowledge = load_knowledge
        self.texts = Texts.from_library(library) if library is not None else Texts()
        #: Liveness for ``walkwell health``; features add their own beats (the reminder sweep).
        self.health = Health(health_file)
        self._health_task: asyncio.Task[None] | None = None
        self._db_probe: asyncio.Task[None] | None = None
        self.tree.error(on_app_command_error)
        #: ``storage``: open the database in ``setup_hook`` (``walkwell run``); ``walkwell sync``
        #: and the in-process tests leave it off, and the features that need it say so.
        self._storage = storage
        self._reminder_sender = reminder_sender
        #: The database and the services over it (:mod:`bot.services`); off until opened.
        self.services = Services.off()

    @property
    def library(self) -> Library:
        if self._library is None:
            raise RuntimeError("the guide is not loaded (setup_hook has not run)")
        return self._library

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the answering engine is not loaded (setup_hook has not run)")
        return self._engine

    async def setup_hook(self) -> None:
        if self._load_knowledge and self._engine is None:
            self._library, self._engine = await asyncio.to_thread(load_knowledge, self._library)
            log.info("guide loaded: %d units", len(self.library.units))
        if self._library is not None:
            self.texts = Texts.from_library(self._library)
        if self._storage and not self.services.storage:
            await self._open_services()
        for name in extension_names():
            await self.load_extension(name)
        log.info("extensions loaded: %s", ", ".join(sorted(self.extensions)))
        await self.services.start()
        if self.health.path is not None:
            self._health_task = asyncio.create_task(self.health.run(self), name="walkwell-health")
            if self.services.db is not None:
                self._db_probe = asyncio.create_task(
                    probe_database(self.health, self.services.db), name="walkwell-db-probe"
                )

    async def _open_services(self) -> None:
        """Open the database and build the services over it (:meth:`Services.open`)."""
        settings = self.settings
        self.services = await Services.open(
            settings.database if settings else None,
            settings.reminders if settings else None,
            self._library,
            sender=self._reminder_sender(self) if self._reminder_sender else None,
            on_sweep=self._swept,
        )

    def _swept(self, report: Any, seconds: float) -> None:
        """After each reminder sweep: the ``reminder_sweep`` event (metrics, health)."""
        self.dispatch("reminder_sweep", report, seconds)

    async def close(self) -> None:
        if self._db_probe is not None:
            self._db_probe.cancel()
            self._db_probe = None
        if self._health_task is not None:
            self._health_task.cancel()
            self._health_task = None
            self.health.remove()  # a stopped bot is not healthy, at once
        await self.services.stop()  # no reminder goes out once closing has begun
        await super().close()  # unloads the extensions, then disconnects
        await self.services.close()

    async def on_ready(self) -> None:
        user = self.user
        log.info(
            "ready: logged in as %s (id %s), %d guilds",
            user.name if user else "?",
            user.id if user else "?",
            len(self.guilds),
        )
        self.health.beat("gateway", GATEWAY_MAX_AGE)
        if self.health.path is not None:
            await asyncio.to_thread(self.health.write)  # healthy now, not at the next round

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: messages are handled by the cogs' listeners only."""
