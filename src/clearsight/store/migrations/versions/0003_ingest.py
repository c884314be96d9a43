"""ingest data-quality counts

Revision ID: 0003_ingest
Revises: 0002
Create Date: 2026-11-23 09:30:00.000000

Per-batch counts of values seen, empty, invalid (row rejected) and dropped (warning) for
each mapped field of an ingest run, read by the data-quality report. Counts only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_ingest"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ingest_field_stats",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("batch", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("schema", sa.String(length=64), server_default="", nullable=False),
        sa.Column("prop", sa.String(length=64), server_default="", nullable=False),
        sa.Column("type_name", sa.String(length=32), server_default="", nullable=False),
        sa.Column("seen", sa.Integer(), server_default="0", nullable=False),
        sa.Column("empty", sa.Integer(), server_default="0", nullable=False),
        sa.Column("invalid", sa.Integer(), server_default="0", nullable=False),
        sa.Column("dropped", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("run_id", "batch", "field", name=op.f("pk_ingest_field_stats")),
    )
    op.create_index("ix_ingest_field_stats_source", "ingest_field_stats", ["source"])


def downgrade() -> None:
    op.drop_index("ix_ingest_field_stats_source", table_name="ingest_field_stats")
    op.drop_table("ingest_field_stats")
