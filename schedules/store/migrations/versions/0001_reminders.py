"""reminders: users, subscriptions, deliveries, snoozes, sweepers

Revision ID: 0001_reminders
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_reminders"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Instant = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("created_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("local_time", sa.Time(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("destination", sa.String(length=8), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("dm_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("nudges", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("paused_reason", sa.String(length=32), nullable=True),
        sa.Column("pause_notice", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("next_due_utc", Instant, nullable=True),
        sa.Column("next_local_date", sa.Date(), nullable=True),
        sa.Column("last_local_date", sa.Date(), nullable=True),
        sa.Column("plan_started_on", sa.Date(), nullable=True),
        sa.Column("plan_week", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("cadence_target", sa.SmallInteger(), nullable=False),
        sa.Column("minutes_target", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("updated_at", Instant, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_subscriptions")),
    )
    op.create_index(
        op.f("ix_subscriptions_next_due_utc"), "subscriptions", ["next_due_utc"], unique=False
    )
    op.create_table(
        "deliveries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_utc", Instant, nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("late", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("claimed_at", Instant, nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", Instant, nullable=True),
        sa.Column("sent_at", Instant, nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("acked_at", Instant, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_deliveries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "user_id", "kind", "due_utc", name=op.f("uq_deliveries_user_id_kind_due_utc")
        ),
    )
    op.create_index(
        "ix_deliveries_claimed_lease",
        "deliveries",
        ["lease_until"],
        unique=False,
        postgresql_where=sa.text("status = 'claimed'"),
        sqlite_where=sa.text("status = 'claimed'"),
    )
    op.create_table(
        "snoozes",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("due_utc", Instant, nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_snoozes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_snoozes")),
    )
    op.create_index(op.f("ix_snoozes_due_utc"), "snoozes", ["due_utc"], unique=False)
    op.create_table(
        "sweepers",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("seen_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_sweepers")),
    )
    op.create_index(op.f("ix_sweepers_seen_at"), "sweepers", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sweepers_seen_at"), table_name="sweepers")
    op.drop_table("sweepers")
    op.drop_index(op.f("ix_snoozes_due_utc"), table_name="snoozes")
    op.drop_table("snoozes")
    op.drop_index("ix_deliveries_claimed_lease", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index(op.f("ix_subscriptions_next_due_utc"), table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_table("users")
