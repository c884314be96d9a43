"""A marking change moves the data version; re-marked statements are queued for the search index.

Cached graphs and the search index are reused while the data version stands still. Every
writer bumps it, but a protective marking changed in place (a record re-marked above a
viewer, by any writer or by hand) must never leave a stale graph or index behind, so
triggers on ``entities``, ``statements`` and ``links`` bump the version (and a separate
marking version, so that no reader takes the change for new rows to merge) whenever a
``marking_id`` changes, and queue the entity of a re-marked statement in ``search_pending``
(its index rows copy the statement's marking and are re-derived on the next search).

Revision ID: 0006_marking_version
Revises: 0005_merge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_marking_version"
down_revision = "0005_merge"
branch_labels = None
depends_on = None

TABLES = ("entities", "statements", "links")

# "WHERE true" lets SQLite read the ON CONFLICT clause after a SELECT
_SQLITE_BUMP = (
    "INSERT INTO search_state (name, value) "
    "SELECT v.name, strftime('%Y%m%dT%H%M%f', 'now') || '-' || lower(hex(randomblob(6))) "
    "FROM (SELECT 'data_version' AS name UNION ALL SELECT 'marking_version') AS v WHERE true "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value;"
)

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION clearsight_marking_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_state (name, value)
    SELECT name, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS.US')
                 || '-' || substr(md5(random()::text), 1, 12)
    FROM (VALUES ('data_version'), ('marking_version')) AS v(name)
    ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value;
    IF TG_TABLE_NAME = 'statements' THEN
        INSERT INTO search_pending (entity_id) VALUES (NEW.entity_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "search_pending",
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_search_pending")),
    )
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            queue = (
                "INSERT INTO search_pending (entity_id) VALUES (NEW.entity_id) ON CONFLICT DO NOTHING;"
                if table == "statements"
                else ""
            )
            op.execute(
                f"CREATE TRIGGER trg_{table}_marking AFTER UPDATE OF marking_id ON {table} "
                f"WHEN OLD.marking_id IS NOT NEW.marking_id BEGIN {_SQLITE_BUMP} {queue} END"
            )
        return
    op.execute(_PG_FUNCTION)
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER trg_{table}_marking AFTER UPDATE OF marking_id ON {table} FOR EACH ROW "
            "WHEN (OLD.marking_id IS DISTINCT FROM NEW.marking_id) EXECUTE FUNCTION clearsight_marking_changed()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_marking" + ("" if op.get_bind().dialect.name == "sqlite" else f" ON {table}"))
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS clearsight_marking_changed()")
    op.drop_table("search_pending")
