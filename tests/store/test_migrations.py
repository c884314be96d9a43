"""The migrations build exactly the tables the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clearsight.store import Store
from clearsight.store.tables import metadata


def test_migrations_match_the_declared_tables(store: Store) -> None:
    with store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    # The free-text index is backend-specific (an FTS5 virtual table on SQLite, a tsvector
    # table with GIN indexes on PostgreSQL), created by raw SQL in its migration and reached
    # only through store/search_index.py, so it is not declared as a Table.
    def backend_specific(d: tuple[object, ...]) -> bool:
        obj = d[1]
        name = getattr(obj, "name", "") or ""
        table = getattr(getattr(obj, "table", None), "name", "") or ""
        return name.startswith("search_text") or table.startswith("search_text") or name == "ix_search_vocab_trgm"

    diff = [d for d in diff if not backend_specific(d)]
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


def test_migrations_have_one_head() -> None:
    """Branches of migrations are joined by a merge revision, so every store ends alike."""
    from importlib import resources

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("clearsight.store") / "migrations"))
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1
