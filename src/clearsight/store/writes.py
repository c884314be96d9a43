"""Writes that every capability shares: markings, sources and ingest runs.

Dialect differences (insert-or-ignore) live here and nowhere else.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
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


__all__ = ["DATA_VERSION", "bump_data_version", "ensure_markings", "insert_ignore"]
