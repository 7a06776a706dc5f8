"""What WalkWell keeps about people over time. Never imports discord.py or bot.

This package imports nothing at start (so ``walkwell ask`` stays fast); import each room's
modules where they are needed. Rooms:

``schedules.store``
    The database: ``db.Database`` (``await Database.open()`` connects to ``DATABASE_URL``, SQLite
    in WAL mode by default or PostgreSQL via asyncpg, and applies pending migrations),
    ``schema`` (every table, SQLAlchemy Core), ``migrations/`` (Alembic), ``users.ensure_user``
    (the ``users`` row) and ``userdata`` (``/privacy``: each feature registers how to export and
    erase its own tables; ``export_user`` and ``erase_user`` run them all).
``schedules.reminders``
    Daily walk reminders: ``service.ReminderService`` (subscribe, unsubscribe, status, snooze,
    done), the ``engine`` that sends them (one APScheduler sweep a minute), ``delivery`` (the
    ``Sender`` interface the bot implements), ``timecalc`` and ``zones`` (local times and IANA
    timezones, no database).
``schedules.plan``
    The weekly targets: ``progression`` (the plan's steps), ``adapt`` (adjusting them to the walk
    log), ``planner`` (each new week's targets), ``weeks`` (week arithmetic).
``schedules.journal``
    The walk log: ``walklog`` (validating a walk), ``store`` (walks in the database, the user's
    zone), ``progress`` (the weekly summary), ``charts``, ``texts``.
``schedules.feedback``
    "Was this helpful?": ``store`` (the questions behind answers, votes, unanswered questions, the
    content report's data) and ``report`` (building and formatting ``walkwell report``, pure).

Beside the rooms: ``settings`` (the settings of everything stateful), ``errors`` (``InputError``
and its kinds: bad input, with a ``user_message``, nothing stored), ``checks`` (input checks the
storage functions share) and ``cli`` (``walkwell db upgrade``, ``walkwell report``).
"""
