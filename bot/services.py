"""What the bot's features work with, built once at start-up: settings -> database -> services.

:meth:`Services.open` opens (and migrates) the database, then builds, in order, the progression
plan from the guide, the reminder engine (sending through the bot's ``Sender``) with the week
planner that follows the walk log, and the reminder service over both. The client holds the
result as ``bot.services``; each feature takes what it needs from it.

Without storage (``walkwell sync``, the in-process tests) ``bot.services`` is
:meth:`Services.off`: :attr:`Services.storage` is False, and the commands that need storage say
so through one check (:func:`bot.errors.needs_storage`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.models import Library
    from schedules.plan.progression import ProgressionPlan
    from schedules.reminders.delivery import Sender
    from schedules.reminders.engine import ReminderEngine, WeekPlanner
    from schedules.reminders.service import ReminderService
    from schedules.settings import DatabaseSettings, ReminderSettings
    from schedules.store.batch import Batcher
    from schedules.store.db import Database

log = logging.getLogger(__name__)

#: Called after every sweep of the reminder engine with its report and duration in seconds.
SweepHook = Callable[[Any, float], None]


class StorageOff(Exception):
    """A feature that needs the database ran without one (``walkwell sync``, in-process tests)."""


@dataclass
class Services:
    """The database and the services over it; every field is None when storage is off."""

    db: Database | None = None
    reminders: ReminderService | None = None
    #: The guide's weekly targets (None: the built-in defaults).
    plan: ProgressionPlan | None = None
    #: Decides each new plan week's targets for the reminder engine.
    planner: WeekPlanner | None = None
    #: Sweeps due reminders and sends them (None without a sender: nothing is sent).
    engine: ReminderEngine | None = None
    #: The questions behind answers, written together (:meth:`answer_writer`).
    _answers: Batcher[dict[str, Any], None] | None = field(default=None, repr=False)

    @classmethod
    def off(cls) -> Services:
        """No storage: the features that need it answer ``storage_off``."""
        return cls()

    @property
    def storage(self) -> bool:
        return self.db is not None

    def database(self) -> Database:
        """The open database; :class:`StorageOff` without one."""
        if self.db is None:
            raise StorageOff
        return self.db

    def answer_writer(self) -> Batcher[dict[str, Any], None]:
        """Keeps the questions behind answers (``answers`` rows, from
        :func:`schedules.feedback.store.answer_row`): the rows submitted while a write is under
        way go together in the next one (group commit), so under load one transaction serves
        many answers. :class:`StorageOff` without storage; :meth:`close` waits for them."""
        db = self.database()
        if self._answers is None:
            from schedules.feedback import store
            from schedules.store.batch import Batcher

            async def write(rows: list[dict[str, Any]]) -> list[None]:
                await store.remember_answers(db, rows)
                return [None] * len(rows)

            self._answers = Batcher(write, name="walkwell-remember-answers")
        return self._answers

    def reminder_service(self) -> ReminderService:
        """The reminder service; :class:`StorageOff` without storage."""
        if self.reminders is None:
            raise StorageOff
        return self.reminders

    @classmethod
    async def open(
        cls,
        database: DatabaseSettings | str | None,
        reminders: ReminderSettings | None,
        library: Library | None,
        *,
        sender: Sender | None = None,
        on_sweep: SweepHook | None = None,
    ) -> Services:
        """Open the database at ``database`` (settings or a URL) and build every service over it.

        ``sender`` delivers reminders (the bot's Discord sender); without one no engine is built.
        ``reminders`` None (in-process tests) means the defaults, not the environment. The engine
        is built here but started by :meth:`start`.
        """
        from schedules.plan.planner import JournalPlanner
        from schedules.plan.progression import plan_from_library
        from schedules.reminders.engine import ReminderEngine
        from schedules.reminders.service import ReminderService
        from schedules.settings import ReminderSettings
        from schedules.store.db import Database

        db = await Database.open(database)
        plan = plan_from_library(library) if library is not None else None
        # The weekly nudge follows the walk log.
        planner = JournalPlanner(plan)
        engine = None
        if sender is not None:
            engine = ReminderEngine(
                db,
                sender,
                settings=reminders or ReminderSettings.defaults(),
                plan=plan,
                planner=planner,
                on_sweep=on_sweep,
            )
        service = ReminderService(db, plan=plan, engine=engine)
        log.info("storage open: %s", db.dialect)
        return cls(db=db, reminders=service, plan=plan, planner=planner, engine=engine)

    async def start(self) -> None:
        """Start the reminder engine's sweeps (when there is one)."""
        if self.engine is not None:
            await self.engine.start()

    async def stop(self) -> None:
        """Stop the reminder engine (before the connection to Discord closes)."""
        if self.engine is not None:
            engine, self.engine = self.engine, None
            await engine.stop()

    async def close(self) -> None:
        """Stop the engine and close the database; the services are off afterwards."""
        await self.stop()
        if self._answers is not None:  # the answers' questions still being written land first
            answers, self._answers = self._answers, None
            await answers.drain()
        if self.db is not None:
            db, self.db, self.reminders = self.db, None, None
            await db.close()
