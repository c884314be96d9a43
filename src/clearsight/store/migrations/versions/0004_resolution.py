"""resolution runs

Revision ID: 0004_resolution
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_resolution"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resolution_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("schema", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.String(length=32), nullable=False),
        sa.Column("finished_at", sa.String(length=32), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("thresholds", sa.Text(), server_default="{}", nullable=False),
        sa.Column("summary", sa.Text(), server_default="{}", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_runs")),
    )
    with op.batch_alter_table("resolution_runs", schema=None) as batch_op:
        batch_op.create_index("ix_resolution_runs_schema_started", ["schema", "started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("resolution_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_resolution_runs_schema_started")
    op.drop_table("resolution_runs")
