"""Pairs that carry what a two-word name query counts, facets and ranks by.

``search_pairs`` rows gain the name token behind each phonetic code (``''`` for an
initial), the marking of the statements each key came from, and the entity's marking,
state, schema and source, so that the hits of a two-word name query are counted, faceted
and scored from the pair rows alone; only the page's hits read ``search_keys`` again. On
SQLite the table has no rowid: a range of pairs is read from the table itself.

The new rows are filled from the index as it stands, with no rebuild: the token behind
each code comes from the index's name rows and the vocabulary's codes (computed here,
one per distinct spelling), the markings from the index rows, the rest from ``entities``.

The entity's marking and state on the pairs are kept current by the index refresh: a new
trigger queues an entity in ``search_pending`` when its marking or state changes in place,
whatever writer changed it, and moves the data and marking versions (a marking change
already moved them, through the triggers of 0006_marking_version).

Revision ID: 0009_search_pair_columns
Revises: 0008_search_pairs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clearsight.ontology.types.names import phonetic

revision = "0009_search_pair_columns"
down_revision = "0008_search_pairs"
branch_labels = None
depends_on = None

_COLUMNS = (
    "a", "b", "entity_id", "a_term", "b_term", "a_marking_id", "b_marking_id", "marking_id", "state", "schema", "source",
)
# each entity's pairable keys: (entity, "p:CODE" with the token behind it, or "i:x" with '',
# the marking of the index row), then every unordered pair of two different keys
_KEYS = (
    "INSERT INTO search_migrate_keys (entity_id, pk, term, marking_id) "
    "SELECT DISTINCT k.entity_id, 'p:' || c.code, k.key, k.marking_id "
    "FROM search_keys k JOIN search_migrate_codes c ON c.term = k.key WHERE k.kind = 'name' "
    "UNION SELECT DISTINCT k.entity_id, 'i:' || k.key, '', k.marking_id FROM search_keys k WHERE k.kind = 'initial'"
)
_PAIRS = (
    f"INSERT INTO search_pairs ({', '.join(_COLUMNS)}) "  # noqa: S608 (fixed column names)
    "SELECT x.pk, y.pk, x.entity_id, x.term, y.term, x.marking_id, y.marking_id, "
    "e.marking_id, e.state, e.schema, e.source "
    "FROM search_migrate_keys x JOIN search_migrate_keys y ON y.entity_id = x.entity_id AND x.pk < y.pk "
    "JOIN entities e ON e.id = x.entity_id "
    "ORDER BY 1, 2, 3, 4, 5, 6, 7"
)

_TRIGGER = "trg_entities_visibility"
_SQLITE_TRIGGER = (
    f"CREATE TRIGGER {_TRIGGER} AFTER UPDATE OF marking_id, state ON entities "  # noqa: S608 (a constant)
    "WHEN OLD.marking_id IS NOT NEW.marking_id OR OLD.state IS NOT NEW.state BEGIN "
    "INSERT INTO search_pending (entity_id) VALUES (NEW.id) ON CONFLICT DO NOTHING; "
    "INSERT INTO search_state (name, value) "
    "SELECT v.name, strftime('%Y%m%dT%H%M%f', 'now') || '-' || lower(hex(randomblob(6))) "
    "FROM (SELECT 'data_version' AS name UNION ALL SELECT 'marking_version') AS v WHERE true "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value; END"
)
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION clearsight_entity_visibility_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (entity_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    INSERT INTO search_state (name, value)
    SELECT name, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS.US')
                 || '-' || substr(md5(random()::text), 1, 12)
    FROM (VALUES ('data_version'), ('marking_version')) AS v(name)
    ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value;
    RETURN NULL;
END
$$
"""
_PG_TRIGGER = (
    f"CREATE TRIGGER {_TRIGGER} AFTER UPDATE OF marking_id, state ON entities FOR EACH ROW "
    "WHEN (OLD.marking_id IS DISTINCT FROM NEW.marking_id OR OLD.state IS DISTINCT FROM NEW.state) "
    "EXECUTE FUNCTION clearsight_entity_visibility_changed()"
)


def _pair_key_columns() -> list[sa.Column[str]]:
    return [
        sa.Column("a", sa.Text(), nullable=False),
        sa.Column("b", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=False),
    ]


def _replace_pairs(*columns: sa.Column[str], key: tuple[str, ...], fill: str, **kw: bool) -> None:
    """Drop ``search_pairs`` and create it again with ``columns`` (primary key ``key``),
    filled by ``fill`` (SQL reading the temporary tables it prepared)."""
    with op.batch_alter_table("search_pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_search_pairs_entity")
    op.drop_table("search_pairs")
    op.create_table(
        "search_pairs", *_pair_key_columns(), *columns, sa.PrimaryKeyConstraint(*key, name=op.f("pk_search_pairs")), **kw
    )
    op.execute(fill)
    with op.batch_alter_table("search_pairs", schema=None) as batch_op:
        batch_op.create_index("ix_search_pairs_entity", ["entity_id"], unique=False)


def upgrade() -> None:
    bind = op.get_bind()
    # the vocabulary's codes, then each entity's pairable keys (indexed by entity for the pairing)
    op.execute("CREATE TEMPORARY TABLE search_migrate_codes (term TEXT PRIMARY KEY, code TEXT NOT NULL)")
    op.execute(
        "CREATE TEMPORARY TABLE search_migrate_keys "
        "(entity_id VARCHAR(40) NOT NULL, pk TEXT NOT NULL, term TEXT NOT NULL, marking_id VARCHAR(16) NOT NULL)"
    )
    terms = [r[0] for r in bind.exec_driver_sql("SELECT term FROM search_vocab")]
    codes = [(term, code) for term in terms if (code := phonetic(term))]
    mark = "%s" if bind.dialect.name == "postgresql" else "?"
    for i in range(0, len(codes), 10_000):
        sql = f"INSERT INTO search_migrate_codes (term, code) VALUES ({mark}, {mark})"  # noqa: S608
        bind.exec_driver_sql(sql, codes[i : i + 10_000])
    op.execute(_KEYS)
    op.execute("CREATE INDEX ix_search_migrate_keys ON search_migrate_keys (entity_id, pk)")
    _replace_pairs(
        sa.Column("a_term", sa.Text(), nullable=False),
        sa.Column("b_term", sa.Text(), nullable=False),
        sa.Column("a_marking_id", sa.String(length=16), nullable=False),
        sa.Column("b_marking_id", sa.String(length=16), nullable=False),
        sa.Column("marking_id", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("schema", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        key=_COLUMNS[:7],
        fill=_PAIRS,
        sqlite_with_rowid=False,
    )
    op.execute("DROP TABLE search_migrate_keys")
    op.execute("DROP TABLE search_migrate_codes")
    if bind.dialect.name == "sqlite":
        op.execute(_SQLITE_TRIGGER)
    else:
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {_TRIGGER} ON entities")
        op.execute("DROP FUNCTION IF EXISTS clearsight_entity_visibility_changed()")
    # the pairs of 0008_search_pairs: the distinct (a, b, entity) of the wide rows
    op.execute("CREATE TEMPORARY TABLE search_migrate_narrow AS SELECT DISTINCT a, b, entity_id FROM search_pairs")
    _replace_pairs(
        key=("a", "b", "entity_id"),
        fill="INSERT INTO search_pairs (a, b, entity_id) SELECT a, b, entity_id FROM search_migrate_narrow",
    )
    op.execute("DROP TABLE search_migrate_narrow")
