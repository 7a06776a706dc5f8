"""Liveness for ``walkwell health`` (the container's HEALTHCHECK).

The running bot keeps a small JSON file (``WALKWELL_HEALTH_FILE``, default ``data/health.json``)
fresh: every few seconds it records which of its parts are alive ("beats"), each with the age
after which it counts as stale. ``walkwell health`` reads the file from another process and exits
non-zero when the file is missing or old (the bot is down or its event loop is stuck) or any beat
is stale. Beats:

- ``gateway``: recorded while the bot is connected to the gateway and ready;
- ``database`` (with storage on): recorded after each successful round trip of
  :func:`probe_database` (``SELECT 1`` every :data:`DB_PROBE_EVERY` seconds, each bounded by
  :data:`DB_PROBE_TIMEOUT`); stale when the database has not answered for :data:`DB_MAX_AGE`;
- anything a feature adds with :meth:`Health.beat`, e.g. the reminder sweep after each run:
  ``bot.health.beat("sweep", max_age=180)``.

This module does not import discord.py, so ``walkwell health`` starts fast.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

#: How often the bot rewrites the file, and how old the file may get before it counts as dead.
WRITE_INTERVAL = 10.0
FILE_MAX_AGE = 60.0
#: How long the gateway may be away (discord.py reconnects by itself well within this).
GATEWAY_MAX_AGE = 90.0
#: The database probe: how often it asks, how long one answer may take, and how long the
#: database may stay silent before the bot counts as unhealthy.
DB_PROBE_EVERY = 10.0
DB_PROBE_TIMEOUT = 10.0
DB_MAX_AGE = 60.0


class _Probed(Protocol):
    def read(self) -> Any: ...


async def probe_database(
    health: Health,
    db: _Probed,
    *,
    every: float = DB_PROBE_EVERY,
    answer_within: float = DB_PROBE_TIMEOUT,
    max_age: float = DB_MAX_AGE,
) -> None:
    """Until cancelled: a ``SELECT 1`` round trip every ``every`` seconds; each answer records
    the ``database`` beat. A database that is down or hung stops the beat, and after
    ``max_age`` seconds ``walkwell health`` fails."""
    from sqlalchemy import text

    async def ask() -> None:
        async with db.read() as conn:
            await conn.execute(text("SELECT 1"))

    failing = False
    while True:
        try:
            async with asyncio.timeout(answer_within):  # not wait_for: it can lose a cancel
                await ask()
        except Exception as exc:  # any failure just leaves the beat to age
            if not failing:
                log.warning("the database does not answer (%s)", type(exc).__name__)
            failing = True
        else:
            if failing:
                log.info("the database answers again")
            failing = False
            health.beat("database", max_age)
        await asyncio.sleep(every)


class _Gateway(Protocol):
    def is_ready(self) -> bool: ...
    def is_closed(self) -> bool: ...


class Health:
    """The bot-side half: beats in memory, written to ``path`` by :meth:`run`."""

    def __init__(self, path: str | Path | None = None, clock: Any = time.time) -> None:
        #: None: beats are kept in memory only (tests, ``walkwell sync``).
        self.path = Path(path) if path is not None else None
        self.clock = clock
        self.beats: dict[str, dict[str, float]] = {}
        #: Called before every write: features record their beats there (the reminder sweep).
        self.probes: list[Callable[[], None]] = []

    def beat(self, name: str, max_age: float) -> None:
        """Record that part ``name`` is alive now; it is stale after ``max_age`` seconds."""
        self.beats[name] = {"at": self.clock(), "max_age": max_age}

    def snapshot(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "written_at": self.clock(), "beats": dict(self.beats)}

    def write(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.snapshot()), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: a reader never sees half a file

    def remove(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    async def run(self, gateway: _Gateway, interval: float = WRITE_INTERVAL) -> None:
        """Until cancelled: note the gateway's state and rewrite the file every ``interval``."""
        while True:
            if gateway.is_ready() and not gateway.is_closed():
                self.beat("gateway", GATEWAY_MAX_AGE)
            for probe in list(self.probes):
                probe()
            try:
                await asyncio.to_thread(self.write)
            except OSError as exc:  # a full or read-only disk must not stop the bot
                print(f"walkwell: cannot write {self.path}: {exc}", file=sys.stderr)
            await asyncio.sleep(interval)


def check(data: dict[str, Any], now: float) -> list[str]:
    """Why the bot is unhealthy according to ``data`` (empty when healthy)."""
    problems: list[str] = []
    age = now - float(data.get("written_at", 0))
    if age > FILE_MAX_AGE:
        problems.append(f"no sign of life for {age:.0f}s")
    beats = data.get("beats") or {}
    if "gateway" not in beats:
        problems.append("not connected to the gateway yet")
    for name, beat in sorted(beats.items()):
        beat_age = now - float(beat.get("at", 0))
        if beat_age > float(beat.get("max_age", 0)):
            problems.append(f"{name} stale for {beat_age:.0f}s")
    return problems


def health_main(args: argparse.Namespace) -> int:
    from bot.settings import SettingsProblem, load_settings

    try:
        settings = load_settings()
    except SettingsProblem as problem:
        print(f"walkwell: {problem}", file=sys.stderr)
        return 2
    path = Path(settings.bot.health_file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        print(f"unhealthy: {path} is missing (the bot is not running)")
        return 1
    except (OSError, ValueError) as exc:
        print(f"unhealthy: cannot read {path}: {exc}")
        return 1
    problems = check(data, time.time())
    if problems:
        print("unhealthy: " + "; ".join(problems))
        return 1
    print("healthy")
    return 0
