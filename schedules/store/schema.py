"""The database schema: every table WalkWell keeps, as SQLAlchemy Core tables on one ``metadata``.

Migrations live in ``migrations/`` (each revision self-contained); a test compares the database
they build with this module on SQLite and PostgreSQL. Every instant is stored in UTC and read back
timezone-aware (:class:`UTCDateTime`); local times and dates are stored as wall-clock values next
to the IANA zone they belong to. Discord ids are ``BIGINT``; auto-incrementing ids are
:data:`BigId`.

Reminders
---------
``users``
    One row per Discord user we store anything about: ``user_id`` (snowflake), ``timezone``
    (IANA, the zone their local days are counted in), ``created_at``. ``subscriptions``,
    ``deliveries``, ``snoozes``, ``walks`` and ``feedback`` reference it with ``ON DELETE
    CASCADE``.
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

Journal
-------
``walks``
    One row per logged walk: ``user_id``, ``local_date`` (the user's local day it counts for),
    ``minutes``, ``cadence``, ``pain``, ``note``, ``logged_at`` (UTC). Indexed by
    ``(user_id, local_date)``. CHECK constraints repeat the validation's ranges.

Feedback
--------
``feedback``
    "Was this helpful?" votes: ``user_id``, ``answer_id`` (the answer message's id), ``unit_id``,
    ``question`` (normalised, at most 300 characters), ``helpful``, ``created_at``,
    ``updated_at``. UNIQUE ``(user_id, answer_id)``: one vote per person per answer.
``unanswered``
    Questions the guide could not answer, for the content report: ``question``, ``created_at``
    (indexed, for pruning), and ``user_id`` (no foreign key: nobody gets a ``users`` row just for
    asking) so ``/privacy`` can export and erase a person's questions too.
``answers``
    The question behind each recent answer, for its feedback buttons: ``answer_id`` (unique),
    ``unit_id``, ``question``, ``user_id`` (who asked; no foreign key, like ``unanswered``),
    ``created_at`` (indexed, for pruning).

Walking club
------------
``clubs``
    One row per server (``guild_id``): ``channel_id``, ``role_id`` (pinged by the walk call, or
    NULL), ``local_time`` + ``timezone``, ``active`` (``/club stop`` clears it),
    ``paused_reason`` (``channel_unavailable`` | ``bot_removed``), ``next_due_utc`` (INDEXED;
    NULL unless active and not paused) with ``next_club_day``, ``last_club_day``.
``club_calls``
    One row per club day that had a walk call due, UNIQUE ``(guild_id, club_day)``: ``status``
    claimed | sent | failed | skipped, ``lease_owner``/``lease_until``, ``attempts``, ``late``,
    ``channel_id``/``message_id`` (where the call is, for its count edits), ``error``.
``club_presses``
    "I walked" presses, UNIQUE ``(guild_id, user_id, club_day)``; ``user_id`` has no foreign key
    (pressing creates no ``users`` row). Personal data: exported and erased by ``/privacy``.

Who answers for which table's user data (``/privacy``): :mod:`schedules.store.userdata`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
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
from sqlalchemy.schema import SchemaItem

__all__ = [
    "BigId",
    "NAMING",
    "UTCDateTime",
    "answers_table",
    "club_calls_table",
    "club_presses_table",
    "clubs_table",
    "deliveries_table",
    "feedback_table",
    "metadata",
    "snoozes_table",
    "subscriptions_table",
    "sweepers_table",
    "unanswered_table",
    "users_table",
    "walks_table",
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


def _id() -> Column[int]:
    return Column("id", BigId, primary_key=True, autoincrement=True)


def _user(*, primary_key: bool = False) -> Column[int]:
    """``user_id`` -> ``users``, erased with the user row."""
    return Column(
        "user_id",
        BigInteger,
        ForeignKey("users.user_id", ondelete="CASCADE"),
        primary_key=primary_key,
        autoincrement=False if primary_key else "auto",
        nullable=False,
    )


def _user_rows(name: str, *items: SchemaItem) -> Table:
    """A table of many rows per user: an ``id``, the ``user_id`` (erased with the user), then
    ``items``."""
    return Table(name, metadata, _id(), _user(), *items)


def _instant(name: str, *, index: bool | None = None) -> Column[datetime]:
    """A required instant (UTC)."""
    return Column(name, UTCDateTime(), nullable=False, index=index)


def _question() -> Column[str]:
    """A question as stored: normalised, at most 300 characters."""
    return Column("question", String(300), nullable=False)


def _asker() -> Column[int]:
    """Who asked; no foreign key: asking creates no ``users`` row."""
    return Column("user_id", BigInteger, index=True)


# -- reminders ----------------------------------------------------------------------------------

users_table = Table(
    "users",
    metadata,
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Column("timezone", String(64)),
    _instant("created_at"),
)

subscriptions_table = Table(
    "subscriptions",
    metadata,
    _user(primary_key=True),
    Column("local_time", Time(), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("destination", String(8), nullable=False),  # 'dm' | 'channel'
    Column("channel_id", BigInteger),
    Column("guild_id", BigInteger),
    Column("dm_channel_id", BigInteger),
    Column("nudges", Boolean, server_default=text("true"), nullable=False),
    Column("active", Boolean, server_default=text("true"), nullable=False),
    Column("paused_reason", String(32)),
    Column("pause_notice", Boolean, server_default=text("false"), nullable=False),
    Column("next_due_utc", UTCDateTime(), index=True),
    Column("next_local_date", Date()),
    Column("last_local_date", Date()),
    Column("plan_started_on", Date()),
    Column("plan_week", SmallInteger, server_default=text("1"), nullable=False),
    Column("cadence_target", SmallInteger, nullable=False),
    Column("minutes_target", SmallInteger, nullable=False),
    _instant("created_at"),
    _instant("updated_at"),
)

deliveries_table = _user_rows(
    "deliveries",
    Column("kind", String(16), nullable=False),  # 'reminder' | 'nudge' | 'snooze'
    _instant("due_utc"),
    Column("local_date", Date(), nullable=False),
    Column("status", String(16), nullable=False),  # claimed | sent | failed | skipped
    Column("late", Boolean, server_default=text("false"), nullable=False),
    Column("attempts", SmallInteger, server_default=text("0"), nullable=False),
    Column("claimed_at", UTCDateTime()),
    Column("lease_owner", String(64)),
    Column("lease_until", UTCDateTime()),
    Column("sent_at", UTCDateTime()),
    Column("message_id", BigInteger),
    Column("error", String(200)),
    Column("payload", JSON),
    Column("acked_at", UTCDateTime()),
    UniqueConstraint("user_id", "kind", "due_utc"),
    # Expired claims are found through this (small: only rows still 'claimed').
    Index(
        "ix_deliveries_claimed_lease",
        "lease_until",
        postgresql_where=text("status = 'claimed'"),
        sqlite_where=text("status = 'claimed'"),
    ),
)

snoozes_table = Table(
    "snoozes",
    metadata,
    _user(primary_key=True),
    _instant("due_utc", index=True),
    _instant("created_at"),
)

sweepers_table = Table(
    "sweepers",
    metadata,
    Column("owner", String(64), primary_key=True),
    _instant("seen_at", index=True),
)

# -- journal ------------------------------------------------------------------------------------

walks_table = _user_rows(
    "walks",
    Column("local_date", Date, nullable=False),
    Column("minutes", SmallInteger, nullable=False),
    Column("cadence", SmallInteger),
    Column("pain", SmallInteger),
    Column("note", String(500)),  # schedules.journal.walklog.MAX_NOTE
    _instant("logged_at"),
    CheckConstraint("minutes BETWEEN 1 AND 300", name="minutes_range"),
    CheckConstraint("cadence IS NULL OR cadence BETWEEN 30 AND 250", name="cadence_range"),
    CheckConstraint("pain IS NULL OR pain BETWEEN 0 AND 10", name="pain_range"),
    Index("ix_walks_user_id_local_date", "user_id", "local_date"),
)

# -- feedback -----------------------------------------------------------------------------------

#: A vote names the voter, the unit, the answer (its message key) and yes/no: never the question
#: (that stays with the asker, in ``answers``). One per person per unit per (UTC) day.
feedback_table = _user_rows(
    "feedback",
    Column("answer_id", BigInteger, nullable=False),
    Column("unit_id", String(32), nullable=False, index=True),
    Column("helpful", Boolean, nullable=False),
    Column("day", Date(), nullable=False),
    _instant("created_at"),
    _instant("updated_at"),
    UniqueConstraint("user_id", "unit_id", "day"),
)

unanswered_table = Table(
    "unanswered",
    metadata,
    _id(),
    _asker(),
    _question(),
    _instant("created_at", index=True),
)

answers_table = Table(
    "answers",
    metadata,
    _id(),
    Column("answer_id", BigInteger, nullable=False),
    _asker(),
    Column("unit_id", String(32), nullable=False),
    _question(),
    _instant("created_at", index=True),
    UniqueConstraint("answer_id"),
)

# -- walking club -------------------------------------------------------------------------------

clubs_table = Table(
    "clubs",
    metadata,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("channel_id", BigInteger, nullable=False),
    Column("role_id", BigInteger),
    Column("local_time", Time(), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("active", Boolean, server_default=text("true"), nullable=False),
    Column("paused_reason", String(32)),
    Column("next_due_utc", UTCDateTime(), index=True),
    Column("next_club_day", Date()),
    Column("last_club_day", Date()),
    _instant("created_at"),
    _instant("updated_at"),
)

club_calls_table = Table(
    "club_calls",
    metadata,
    _id(),
    Column("guild_id", BigInteger, nullable=False),
    Column("club_day", Date(), nullable=False),
    _instant("due_utc"),
    Column("status", String(16), nullable=False),  # claimed | sent | failed | skipped
    Column("late", Boolean, server_default=text("false"), nullable=False),
    Column("attempts", SmallInteger, server_default=text("0"), nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_until", UTCDateTime(), index=True),
    Column("channel_id", BigInteger),
    Column("message_id", BigInteger),
    Column("sent_at", UTCDateTime()),
    Column("error", String(200)),
    UniqueConstraint("guild_id", "club_day"),
)

club_presses_table = Table(
    "club_presses",
    metadata,
    _id(),
    Column("guild_id", BigInteger, nullable=False),
    Column("club_day", Date(), nullable=False),
    Column("user_id", BigInteger, nullable=False, index=True),
    _instant("pressed_at"),
    UniqueConstraint("guild_id", "user_id", "club_day"),
    Index("ix_club_presses_guild_id_club_day", "guild_id", "club_day"),
)
