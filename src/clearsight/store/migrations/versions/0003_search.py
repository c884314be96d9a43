"""search index and graph change detection

Revision ID: 0003_search
Revises: 0002
Create Date: 2026-11-23 09:00:00.000000

The search index is derived from statements (a pure function of them) and can be rebuilt
at any time. Keys for names, phonetic codes, initials, identifiers, areas and dates live in
``search_keys``; the vocabulary of name tokens feeds fuzzy matching (pg_trgm on
PostgreSQL, single-deletion keys on SQLite); free text goes into FTS5 on SQLite and a
``tsvector`` with a GIN index on PostgreSQL. Indexes on the ``last_seen``/``updated_at``
and ``state`` columns make the high-water marks that decide staleness cheap to read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_search"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "search_keys",
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("prop", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("marking_id", sa.String(length=16), nullable=False),
    )
    with op.batch_alter_table("search_keys", schema=None) as batch_op:
        batch_op.create_index("ix_search_keys_lookup", ["kind", "key", "entity_id"], unique=False)
        batch_op.create_index("ix_search_keys_entity", ["entity_id"], unique=False)
    op.create_table(
        "search_vocab",
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_search_vocab")),
    )
    op.create_table(
        "search_vocab_deletions",
        sa.Column("deletion", sa.String(length=200), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("deletion", "term", name=op.f("pk_search_vocab_deletions")),
    )
    op.create_table(
        "search_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_search_state")),
    )
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_text USING fts5("
            "body, entity_id UNINDEXED, prop UNINDEXED, marking_id UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE TABLE search_text ("
            "entity_id VARCHAR(40) NOT NULL, prop VARCHAR(64) NOT NULL, "
            "marking_id VARCHAR(16) NOT NULL, body TEXT NOT NULL, "
            "tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED)"
        )
        op.execute("CREATE INDEX ix_search_text_tsv ON search_text USING GIN (tsv)")
        op.execute("CREATE INDEX ix_search_text_entity ON search_text (entity_id)")
        op.execute("CREATE INDEX ix_search_vocab_trgm ON search_vocab USING GIN (term gin_trgm_ops)")
    # high-water marks and state counts read before every search and graph query
    op.create_index("ix_statements_last_seen", "statements", ["last_seen"])
    op.create_index("ix_links_last_seen", "links", ["last_seen"])
    op.create_index("ix_links_state", "links", ["state"])
    op.create_index("ix_entities_last_seen", "entities", ["last_seen"])
    op.create_index("ix_entities_state", "entities", ["state"])
    op.create_index("ix_clusters_updated_at", "clusters", ["updated_at"])


def downgrade() -> None:
    for name, table in (
        ("ix_clusters_updated_at", "clusters"),
        ("ix_entities_state", "entities"),
        ("ix_entities_last_seen", "entities"),
        ("ix_links_state", "links"),
        ("ix_links_last_seen", "links"),
        ("ix_statements_last_seen", "statements"),
    ):
        op.drop_index(name, table_name=table)
    op.execute("DROP TABLE search_text")
    op.drop_table("search_state")
    op.drop_table("search_vocab_deletions")
    op.drop_table("search_vocab")
    op.drop_table("search_keys")
