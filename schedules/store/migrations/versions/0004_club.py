"""club: the walking club (one per server), its daily walk calls and the "I walked" presses

Revision ID: 0004_club
Revises: 0003_answers
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_club"
down_revision: str | Sequence[str] | None = "0003_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Instant = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clubs",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("role_id", sa.BigInteger(), nullable=True),
        sa.Column("local_time", sa.Time(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("paused_reason", sa.String(length=32), nullable=True),
        sa.Column("next_due_utc", Instant, nullable=True),
        sa.Column("next_club_day", sa.Date(), nullable=True),
        sa.Column("last_club_day", sa.Date(), nullable=True),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("updated_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_clubs")),
    )
    op.create_index(op.f("ix_clubs_next_due_utc"), "clubs", ["next_due_utc"], unique=False)
    op.create_table(
        "club_calls",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("club_day", sa.Date(), nullable=False),
        sa.Column("due_utc", Instant, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("late", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", Instant, nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", Instant, nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_club_calls")),
        sa.UniqueConstraint("guild_id", "club_day", name=op.f("uq_club_calls_guild_id_club_day")),
    )
    op.create_index(op.f("ix_club_calls_lease_until"), "club_calls", ["lease_until"], unique=False)
    op.create_table(
        "club_presses",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("club_day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("pressed_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_club_presses")),
        sa.UniqueConstraint(
            "guild_id",
            "user_id",
            "club_day",
            name=op.f("uq_club_presses_guild_id_user_id_club_day"),
        ),
    )
    op.create_index(
        "ix_club_presses_guild_id_club_day",
        "club_presses",
        ["guild_id", "club_day"],
        unique=False,
    )
    op.create_index(op.f("ix_club_presses_user_id"), "club_presses", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_club_presses_user_id"), table_name="club_presses")
    op.drop_index("ix_club_presses_guild_id_club_day", table_name="club_presses")
    op.drop_table("club_presses")
    op.drop_index(op.f("ix_club_calls_lease_until"), table_name="club_calls")
    op.drop_table("club_calls")
    op.drop_index(op.f("ix_clubs_next_due_utc"), table_name="clubs")
    op.drop_table("clubs")
