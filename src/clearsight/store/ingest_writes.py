"""Store writes of an ingest run: sources, runs, and batches of entities, statements and links.

Each function takes the SQLAlchemy Connection of a governed operation, so a batch lands
in the same transaction as its audit entry: all of it or none of it.

The batch writer is the hot path. It issues one SELECT per batch for the batch's entities
that already exist, one for their statements and one for the links between them, then writes
only what is new or changed with the driver's bulk path (``executemany`` on SQLite,
``COPY`` on PostgreSQL). A re-run of an unchanged file therefore writes nothing. A value
that changed keeps its old statement as history: the old statement gets
``superseded_by`` set to the run that found the new value (and ``last_seen`` set to that
time), and the new value is inserted with its own provenance.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, insert, select, text, update

from clearsight.errors import Conflict
from clearsight.store import tables as t
from clearsight.store.writes import bulk_insert, bump_data_version, ensure_markings, insert_ignore

ENTITY_COLUMNS = (
    "id", "schema", "source", "record_key", "marking_id", "first_run", "last_run",
    "first_seen", "last_seen", "state",
)
STATEMENT_COLUMNS = (
    "id", "entity_id", "schema", "prop", "value", "original", "match_key", "source",
    "record_key", "run_id", "first_seen", "last_seen", "superseded_by", "kind", "marking_id",
)
LINK_COLUMNS = (
    "id", "schema", "source_id", "target_id", "properties", "valid_from", "valid_to",
    "source", "record_key", "run_id", "first_seen", "last_seen", "kind", "marking_id", "state",
)
# Identifiers below come from the constants above, never from input; values are bound.
_SELECT_CHUNK = 20_000
#: the field-figures row that counts record keys read and repeated
RECORD_KEY_FIELD = "(record key)"


@dataclass(frozen=True)
class RunInfo:
    """What an ingest run is: its id, source and who runs it for what purpose."""

    run_id: str
    source: str
    location: str
    mapping: str
    user: str
    purpose: str
    owner_group: str
    kind: str
    description: str = ""
    content_hash: str = ""


@dataclass
class IngestBatch:
    """One all-or-nothing batch, already transformed to store rows.

    Attributes:
        number: 1 for the first batch of a run.
        entities: id -> (id, schema, record_key, marking_id).
        statements: id -> (id, entity_id, schema, prop, value, original, match_key,
            record_key, kind, marking_id).
        links: id -> (id, schema, source_id, target_id, properties_json, valid_from,
            valid_to, record_key, kind, marking_id).
        markings: marking id -> marking row (id, classification, level, descriptors,
            caveats, groups).
        primary: the id of each row's primary entity, for counting repeated record keys.
        field_stats: field -> (schema, prop, type_name, seen, empty, invalid, dropped).
    """

    number: int
    entities: dict[str, tuple[str, str, str, str]] = field(default_factory=dict)
    statements: dict[str, tuple[str, str, str, str, str, str, str, str, str, str]] = field(default_factory=dict)
    links: dict[str, tuple[str, str, str, str, str, str | None, str | None, str, str, str]] = field(default_factory=dict)
    markings: dict[str, dict[str, Any]] = field(default_factory=dict)
    primary: list[str] = field(default_factory=list)
    field_stats: dict[str, list[Any]] = field(default_factory=dict)
    rows_read: int = 0
    rows_rejected: int = 0
    warnings: int = 0


@dataclass
class BatchResult:
    """What a batch changed in the store."""

    entities_written: int = 0
    statements_written: int = 0
    statements_superseded: int = 0
    links_written: int = 0
    duplicate_keys: int = 0
    changed_ids: list[str] = field(default_factory=list)
    superseded_runs: list[str] = field(default_factory=list)


class _Bulk:
    """The driver's fast path for one connection (sqlite3 or psycopg)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.raw: Any = conn.connection.driver_connection

    def select_in(self, columns: str, table: str, key: str, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """Rows of ``table`` whose ``key`` is one of ``ids``."""
        out: list[tuple[Any, ...]] = []
        if not ids:
            return out
        cur = self.raw.cursor()
        try:
            for i in range(0, len(ids), _SELECT_CHUNK):
                chunk = list(ids[i : i + _SELECT_CHUNK])
                if self.pg:
                    cur.execute(f"SELECT {columns} FROM {table} WHERE {key} = ANY(%s)", (chunk,))  # noqa: S608
                else:
                    cur.execute(
                        f"SELECT {columns} FROM {table} WHERE {key} IN (SELECT value FROM json_each(?))",  # noqa: S608
                        (json.dumps(chunk),),
                    )
                out.extend(tuple(r) for r in cur.fetchall())
        finally:
            cur.close()
        return out

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Insert rows known to be new."""
        bulk_insert(self.conn, table, columns, rows)

    def execute_many(self, sql_sqlite: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one parameterised statement per row (``?`` markers, rewritten for psycopg)."""
        if not rows:
            return
        cur = self.raw.cursor()
        try:
            cur.executemany(sql_sqlite.replace("?", "%s") if self.pg else sql_sqlite, rows)
        finally:
            cur.close()


def _lock_source(conn: Connection, source: str) -> None:
    """Serialise concurrent ingests of one source on PostgreSQL (ids are per source)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(source.encode()) + 7_000_000_000})


def register_source(conn: Connection, run: RunInfo, now: str) -> None:
    """Create the source row on first use; refuse a source another group owns (ACC-9).

    Raises:
        Conflict: the source exists and belongs to another group.
    """
    row = conn.execute(select(t.sources.c.owner_group).where(t.sources.c.name == run.source)).first()
    if row is None:
        conn.execute(
            insert_ignore(conn, t.sources).values(
                name=run.source, description=run.description, mapping=run.mapping,
                owner_group=run.owner_group, kind=run.kind, created_at=now, created_by=run.user,
            )
        )
        return
    owner = str(row[0] or "")
    if owner and owner != run.owner_group:
        raise Conflict(
            f"source {run.source!r} belongs to another group; ingest it with --group {owner} "
            "if you hold that group, or choose another --source name"
        )
    if not owner:
        conn.execute(update(t.sources).where(t.sources.c.name == run.source).values(owner_group=run.owner_group))


def _start_run(conn: Connection, run: RunInfo, now: str) -> None:
    conn.execute(
        insert_ignore(conn, t.ingest_runs).values(
            id=run.run_id, source=run.source, location=run.location, content_hash=run.content_hash,
            mapping=run.mapping, status="running", started_at=now, user=run.user, purpose=run.purpose,
        )
    )


def write_batch(conn: Connection, *, run: RunInfo, batch: IngestBatch, last: bool, now: str) -> BatchResult:
    """Write one transformed batch; on the last batch, mark the run complete.

    Args:
        conn: the governed operation's connection (its transaction holds the audit entry).
        run: the run being written.
        batch: the batch's rows.
        last: whether this is the run's last batch.
        now: the batch's time (ISO 8601 UTC), used as first/last seen.

    Returns:
        Counts of what was written, and the ids of changed entities and links.
    """
    result = BatchResult()
    if batch.number == 1:
        register_source(conn, run, now)
        _start_run(conn, run, now)
    _lock_source(conn, run.source)
    if batch.markings:
        ensure_markings(conn, list(batch.markings.values()))
    bulk = _Bulk(conn)
    source = run.source
    run_id = run.run_id

    # -- entities ---------------------------------------------------------------------
    existing: dict[str, str] = {
        r[0]: r[1] for r in bulk.select_in("id, first_run", "entities", "id", list(batch.entities))
    }
    new_entities = [eid for eid in batch.entities if eid not in existing]
    if new_entities:
        bulk.insert(
            "entities", ENTITY_COLUMNS,
            ((e[0], e[1], source, e[2], e[3], run_id, run_id, now, now, "active") for e in (batch.entities[i] for i in new_entities)),
        )
    result.entities_written = len(new_entities)
    # Record keys repeated inside this run: in this batch, or seen by an earlier batch.
    seen_here = len(set(batch.primary))
    result.duplicate_keys = len(batch.primary) - seen_here + sum(
        1 for pid in set(batch.primary) if existing.get(pid) == run_id
    )

    # -- statements -------------------------------------------------------------------
    new_statements = dict(batch.statements)
    supersede: list[tuple[str, str, str]] = []
    revive: list[tuple[str, str]] = []
    changed: set[str] = set(new_entities)
    if existing:
        touched = {(s[1], s[3]) for s in batch.statements.values() if s[1] in existing}
        rows = bulk.select_in("id, entity_id, prop, superseded_by, run_id", "statements", "entity_id", list(existing))
        for sid, eid, prop, superseded_by, stmt_run in rows:
            if sid in new_statements:
                del new_statements[sid]
                if superseded_by is not None:
                    revive.append((now, sid))
                    changed.add(eid)
            elif superseded_by is None and stmt_run != run_id and (eid, prop) in touched:
                supersede.append((run_id, now, sid))
                changed.add(eid)
        for sid in new_statements:
            changed.add(new_statements[sid][1])
    if new_statements:
        bulk.insert(
            "statements", STATEMENT_COLUMNS,
            (
                (s[0], s[1], s[2], s[3], s[4], s[5], s[6], source, s[7], run_id, now, now, None, s[8], s[9])
                for s in new_statements.values()
            ),
        )
    bulk.execute_many("UPDATE statements SET superseded_by = ?, last_seen = ? WHERE id = ?", supersede)
    bulk.execute_many("UPDATE statements SET superseded_by = NULL, last_seen = ? WHERE id = ?", revive)
    result.statements_written = len(new_statements) + len(revive)
    result.statements_superseded = len(supersede)
    touched_existing = [(run_id, now, eid) for eid in changed if eid in existing]
    bulk.execute_many("UPDATE entities SET last_run = ?, last_seen = ? WHERE id = ?", touched_existing)

    # -- links ------------------------------------------------------------------------
    new_links = dict(batch.links)
    link_updates: list[tuple[Any, ...]] = []
    changed_links: list[str] = []
    # A stored link joins two stored entities, so only links whose two ends existed before
    # this batch can be stored already (on a first load, none: no lookups at all).
    known = [lid for lid, lk in batch.links.items() if lk[2] in existing and lk[3] in existing]
    if known:
        for lid, props, valid_from, valid_to in bulk.select_in(
            "id, properties, valid_from, valid_to", "links", "id", known
        ):
            mine = new_links.pop(lid)
            if (props, valid_from, valid_to) != (mine[4], mine[5], mine[6]):
                link_updates.append((mine[4], mine[5], mine[6], run_id, now, lid))
                changed_links.append(lid)
    if new_links:
        bulk.insert(
            "links", LINK_COLUMNS,
            (
                (lk[0], lk[1], lk[2], lk[3], lk[4], lk[5], lk[6], source, lk[7], run_id, now, now, lk[8], lk[9], "active")
                for lk in new_links.values()
            ),
        )
    bulk.execute_many(
        "UPDATE links SET properties = ?, valid_from = ?, valid_to = ?, run_id = ?, last_seen = ? WHERE id = ?",
        link_updates,
    )
    result.links_written = len(new_links) + len(link_updates)
    result.changed_ids = sorted(changed) + list(new_links) + changed_links
    if result.changed_ids:
        bump_data_version(conn)

    # -- bookkeeping --------------------------------------------------------------------
    if batch.primary:
        # counted with the field figures: rows read with a key, and how many repeated one
        batch.field_stats[RECORD_KEY_FIELD] = ["", "", "", len(batch.primary), 0, result.duplicate_keys, 0]
    if batch.field_stats:
        conn.execute(
            insert(t.ingest_field_stats),
            [
                {
                    "run_id": run_id, "batch": batch.number, "field": name[:200], "source": source,
                    "schema": v[0], "prop": v[1], "type_name": v[2], "seen": v[3], "empty": v[4],
                    "invalid": v[5], "dropped": v[6],
                }
                for name, v in batch.field_stats.items()
            ],
        )
    r = t.ingest_runs
    values: dict[str, Any] = {
        "rows_read": r.c.rows_read + batch.rows_read,
        "rows_rejected": r.c.rows_rejected + batch.rows_rejected,
        "entities_written": r.c.entities_written + result.entities_written,
        "statements_written": r.c.statements_written + result.statements_written,
        "links_written": r.c.links_written + result.links_written,
        "batches_done": batch.number,
    }
    if last:
        values.update(status="complete", finished_at=now)
    conn.execute(update(r).where(r.c.id == run_id).values(**values))
    if last:
        # Runs of the same file that were killed part-way are completed by this one.
        stale: list[str] = list(conn.execute(
            select(r.c.id).where(
                and_(r.c.source == source, r.c.location == run.location, r.c.status == "running", r.c.id != run_id)
            )
        ).scalars())
        if stale:
            conn.execute(update(r).where(r.c.id.in_(stale)).values(status="interrupted"))
        result.superseded_runs = list(stale)
        refresh_statistics(conn)
    return result


def refresh_statistics(conn: Connection) -> None:
    """Let the query planner see the new data (a fresh table without statistics leads
    SQLite and PostgreSQL to poor plans, e.g. a scan of a low-selectivity state index)."""
    if conn.dialect.name == "sqlite":
        # a bounded sample per index keeps this quick on large stores
        conn.exec_driver_sql("PRAGMA analysis_limit=1000")
        conn.exec_driver_sql("ANALYZE")
    else:
        conn.exec_driver_sql("ANALYZE entities, statements, links")


def mark_run(conn: Connection, *, run_id: str, status: str, now: str) -> bool:
    """Set a run's status (``failed`` or ``interrupted``) if it was started; say if it was."""
    r = t.ingest_runs
    res = conn.execute(update(r).where(r.c.id == run_id).values(status=status, finished_at=now))
    return bool(res.rowcount)


def run_totals(conn: Connection, run_id: str) -> dict[str, Any] | None:
    """A run's stored counts and status (not personal data), or None."""
    r = t.ingest_runs
    row = conn.execute(select(r).where(r.c.id == run_id)).mappings().first()
    return None if row is None else dict(row)


__all__ = [
    "RECORD_KEY_FIELD",
    "BatchResult",
    "IngestBatch",
    "RunInfo",
    "mark_run",
    "register_source",
    "run_totals",
    "write_batch",
]
