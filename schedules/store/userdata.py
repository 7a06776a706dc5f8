"""What ``/privacy`` shows and erases: each feature answers for its own user data.

A feature registers, once, the tables holding rows about a person and how to export and erase
them (:func:`register`); :func:`export_user` and :func:`erase_user` run every registration, so
``/privacy export`` and ``/privacy delete`` are one call each. A registration's default export is
``{table name: [rows of the user, in primary-key order]}`` and its default erase deletes those
rows; a feature with more to do passes its own functions. A test fails when a table in
:data:`schedules.store.schema.metadata` with a user id column is covered by no registration.

Registrations, in export order (the keys of the exported document follow it):

``reminders`` (here)
    ``user`` (the ``users`` row, or None), ``snoozes``, ``deliveries``, ``subscriptions``. Its
    erase deletes the ``users`` row last.
``journal`` (:mod:`schedules.journal.store`)
    ``walks``.
``feedback`` (:mod:`schedules.feedback.store`)
    ``feedback`` (votes: unit, answer key, yes/no, never a question), ``unanswered``,
    ``answers`` (the asker's own questions).
``club`` (:mod:`schedules.club.store`)
    ``club_presses`` ("I walked" presses; erasing one lowers that day's club count).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from schedules.checks import user_id as _user_id
from schedules.store.db import Database
from schedules.store.schema import (
    deliveries_table,
    snoozes_table,
    subscriptions_table,
    users_table,
)

__all__ = [
    "FEATURES",
    "UserData",
    "delete_rows",
    "erase_user",
    "export_user",
    "jsonable",
    "register",
    "registrations",
    "table_rows",
]

Export = Callable[[AsyncConnection, int], Awaitable[dict[str, Any]]]
Erase = Callable[[AsyncConnection, int], Awaitable[int]]

#: Every feature with user data, in export order, and the module that registers it.
FEATURES: dict[str, str] = {
    "reminders": __name__,
    "journal": "schedules.journal.store",
    "feedback": "schedules.feedback.store",
    "club": "schedules.club.store",
}


def jsonable(value: Any) -> Any:
    """``value`` ready for ``json.dumps``: dates, times and instants as ISO 8601, recursively."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


async def table_rows(conn: AsyncConnection, table: Table, user_id: int) -> list[dict[str, Any]]:
    """The user's rows of ``table``, JSON-ready, in primary-key order."""
    query = select(table).where(table.c.user_id == user_id).order_by(*table.primary_key.columns)
    return [jsonable(dict(r._mapping)) for r in (await conn.execute(query)).all()]


async def delete_rows(conn: AsyncConnection, table: Table, user_id: int) -> int:
    """Delete the user's rows of ``table``; returns how many."""
    result = await conn.execute(delete(table).where(table.c.user_id == user_id))
    return int(cast(Any, result).rowcount or 0)


@dataclass(frozen=True)
class UserData:
    """One feature's user data: the tables it answers for, and how to export and erase them."""

    feature: str
    tables: tuple[Table, ...]
    export: Export | None = None
    erase: Erase | None = None

    async def export_rows(self, conn: AsyncConnection, user_id: int) -> dict[str, Any]:
        if self.export is not None:
            return await self.export(conn, user_id)
        return {t.name: await table_rows(conn, t, user_id) for t in self.tables}

    async def erase_rows(self, conn: AsyncConnection, user_id: int) -> int:
        if self.erase is not None:
            return await self.erase(conn, user_id)
        return sum([await delete_rows(conn, t, user_id) for t in self.tables])


_registry: dict[str, UserData] = {}


def register(
    feature: str,
    *tables: Table,
    export: Export | None = None,
    erase: Erase | None = None,
) -> UserData:
    """Declare that ``feature`` (a key of :data:`FEATURES`) answers for ``tables``."""
    if feature not in FEATURES:
        raise ValueError(f"unknown feature {feature!r}: add it to FEATURES")
    entry = UserData(feature, tables, export, erase)
    _registry[feature] = entry
    return entry


def registrations(*features: str) -> list[UserData]:
    """The registrations of ``features`` (default: all), in :data:`FEATURES` order. Imports the
    modules that register them."""
    unknown = set(features) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features: {sorted(unknown)}")
    chosen = [f for f in FEATURES if not features or f in features]
    for feature in chosen:
        importlib.import_module(FEATURES[feature])
    return [_registry[feature] for feature in chosen]


async def export_user(db: Database, user_id: int, *features: str) -> dict[str, Any]:
    """Everything stored about ``user_id`` (by ``features``, default all), JSON-ready, read in
    one transaction."""
    user_id = _user_id(user_id)
    out: dict[str, Any] = {}
    async with db.read() as conn:
        for entry in registrations(*features):
            out.update(await entry.export_rows(conn, user_id))
    return out


async def erase_user(db: Database, user_id: int, *features: str) -> int:
    """Erase everything stored about ``user_id`` (by ``features``, default all) in one
    transaction; returns the rows removed (0: nothing was stored).

    The registrations run last to first, so the ``users`` row (reminders) goes last. A running
    reminder engine must forget the user first (``ReminderEngine.forget_user``), so a reminder it
    has already claimed is dropped instead of sent.
    """
    user_id = _user_id(user_id)
    removed = 0
    u = users_table
    async with db.begin() as conn:
        # The users row first, as ensure_user takes it: writes about one user queue, not deadlock.
        await conn.execute(select(u.c.user_id).where(u.c.user_id == user_id).with_for_update())
        for entry in reversed(registrations(*features)):
            removed += await entry.erase_rows(conn, user_id)
    return removed


# -- reminders: the users row, subscriptions, deliveries, snoozes -------------------------------

_REMINDER_TABLES = (snoozes_table, deliveries_table, subscriptions_table)


async def _export_reminders(conn: AsyncConnection, user_id: int) -> dict[str, Any]:
    u = users_table
    user = (await conn.execute(select(u).where(u.c.user_id == user_id))).first()
    out: dict[str, Any] = {"user": None if user is None else jsonable(dict(user._mapping))}
    for table in _REMINDER_TABLES:
        out[table.name] = await table_rows(conn, table, user_id)
    return out


async def _erase_reminders(conn: AsyncConnection, user_id: int) -> int:
    removed = sum([await delete_rows(conn, t, user_id) for t in _REMINDER_TABLES])
    return removed + await delete_rows(conn, users_table, user_id)


register(
    "reminders",
    users_table,
    *_REMINDER_TABLES,
    export=_export_reminders,
    erase=_erase_reminders,
)
