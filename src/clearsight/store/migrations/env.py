"""Alembic environment: migrations run on a connection handed over by Store.migrate()."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from clearsight.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn: Connection) -> None:
    context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # the alembic command line, with sqlalchemy.url set in its ini
    url = config.get_main_option("sqlalchemy.url") or "sqlite://"
    with create_engine(url).begin() as conn:
        _run(conn)
