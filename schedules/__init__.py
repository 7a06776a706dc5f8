"""Subscriptions, reminders, nudges and progression. Never imports discord.py or bot.

The bot's ``/reminders`` cog needs four things, each in its own module (import them from there;
this package imports nothing at start so ``walkwell ask`` stays fast):

``schedules.store.db.Database``
    ``db = await Database.open()`` connects to ``DATABASE_URL`` (SQLite in WAL mode by default,
    PostgreSQL via asyncpg) and applies pending migrations. ``await db.close()``.
``schedules.reminders.engine.ReminderEngine``
    ``engine = ReminderEngine(db, sender, settings=reminder_settings)``; ``await engine.start()``
    in ``setup_hook`` / ``cog_load`` (one APScheduler sweep a minute, first one at once); ``await engine.stop()``.
    ``engine.last_sweep_at`` (UTC) is there for a health check.
``schedules.reminders.delivery``
    The ``Sender`` protocol the bot implements (``async def send(item: Outgoing) ->
    SendOutcome``), the ``Outgoing`` item (who, where, nonce, today's focus unit, a nudge's
    targets, ``late``) and ``SendOutcome`` (ok / blocked_dm / channel_unavailable /
    rate_limited / error).
``schedules.reminders.service.ReminderService``
    ``ReminderService(db, engine=engine)``: ``subscribe``, ``unsubscribe``, ``status``,
    ``pop_pause_notice``, ``snooze``, ``mark_done``, ``export_user_data``, ``delete_user_data``.
    Bad input raises ``schedules.errors.InputError`` (``.user_message``), storing nothing.

For autocomplete and validation without a database: ``schedules.reminders.timecalc.parse_local_time``,
``schedules.reminders.zones.resolve_timezone`` / ``search_timezones``.
Progression numbers: ``schedules.plan.progression.ProgressionPlan`` (pass the guide's numbers from the
content files to both the engine and the service: ``plan=``).
Settings: ``schedules.settings.DatabaseSettings`` / ``ReminderSettings``.
"""
