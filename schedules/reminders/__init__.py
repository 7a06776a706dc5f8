"""Daily walk reminders and weekly nudges, decided here and sent by the bot.

- ``service``: :class:`ReminderService`: subscribe, unsubscribe, status, snooze, done, the pause
  notice. Bad input raises ``schedules.errors.InputError``, storing nothing.
- ``engine/``: the one sweep a minute that claims what is due and sends it exactly once
  (``claims``, ``send``, ``recorder``, ``lifecycle``).
- ``delivery``: the ``Sender`` interface the bot implements, what it is given (``Outgoing``) and
  what it answers (``SendOutcome``); the token bucket that paces sends.
- ``timecalc`` and ``zones``: local times, the next due instant across daylight-saving changes,
  IANA timezone lookup and search (no database).

Imports nothing at start; import each module directly.
"""
