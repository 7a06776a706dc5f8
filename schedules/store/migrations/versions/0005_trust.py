"""trust: a vote no longer copies the question; one vote per person per unit per day

Revision ID: 0005_trust
Revises: 0004_club
Create Date: 2026-12-02

``feedback`` loses ``question`` (the question stays with the asker, in ``answers``) and gains
``day`` (the UTC date of the vote, from ``updated_at``); of several votes by one person on one
unit on one day only the latest is kept, then (user, unit, day) is unique instead of
(user, answer).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_trust"
down_revision: str | Sequence[str] | None = "0004_club"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("day", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE feedback SET day = (updated_at AT TIME ZONE 'UTC')::date")
    else:  # SQLite stores instants as UTC text
        op.execute("UPDATE feedback SET day = substr(updated_at, 1, 10)")
    op.execute(
        "DELETE FROM feedback WHERE id NOT IN "
        "(SELECT max(id) FROM feedback GROUP BY user_id, unit_id, day)"
    )
    with op.batch_alter_table("feedback") as batch:
        batch.drop_constraint("uq_feedback_user_id_answer_id", type_="unique")
        batch.drop_column("question")
        batch.alter_column("day", existing_type=sa.Date(), nullable=False)
        batch.create_unique_constraint(
            "uq_feedback_user_id_unit_id_day", ["user_id", "unit_id", "day"]
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_constraint("uq_feedback_user_id_unit_id_day", type_="unique")
        batch.add_column(
            sa.Column("question", sa.String(length=300), nullable=False, server_default="")
        )
        batch.drop_column("day")
    op.execute(
        "DELETE FROM feedback WHERE id NOT IN (SELECT max(id) FROM feedback GROUP BY user_id, answer_id)"
    )
    with op.batch_alter_table("feedback") as batch:
        batch.create_unique_constraint("uq_feedback_user_id_answer_id", ["user_id", "answer_id"])
