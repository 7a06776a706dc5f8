"""answers: the question behind each recent answer, for its feedback buttons

Revision ID: 0003_answers
Revises: 0002_journal
Create Date: 2026-01-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_answers"
down_revision: str | Sequence[str] | None = "0002_journal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Instant = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "answers",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("answer_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("unit_id", sa.String(length=32), nullable=False),
        sa.Column("question", sa.String(length=300), nullable=False),
        sa.Column("created_at", Instant, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint("answer_id", name=op.f("uq_answers_answer_id")),
    )
    op.create_index(op.f("ix_answers_user_id"), "answers", ["user_id"], unique=False)
    op.create_index(op.f("ix_answers_created_at"), "answers", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_answers_created_at"), table_name="answers")
    op.drop_index(op.f("ix_answers_user_id"), table_name="answers")
    op.drop_table("answers")
