"""Writes that every capability shares: markings, sources and ingest runs.

Dialect differences (insert-or-ignore) live here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table
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


__all__ = ["ensure_markings", "insert_ignore"]
