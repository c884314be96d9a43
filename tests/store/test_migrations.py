"""The migrations build exactly the tables the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clearsight.store import Store
from clearsight.store.tables import metadata


def test_migrations_match_the_declared_tables(store: Store) -> None:
    with store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # FTS virtual tables and their shadow tables are created by raw SQL and are not declared
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name.startswith(("search_fts", "search_text")))]
    assert diff == []


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = Store(f"sqlite:///{tmp_path / 'x.db'}")
    s.migrate()
    with s.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    s.dispose()


def test_migrating_twice_changes_nothing(store: Store) -> None:
    store.migrate()
    with store.connect() as conn:
        n = conn.exec_driver_sql("SELECT count(*) FROM audit_log").scalar()
    assert n == 0
