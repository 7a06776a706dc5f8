"""Settings for everything stateful: storage and the reminder engine (environment variables or a
``.env`` file). The bot reads both once at start-up, as sections of ``bot.settings.Settings``
(``database`` and ``reminders``), and passes them on; nothing in ``schedules`` needs to read them
by itself when given them.

``DatabaseSettings``
    ``DATABASE_URL``: ``sqlite+aiosqlite:///PATH`` (default ``sqlite+aiosqlite:///./data/walkwell.db``;
    the folder is created when the database is opened) or ``postgresql+asyncpg://...``.
    ``sqlite://``, ``postgres://`` and ``postgresql://`` are accepted and given the async driver.

``ReminderSettings`` (prefix ``WALKWELL_REMINDER_``)
    ``GRACE_MINUTES`` (120): after downtime, reminders overdue by less than this are sent, marked
    late; older ones are skipped and rescheduled. ``LATE_AFTER_MINUTES`` (5): from how overdue a
    reminder is called late. ``LEASE_SECONDS`` (120): a claim not finished within this is retried
    (its sender crashed). ``MAX_ATTEMPTS`` (3): transient send failures before giving up.
    ``SEND_RATE`` (40 per second) and ``SEND_BURST`` (5): the one token bucket pacing every send,
    kept below Discord's global 50 requests per second (rate + burst <= 50, so no one-second
    window ever holds more than 50). ``MAX_IN_FLIGHT`` (16): concurrent sends.
    ``BATCH_SIZE`` (200): reminders claimed per transaction.

``WALKWELL_RATE_LIMITS`` (``local`` | ``proxy``, on ``ReminderSettings``)
    ``local`` (the default): this process keeps Discord's limits itself; engines sweeping at once
    split the send budget through their heartbeats. ``proxy``: ``DISCORD_API_BASE`` is a shared REST
    proxy (``proxy/``) that keeps Discord's limits for every process, so the engine does not split
    the budget and paces at Discord's global rate, ``MAX_IN_FLIGHT`` at once (see :meth:`pacing`).

A malformed value raises ``pydantic.ValidationError`` whose message names the variable; the bot's
``load_settings()`` turns it into one line and exit code 2.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["DEFAULT_DATABASE_URL", "DatabaseSettings", "ReminderSettings", "normalise_database_url"]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/walkwell.db"
#: Discord's global limit: requests per second per bot.
DISCORD_GLOBAL_RATE = 50

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def normalise_database_url(value: str) -> str:
    """Check a database URL and give it the async driver; ``ValueError`` when unusable."""
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValueError(
            "is not a database URL (use sqlite+aiosqlite:///PATH or postgresql+asyncpg://...)"
        ) from None
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        raise ValueError(
            f"uses an unsupported driver {url.drivername!r} "
            "(use sqlite+aiosqlite:///PATH or postgresql+asyncpg://...)"
        )
    if driver.startswith("sqlite") and not url.database:
        raise ValueError("needs a file path: sqlite+aiosqlite:///PATH (or :memory:)")
    if driver.startswith("postgresql") and not url.host and not url.query.get("host"):
        raise ValueError("needs a host: postgresql+asyncpg://USER@HOST:PORT/DB")
    return url.set(drivername=driver).render_as_string(hide_password=False)


DatabaseUrl = Annotated[str, AfterValidator(normalise_database_url)]


class DatabaseSettings(BaseSettings):
    """Where WalkWell keeps its data. Env: ``DATABASE_URL``."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        hide_input_in_errors=True,  # a URL may hold a password
    )

    database_url: DatabaseUrl = Field(default=DEFAULT_DATABASE_URL, alias="DATABASE_URL")


def _env(name: str, default: float, **limits: Any) -> Any:
    """A field read from ``WALKWELL_REMINDER_<NAME>``; errors name that variable."""
    return Field(default=default, alias=f"WALKWELL_REMINDER_{name}", **limits)


class ReminderSettings(BaseSettings):
    """How the reminder engine sweeps and sends. Env prefix ``WALKWELL_REMINDER_``.

    Build one in code by field name: ``ReminderSettings(grace_minutes=30)``.
    """

    @classmethod
    def defaults(cls) -> ReminderSettings:
        """The defaults, without reading the environment or ``.env``."""
        return cls.model_construct()

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        hide_input_in_errors=True,
    )

    grace_minutes: int = _env("GRACE_MINUTES", 120, ge=0, le=24 * 60)
    late_after_minutes: int = _env("LATE_AFTER_MINUTES", 5, ge=1, le=24 * 60)
    lease_seconds: int = _env("LEASE_SECONDS", 120, ge=10, le=3600)
    max_attempts: int = _env("MAX_ATTEMPTS", 3, ge=1, le=20)
    send_rate: float = _env("SEND_RATE", 40.0, gt=0, le=DISCORD_GLOBAL_RATE)
    send_burst: int = _env("SEND_BURST", 5, ge=1, le=DISCORD_GLOBAL_RATE)
    max_in_flight: int = _env("MAX_IN_FLIGHT", 16, ge=1, le=200)
    batch_size: int = _env("BATCH_SIZE", 200, ge=1, le=5000)
    rate_limits: Literal["local", "proxy"] = Field(default="local", alias="WALKWELL_RATE_LIMITS")

    @field_validator("rate_limits", mode="before")
    @classmethod
    def _mode_name(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def shares_budget(self) -> bool:
        """Whether engines sweeping at once split the send budget among themselves."""
        return self.rate_limits == "local"

    def pacing(self) -> tuple[float, int]:
        """The engine's token bucket, ``(rate, burst)``: the configured ones, or behind the proxy
        (which queues whatever exceeds Discord's limits) Discord's global rate with a burst of the
        in-flight limit."""
        if self.rate_limits == "proxy":
            return float(DISCORD_GLOBAL_RATE), min(self.max_in_flight, DISCORD_GLOBAL_RATE)
        return self.send_rate, self.send_burst

    @model_validator(mode="after")
    def _below_discord_limit(self) -> ReminderSettings:
        if self.send_rate + self.send_burst > DISCORD_GLOBAL_RATE:
            raise ValueError(
                "WALKWELL_REMINDER_SEND_RATE + WALKWELL_REMINDER_SEND_BURST must be at most "
                f"{DISCORD_GLOBAL_RATE} (Discord's global limit per second)"
            )
        return self
