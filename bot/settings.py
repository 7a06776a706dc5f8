"""Settings from the environment or a ``.env`` file in the working directory, one class per section.

``load_settings()`` validates every section at once and turns any problem into one
:class:`SettingsProblem` whose message is a single line naming the variable (never its value:
the variable may be the token). The runners print that line and exit with code 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

from schedules.settings import DatabaseSettings, ReminderSettings

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"


class SettingsProblem(Exception):
    """A missing or malformed setting; ``str(problem)`` is one line that names the variable."""


def _check_url(value: str, schemes: tuple[str, ...], example: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"must be a {'/'.join(schemes)} URL such as {example}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValueError(f"has a bad port; expected a URL such as {example}") from None
    return value


class DiscordSettings(BaseSettings):
    """How to reach Discord, and as whom."""

    model_config = SettingsConfigDict(
        env_prefix="DISCORD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    #: The bot token. Required by ``walkwell run`` and ``walkwell sync``; never logged or printed.
    token: SecretStr | None = None
    #: REST base URL: Discord's, a rate-limit proxy, or a local test server.
    api_base: str = DEFAULT_API_BASE
    #: Gateway URL: Discord's, a gateway proxy, or a local test server.
    gateway_url: str = DEFAULT_GATEWAY_URL
    #: The application id; optional (derived from the token or asked from Discord otherwise).
    application_id: int | None = Field(default=None, gt=0)
    #: Sharding across processes: this process's shard id and the total number of shards. Both or
    #: neither; unset: one process on one unsharded gateway connection (discord.py's default).
    shard_id: int | None = Field(default=None, ge=0)
    shard_count: int | None = Field(default=None, ge=1)

    @field_validator("token", mode="before")
    @classmethod
    def _token_shape(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            if any(ch.isspace() for ch in value) or not value.isprintable():
                raise ValueError("must be one word (no spaces or control characters)")
        return value

    @field_validator("shard_id", "shard_count", mode="before")
    @classmethod
    def _shard_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_base")
    @classmethod
    def _api_base_url(cls, value: str) -> str:
        return _check_url(value, ("https", "http"), DEFAULT_API_BASE).rstrip("/")

    @field_validator("gateway_url")
    @classmethod
    def _gateway_url(cls, value: str) -> str:
        return _check_url(value, ("wss", "ws"), DEFAULT_GATEWAY_URL)

    def check_shards(self) -> None:
        """Both shard settings or neither, and ``0 <= DISCORD_SHARD_ID < DISCORD_SHARD_COUNT``."""
        if (self.shard_id is None) != (self.shard_count is None):
            given, missing = (
                ("DISCORD_SHARD_ID", "DISCORD_SHARD_COUNT")
                if self.shard_count is None
                else ("DISCORD_SHARD_COUNT", "DISCORD_SHARD_ID")
            )
            raise SettingsProblem(f"{missing} is not set: {given} needs it (set both or neither)")
        if self.shard_id is not None and self.shard_count is not None:
            if self.shard_id >= self.shard_count:
                raise SettingsProblem(
                    f"DISCORD_SHARD_ID is malformed: must be below DISCORD_SHARD_COUNT "
                    f"(0 to {self.shard_count - 1})"
                )

    def shard_kwargs(self) -> dict[str, int]:
        """``shard_id``/``shard_count`` for the client when sharding is set; empty otherwise."""
        if self.shard_id is None or self.shard_count is None:
            return {}
        return {"shard_id": self.shard_id, "shard_count": self.shard_count}

    def token_value(self) -> str:
        if self.token is None:
            raise SettingsProblem("DISCORD_TOKEN is not set: put the bot token in it (or in .env)")
        return self.token.get_secret_value()


class BotSettings(BaseSettings):
    """The bot process itself."""

    model_config = SettingsConfigDict(
        env_prefix="WALKWELL_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    #: Logging level name for the process (DEBUG, INFO, WARNING, ERROR).
    log_level: str = "INFO"
    #: Where the running bot writes its heartbeat for ``walkwell health``.
    health_file: str = "data/health.json"
    #: Log lines as plain text, or one JSON object per line (for log collectors).
    log_format: Literal["text", "json"] = "text"
    #: Fair use: how many questions (/ask, mentions, DMs) one person may ask in any 60 seconds.
    ask_per_minute: int = Field(default=6, ge=1, le=10_000)
    #: Serve Prometheus metrics on this port (``/metrics``); unset (the default): no metrics server.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    #: The address the metrics server listens on (all interfaces by default, for containers).
    metrics_host: str = "0.0.0.0"

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_name(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("metrics_port", mode="before")
    @classmethod
    def _port_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level")
    @classmethod
    def _level_name(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value


S = TypeVar("S", bound=BaseSettings)


@dataclass(frozen=True)
class Settings:
    """Every section, read once at start-up and passed to whoever needs it.

    ``database`` and ``reminders`` are the stateful sections of :mod:`schedules.settings`.
    """

    discord: DiscordSettings
    bot: BotSettings
    database: DatabaseSettings
    reminders: ReminderSettings


def _env_name(cls: type[BaseSettings], loc: tuple[int | str, ...]) -> str:
    if not loc:
        return cls.__name__
    name = str(loc[0])
    info = cls.model_fields.get(name)
    if info is not None:
        alias = info.validation_alias or info.alias
        if isinstance(alias, str):
            return alias.upper()
    prefix = str(cls.model_config.get("env_prefix") or "")
    return f"{prefix}{name}".upper()


def _build(cls: type[S]) -> S:
    try:
        return cls()
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        reason = str(err["msg"]).removeprefix("Value error, ")
        if not err["loc"]:  # a rule across fields: its message names the variables
            raise SettingsProblem(reason) from None
        var = _env_name(cls, tuple(err["loc"]))
        raise SettingsProblem(f"{var} is malformed: {reason}") from None
    except PydanticSettingsError as exc:
        raise SettingsProblem(str(exc).splitlines()[0]) from None


def load_settings(*, require_token: bool = False) -> Settings:
    """Every section, validated. Raises :class:`SettingsProblem` (one line) on the first problem."""
    discord = _build(DiscordSettings)
    discord.check_shards()
    if require_token:
        discord.token_value()
    bot = _build(BotSettings)
    return Settings(
        discord=discord,
        bot=bot,
        database=_build(DatabaseSettings),
        reminders=_build(ReminderSettings),
    )
