"""Shared fixtures: real stores on SQLite and PostgreSQL, workspaces, contexts.

The ``store`` fixture runs each test on both databases. PostgreSQL is the server at
``CLEARSIGHT_TEST_PG_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``);
each test gets a fresh database cloned from a migrated template. When ``CI=true`` an
unreachable server fails the run; elsewhere those tests are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clearsight.bootstrap import Workspace, init_workspace
from clearsight.settings import load_settings
from clearsight.store.engine import Store

PG_URL = os.environ.get("CLEARSIGHT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CLEARSIGHT_SHARED_DATA", REPO.parent / "shared" / "data"))

# Property tests judge correctness, not speed: no per-example deadline on a shared machine.
settings.register_profile("clearsight", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("clearsight")

_template: dict[str, str] = {}


def _admin_url() -> str:
    return make_url(PG_URL).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _pg_template() -> str:
    """Create (once per session) a migrated template database; return its name."""
    if "name" in _template:
        return _template["name"]
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}")
    name = f"cs_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)
    s = Store(url)
    s.migrate()
    s.dispose()
    admin.dispose()
    _template["name"] = name
    return name


def _drop_db(name: str) -> None:
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _drop_template() -> Iterator[None]:
    yield
    if "name" in _template:
        _drop_db(_template["name"])


def fresh_pg_url() -> Iterator[str]:
    template = _pg_template()
    name = f"cs_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    try:
        yield make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_db(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'clearsight.db'}"
    else:
        yield from fresh_pg_url()


@pytest.fixture
def workspace(db_url: str, tmp_path: Path) -> Iterator[Workspace]:
    """An initialised workspace on each backend, with the first user 'analyst1' (all roles)."""
    settings = load_settings(environ={}, workspace=tmp_path / "ws", db_url=db_url, user="analyst1")
    ws = init_workspace(settings)
    yield ws
    ws.close()


@pytest.fixture
def sqlite_workspace(tmp_path: Path) -> Iterator[Workspace]:
    """An initialised workspace on SQLite only, for tests where the backend does not matter."""
    settings = load_settings(environ={}, workspace=tmp_path / "ws", user="analyst1")
    ws = init_workspace(settings)
    yield ws
    ws.close()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.migrate()
    yield s
    s.dispose()
