"""Join the ingest, search and resolution branches; drop the unused value-lookup index.

Exact-value lookups are served by the search index (search_keys), so the (prop, match_key)
index on statements only cost every ingest an extra B-tree insert per value.

Revision ID: 0005_merge
Revises: 0003_ingest, 0003_search, 0004_resolution
"""

from __future__ import annotations

from alembic import op

revision = "0005_merge"
down_revision = ("0003_ingest", "0003_search", "0004_resolution")
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("statements") as batch_op:
        batch_op.drop_index("ix_statements_lookup")


def downgrade() -> None:
    with op.batch_alter_table("statements") as batch_op:
        batch_op.create_index("ix_statements_lookup", ["prop", "match_key"], unique=False)
