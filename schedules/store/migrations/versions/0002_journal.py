"""journal: walks, feedback, unanswered

Revision ID: 0002_journal
Revises: 0001_reminders
Create Date: 2026-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_journal"
down_revision: str | Sequence[str] | None = "0001_reminders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Instant = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "walks",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("minutes", sa.SmallInteger(), nullable=False),
        sa.Column("cadence", sa.SmallInteger(), nullable=True),
        sa.Column("pain", sa.SmallInteger(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("logged_at", Instant, nullable=False),
        sa.CheckConstraint("minutes BETWEEN 1 AND 300", name=op.f("ck_walks_minutes_range")),
        sa.CheckConstraint(
            "cadence IS NULL OR cadence BETWEEN 30 AND 250", name=op.f("ck_walks_cadence_range")
        ),
        sa.CheckConstraint(
            "pain IS NULL OR pain BETWEEN 0 AND 10", name=op.f("ck_walks_pain_range")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_walks_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walks")),
    )
    op.create_index("ix_walks_user_id_local_date", "walks", ["user_id", "local_date"], unique=False)
    op.create_table(
        "feedback",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("answer_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.String(length=32), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.Column("updated_at", Instant, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_feedback_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("user_id", "answer_id", name=op.f("uq_feedback_user_id_answer_id")),
    )
    op.create_index(op.f("ix_feedback_unit_id"), "feedback", ["unit_id"], unique=False)
    op.create_table(
        "unanswered",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered")),
    )
    op.create_index(op.f("ix_unanswered_user_id"), "unanswered", ["user_id"], unique=False)
    op.create_index(op.f("ix_unanswered_created_at"), "unanswered", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_unanswered_created_at"), table_name="unanswered")
    op.drop_index(op.f("ix_unanswered_user_id"), table_name="unanswered")
    op.drop_table("unanswered")
    op.drop_index(op.f("ix_feedback_unit_id"), table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_walks_user_id_local_date", table_name="walks")
    op.drop_table("walks")
