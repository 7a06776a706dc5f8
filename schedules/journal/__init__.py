"""The walk log and what it shows a person.

- ``walklog``: checking a walk someone logs (minutes, cadence, pain, note) and their local day.
- ``store``: walks in the database, and the user's zone.
- ``progress``: the daily series, streak, week totals and the summary text.
- ``charts``: the ``/progress`` chart (matplotlib, imported on first use).
- ``report``: ``progress_report``, everything ``/progress`` shows, in one call.

Imports nothing at start; import each module directly.
"""
