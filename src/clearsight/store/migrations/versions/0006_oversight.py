"""Oversight: declared interests, watch list, shift patterns, alert queue, weekly reviews.

Revision ID: 0006_oversight
Revises: 0005_merge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_oversight"
down_revision = "0005_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oversight_interests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), server_default="", nullable=False),
        sa.Column("birth_date", sa.String(length=16), server_default="", nullable=False),
        sa.Column("postcode", sa.String(length=16), server_default="", nullable=False),
        sa.Column("vrm", sa.String(length=16), server_default="", nullable=False),
        sa.Column("entity_id", sa.String(length=40), server_default="", nullable=False),
        sa.Column("relation", sa.Text(), server_default="", nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user"], ["users.name"], name=op.f("fk_oversight_interests_user_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_interests")),
    )
    op.create_index("ix_oversight_interests_user", "oversight_interests", ["user"], unique=False)
    op.create_table(
        "oversight_watchlist",
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("added_at", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_oversight_watchlist")),
    )
    op.create_table(
        "oversight_shifts",
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("days", sa.String(length=32), nullable=False),
        sa.Column("start", sa.String(length=5), nullable=False),
        sa.Column("end", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="Europe/London", nullable=False),
        sa.Column("recorded_at", sa.String(length=32), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user"], ["users.name"], name=op.f("fk_oversight_shifts_user_users")),
        sa.PrimaryKeyConstraint("user", name=op.f("pk_oversight_shifts")),
    )
    op.create_table(
        "oversight_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_oversight_state")),
    )
    op.create_table(
        "oversight_alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("raised_at", sa.String(length=32), nullable=False),
        sa.Column("first_at", sa.String(length=32), nullable=False),
        sa.Column("last_at", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("seqs", sa.Text(), nullable=False),
        sa.Column("subjects", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oversight_alerts")),
    )
    op.create_index("ix_oversight_alerts_status", "oversight_alerts", ["status"], unique=False)
    op.create_index("ix_oversight_alerts_rule_user", "oversight_alerts", ["rule", "user"], unique=False)
    op.create_table(
        "oversight_reviews",
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=False),
        sa.Column("reviewed_at", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("report_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_oversight_reviews")),
    )


def downgrade() -> None:
    op.drop_table("oversight_reviews")
    op.drop_index("ix_oversight_alerts_rule_user", table_name="oversight_alerts")
    op.drop_index("ix_oversight_alerts_status", table_name="oversight_alerts")
    op.drop_table("oversight_alerts")
    op.drop_table("oversight_state")
    op.drop_table("oversight_shifts")
    op.drop_table("oversight_watchlist")
    op.drop_index("ix_oversight_interests_user", table_name="oversight_interests")
    op.drop_table("oversight_interests")
