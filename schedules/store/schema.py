"""The database schema (SQLAlchemy 2 declarative models). Migrations live in ``migrations/``.

Every instant is stored in UTC and read back timezone-aware (:class:`UTCDateTime`); local times and
dates are stored as wall-clock values next to the IANA zone they belong to.

Tables
------
``users``
    One row per Discord user we store anything about: ``user_id`` (snowflake), ``timezone``
    (IANA, the zone their local days are counted in), ``created_at``. Every other per-user table
    references it with ``ON DELETE CASCADE``, so deleting the user row erases all their data
    (the privacy hook; issue 5's walks and feedback tables should do the same).
``subscriptions``
    One row per user: ``local_time`` + ``timezone``, ``destination`` (``dm`` | ``channel``),
    ``channel_id``/``guild_id`` (for ``channel``), ``dm_channel_id`` (cached so a reminder costs one
    request), ``nudges``, ``active`` (opted in), ``paused_reason`` (``dms_blocked`` |
    ``channel_unavailable``), ``pause_notice`` (the user has not been told yet),
    ``next_due_utc`` (INDEXED; NULL unless active and not paused) with ``next_local_date`` (the
    local day it is for) and ``last_local_date`` (the last day that had its reminder), and the
    progression state: ``plan_started_on`` (local date of the first reminder), ``plan_week``,
    ``cadence_target``, ``minutes_target``.
``deliveries``
    The delivery log, UNIQUE ``(user_id, kind, due_utc)``: one row per reminder, nudge or snooze
    that was due. ``status`` claimed | sent | failed | skipped, ``lease_owner``/``lease_until``
    (a claim whose lease ran out is retried), ``attempts``, ``late``, ``message_id``, ``error``,
    ``payload`` (JSON: a nudge's targets), ``acked_at`` (the Done button).
``snoozes``
    One-off timers (at most one pending per user): ``user_id``, ``due_utc`` (indexed). Sending one
    does not move the daily schedule.
``sweepers``
    One row per running engine (``owner``, ``seen_at`` heartbeat): Discord's global rate limit
    is per bot, so the send budget is split among the engines seen in the last few minutes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "Base",
    "Delivery",
    "Snooze",
    "Subscription",
    "Sweeper",
    "UTCDateTime",
    "USER_DATA_TABLES",
    "User",
    "deliveries_table",
    "metadata",
    "snoozes_table",
    "subscriptions_table",
    "sweepers_table",
    "users_table",
]

#: Stable constraint names, so migrations can refer to them on every backend.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

#: An auto-incrementing 64-bit id (SQLite only auto-increments INTEGER PRIMARY KEY).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored in UTC (``timestamptz`` on PostgreSQL).

    Binding a naive datetime is an error; values come back aware, in UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: every instant must be timezone-aware")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":  # stored as text; one fixed format keeps ordering right
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = metadata
    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime()}


class User(Base):
    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Subscription(Base):
    __tablename__ = "subscriptions"

    user_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("users.user_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    local_time: Mapped[time] = mapped_column(Time())
    timezone: Mapped[str] = mapped_column(String(64))
    destination: Mapped[str] = mapped_column(String(8))  # 'dm' | 'channel'
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    dm_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    nudges: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    paused_reason: Mapped[str | None] = mapped_column(String(32))
    pause_notice: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    next_due_utc: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    next_local_date: Mapped[date | None] = mapped_column(Date())
    last_local_date: Mapped[date | None] = mapped_column(Date())
    plan_started_on: Mapped[date | None] = mapped_column(Date())
    plan_week: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    cadence_target: Mapped[int] = mapped_column(SmallInteger)
    minutes_target: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "due_utc"),
        # Expired claims are found through this (small: only rows still 'claimed').
        Index(
            "ix_deliveries_claimed_lease",
            "lease_until",
            postgresql_where=text("status = 'claimed'"),
            sqlite_where=text("status = 'claimed'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.user_id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(16))  # 'reminder' | 'nudge' | 'snooze'
    due_utc: Mapped[datetime] = mapped_column(UTCDateTime())
    local_date: Mapped[date] = mapped_column(Date())
    status: Mapped[str] = mapped_column(String(16))  # claimed | sent | failed | skipped
    late: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Snooze(Base):
    __tablename__ = "snoozes"

    user_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("users.user_id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    due_utc: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Sweeper(Base):
    """Engines sweeping right now (heartbeat each batch): the send budget is split among them."""

    __tablename__ = "sweepers"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


#: Core tables, for queries without the ORM.
users_table = cast(Table, User.__table__)
subscriptions_table = cast(Table, Subscription.__table__)
deliveries_table = cast(Table, Delivery.__table__)
snoozes_table = cast(Table, Snooze.__table__)
sweepers_table = cast(Table, Sweeper.__table__)

#: Tables holding per-user rows (column ``user_id``), children before ``users``: what
#: ``ReminderService.delete_user_data`` erases and ``export_user_data`` returns. A migration that
#: adds a per-user table (issue 5: walks, feedback) adds its table here too.
USER_DATA_TABLES: list[Table] = [snoozes_table, deliveries_table, subscriptions_table]
