"""Name-key pairs for the search index: a two-word name query becomes one index seek.

``search_pairs`` holds, per entity, every unordered pair of the phonetic codes and initials
of its name tokens; ``search_cluster_pairs`` holds the same over the members of each
canonical entity with more than one member. Both are derived, like the rest of the index,
so the index is marked unbuilt here and rebuilt in full by the next search.

Revision ID: 0008_search_pairs
Revises: 0007_merge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_search_pairs"
down_revision = "0007_merge"
branch_labels = None
depends_on = None


#: (table, the id column that holds its pairs)
TABLES = (("search_pairs", "entity_id"), ("search_cluster_pairs", "canonical_id"))


def upgrade() -> None:
    for table, owner in TABLES:
        op.create_table(
            table,
            sa.Column("a", sa.Text(), nullable=False),
            sa.Column("b", sa.Text(), nullable=False),
            sa.Column(owner, sa.String(length=40), nullable=False),
            sa.PrimaryKeyConstraint("a", "b", owner, name=op.f(f"pk_{table}")),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_{owner.removesuffix('_id')}", [owner], unique=False)
    # the new tables are empty: the next search rebuilds the whole index
    op.execute("DELETE FROM search_state WHERE name = 'built'")


def downgrade() -> None:
    for table, owner in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_{owner.removesuffix('_id')}")
        op.drop_table(table)
