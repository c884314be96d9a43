"""Name-key pairs for the search index: a two-word name query becomes one index seek.

``search_pairs`` holds, per entity, every unordered pair of the phonetic codes and initials
of its name tokens; ``search_cluster_pairs`` holds the same over the members of each
canonical entity with more than one member. Both are derived, like the rest of the index;
here they are filled from the index rows already stored, so no rebuild is needed.

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


# A phonetic or initial index row is written in a pair as "p:SM0" or "i:j"; each owner
# gets every unordered pair of its distinct keys (a < b).
_OWN_PAIRS = (
    "WITH keyed AS (SELECT k.entity_id AS owner, "
    "CASE k.kind WHEN 'phonetic' THEN 'p:' ELSE 'i:' END || k.key AS pk "
    "FROM search_keys k WHERE k.kind IN ('phonetic', 'initial')) "
    "INSERT INTO search_pairs (a, b, entity_id) SELECT DISTINCT x.pk, y.pk, x.owner "
    "FROM keyed x JOIN keyed y ON y.owner = x.owner AND x.pk < y.pk"
)
# the same over the members of each canonical entity with more than one indexed member
_CLUSTER_PAIRS = (
    "WITH member_keys AS (SELECT c.canonical_id AS owner, k.entity_id, "
    "CASE k.kind WHEN 'phonetic' THEN 'p:' ELSE 'i:' END || k.key AS pk "
    "FROM clusters c JOIN search_keys k ON k.entity_id = c.entity_id "
    "WHERE k.kind IN ('phonetic', 'initial') AND c.canonical_id IN "
    "(SELECT canonical_id FROM clusters GROUP BY canonical_id HAVING count(*) > 1)), "
    "keyed AS (SELECT owner, pk FROM member_keys WHERE owner IN "
    "(SELECT owner FROM member_keys GROUP BY owner HAVING count(DISTINCT entity_id) > 1)) "
    "INSERT INTO search_cluster_pairs (a, b, canonical_id) SELECT DISTINCT x.pk, y.pk, x.owner "
    "FROM keyed x JOIN keyed y ON y.owner = x.owner AND x.pk < y.pk"
)
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
    # filled from the index as it stands (a store of millions of names need not be rebuilt)
    op.execute(_OWN_PAIRS)
    op.execute(_CLUSTER_PAIRS)
    op.execute("DELETE FROM search_state WHERE name = 'clusters_high_water'")
    op.execute(
        "INSERT INTO search_state (name, value) "
        "SELECT 'clusters_high_water', COALESCE(max(updated_at), '') FROM clusters"
    )


def downgrade() -> None:
    for table, owner in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_{owner.removesuffix('_id')}")
        op.drop_table(table)
