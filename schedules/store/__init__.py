"""Where WalkWell keeps its data.

- ``db``: :class:`Database` (``await Database.open()``: SQLite in WAL mode by default, PostgreSQL
  through asyncpg; pending migrations applied), read and write transactions.
- ``schema``: every table, in SQLAlchemy Core; ``migrations/``: Alembic revisions for it.
- ``users``: the ``users`` row every feature's rows hang from (``ensure_user``).
- ``userdata``: ``/privacy``: each feature registers how to export and erase its own tables;
  ``export_user`` and ``erase_user`` run them all.

Imports nothing at start; import each module directly.
"""
