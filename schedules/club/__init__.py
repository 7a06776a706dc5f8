"""The walking club: one per server, a daily walk call that members answer together.

- :mod:`.calls`: pure decisions - the club day and week in the club's zone, today's focus (rotating
  through the walker units), the week line, last week's summary on the first call of a local
  week, and :class:`~.calls.ClubCall` / :class:`~.calls.ClubSender` (the sibling of the reminder
  ``Sender`` that the bot implements).
- :mod:`.store`: the rows - setup, stop, pauses, status, "I walked" presses (personal data,
  registered with :mod:`schedules.store.userdata`).
- :mod:`.sweep`: :class:`~.sweep.ClubSweeper`, the reminder engine's second source: claims each
  club day's call exactly once (UNIQUE ``(guild_id, club_day)``, ``SKIP LOCKED`` on PostgreSQL)
  and sends it with a nonce.
"""
