"""Writes that every capability shares: markings, sources and ingest runs.

Dialect differences (insert-or-ignore, the driver's bulk insert) live here and nowhere else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from clearsight.store import tables as t


def insert_ignore(conn: Connection, table: Table) -> Insert:
    """INSERT that skips rows whose primary key already exists, on SQLite and PostgreSQL."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def ensure_markings(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store marking rows (id, classification, level, descriptors, caveats, groups) once each."""
    if rows:
        conn.execute(insert_ignore(conn, t.markings), [dict(r) for r in rows])


def bulk_insert(conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert rows known to be new with the driver's fast path: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

    ``table`` and ``columns`` are the caller's constants, never input; values are bound.
    Tuples straight to the driver cost a fraction of SQLAlchemy's per-row parameter
    dictionaries on large writes (hundreds of thousands of pairs or cluster rows).
    """
    cols = ", ".join(f'"{c}"' for c in columns)
    cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608 - caller's constants
    finally:
        cur.close()


#: the ``search_state`` row holding the data version (see :func:`bump_data_version`)
DATA_VERSION = "data_version"


def bump_data_version(conn: Connection) -> str:
    """Mark the stored data as changed, in the writer's transaction; return the new version.

    Every writer of entities, statements, links, clusters or record states calls this, so
    readers (the search index, cached graphs) can tell with one primary-key read whether
    anything moved. The version is time-ordered and unique, so a recreated database never
    repeats an old one.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
    version = f"{stamp}-{uuid.uuid4().hex[:12]}"
    conn.execute(insert_ignore(conn, t.search_state).values(name=DATA_VERSION, value=version))
    conn.execute(update(t.search_state).where(t.search_state.c.name == DATA_VERSION).values(value=version))
    return version


__all__ = ["DATA_VERSION", "bulk_insert", "bump_data_version", "ensure_markings", "insert_ignore"]
