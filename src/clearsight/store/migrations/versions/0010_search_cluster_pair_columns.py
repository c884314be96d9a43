"""Cluster pairs that carry what a two-word name query counts, facets and ranks resolved people by.

``search_cluster_pairs`` held only which pairs of keys the members of a canonical entity
carry between them: candidates, each read again member by member from ``search_keys``,
which at a million people made resolved people most of a name query's cost. Its rows now
say of each side what a ``search_pairs`` row says of its entity (the token behind a
phonetic code, the statement's marking, and the member's id, marking, state and source),
one row per two keys with different pair keys, of one member or of two, for every
canonical entity in ``clusters``.

The rows are filled from the index as it stands, with no rebuild: each member's keys with
their tokens and markings are the sides of its own ``search_pairs`` rows, and the initials
of ``search_keys`` (a member with a single pairable key has no pair rows of its own).
``search_cluster_members`` records the membership the pairs were derived from, so that a
member moved to another cluster or taken out of one is found and its old canonical
entity's pairs re-derived.

Revision ID: 0010_search_cluster_pair_columns
Revises: 0009_search_pair_columns
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_search_cluster_pair_columns"
down_revision = "0009_search_pair_columns"
branch_labels = None
depends_on = None

_SIDE = ("entity_id", "term", "marking_id", "entity_marking_id", "state", "source")
_COLUMNS = (
    "a", "b", "canonical_id",
    *(f"{side}_{c}" for c in _SIDE for side in ("a", "b")),
    "schema",
)
# each member's pairable keys: (canonical id, member, pair key, token, statement marking,
# member's marking, state, source, schema)
_INSTANCES = (
    "INSERT INTO search_migrate_members "
    "SELECT c.canonical_id, p.entity_id, p.a, p.a_term, p.a_marking_id, p.marking_id, p.state, p.source, p.schema "
    "FROM search_pairs p JOIN clusters c ON c.entity_id = p.entity_id "
    "UNION SELECT c.canonical_id, p.entity_id, p.b, p.b_term, p.b_marking_id, p.marking_id, p.state, p.source, p.schema "
    "FROM search_pairs p JOIN clusters c ON c.entity_id = p.entity_id "
    "UNION SELECT c.canonical_id, k.entity_id, 'i:' || k.key, '', k.marking_id, e.marking_id, COALESCE(e.state, ''), "
    "e.source, e.schema "
    "FROM search_keys k JOIN clusters c ON c.entity_id = k.entity_id JOIN entities e ON e.id = k.entity_id "
    "WHERE k.kind = 'initial'"
)
_PAIRS = (
    f"INSERT INTO search_cluster_pairs ({', '.join(_COLUMNS)}) "  # noqa: S608 (fixed column names)
    "SELECT x.pk, y.pk, x.canonical_id, x.entity_id, y.entity_id, x.term, y.term, x.marking_id, y.marking_id, "
    "x.entity_marking_id, y.entity_marking_id, x.state, y.state, x.source, y.source, x.schema "
    "FROM search_migrate_members x JOIN search_migrate_members y ON y.canonical_id = x.canonical_id AND x.pk < y.pk "
    "ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
)


def _key_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("a", sa.Text(), nullable=False),
        sa.Column("b", sa.Text(), nullable=False),
        sa.Column("canonical_id", sa.String(length=40), nullable=False),
    ]


def _replace(*columns: sa.Column[str], key: tuple[str, ...], fill: str, **kw: bool) -> None:
    """Drop ``search_cluster_pairs`` and create it again with ``columns`` (primary key ``key``), filled by ``fill``."""
    with op.batch_alter_table("search_cluster_pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_search_cluster_pairs_canonical")
    op.drop_table("search_cluster_pairs")
    op.create_table(
        "search_cluster_pairs", *_key_columns(), *columns,
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_search_cluster_pairs")), **kw,
    )
    op.execute(fill)
    with op.batch_alter_table("search_cluster_pairs", schema=None) as batch_op:
        batch_op.create_index("ix_search_cluster_pairs_canonical", ["canonical_id"], unique=False)


def upgrade() -> None:
    op.execute(
        "CREATE TEMPORARY TABLE search_migrate_members (canonical_id VARCHAR(40) NOT NULL, entity_id VARCHAR(40) NOT NULL, "
        "pk TEXT NOT NULL, term TEXT NOT NULL, marking_id VARCHAR(16) NOT NULL, entity_marking_id VARCHAR(16) NOT NULL, "
        "state VARCHAR(16) NOT NULL, source VARCHAR(100) NOT NULL, schema VARCHAR(64) NOT NULL)"
    )
    op.execute(_INSTANCES)
    op.execute("CREATE INDEX ix_search_migrate_members ON search_migrate_members (canonical_id, pk)")
    _replace(
        sa.Column("a_entity_id", sa.String(length=40), nullable=False),
        sa.Column("b_entity_id", sa.String(length=40), nullable=False),
        sa.Column("a_term", sa.Text(), nullable=False),
        sa.Column("b_term", sa.Text(), nullable=False),
        sa.Column("a_marking_id", sa.String(length=16), nullable=False),
        sa.Column("b_marking_id", sa.String(length=16), nullable=False),
        sa.Column("a_entity_marking_id", sa.String(length=16), nullable=False),
        sa.Column("b_entity_marking_id", sa.String(length=16), nullable=False),
        sa.Column("a_state", sa.String(length=16), nullable=False),
        sa.Column("b_state", sa.String(length=16), nullable=False),
        sa.Column("a_source", sa.String(length=100), nullable=False),
        sa.Column("b_source", sa.String(length=100), nullable=False),
        sa.Column("schema", sa.String(length=64), nullable=False),
        key=_COLUMNS[:9],
        fill=_PAIRS,
        sqlite_with_rowid=False,
    )
    op.execute("DROP TABLE search_migrate_members")
    op.create_table(
        "search_cluster_members",
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("canonical_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_search_cluster_members")),
    )
    op.execute(
        "INSERT INTO search_cluster_members (entity_id, canonical_id) SELECT entity_id, canonical_id FROM clusters"
    )
    with op.batch_alter_table("search_cluster_members", schema=None) as batch_op:
        batch_op.create_index("ix_search_cluster_members_canonical", ["canonical_id"], unique=False)


def downgrade() -> None:
    op.drop_table("search_cluster_members")
    # the pairs of 0008_search_pairs: the distinct (a, b, canonical) of canonical entities
    # with more than one indexed member
    op.execute(
        "CREATE TEMPORARY TABLE search_migrate_narrow AS SELECT DISTINCT a, b, canonical_id FROM search_cluster_pairs "
        "WHERE canonical_id IN (SELECT canonical_id FROM (SELECT canonical_id, a_entity_id AS member FROM search_cluster_pairs "
        "UNION SELECT canonical_id, b_entity_id FROM search_cluster_pairs) AS m GROUP BY canonical_id HAVING count(*) > 1)"
    )
    _replace(
        key=("a", "b", "canonical_id"),
        fill="INSERT INTO search_cluster_pairs (a, b, canonical_id) SELECT a, b, canonical_id FROM search_migrate_narrow",
    )
    op.execute("DROP TABLE search_migrate_narrow")
