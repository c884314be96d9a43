"""Persistence: tables, the engine, migrations and the queries that read stored records."""

from clearsight.store.engine import Store, normalise_url
from clearsight.store.ids import entity_id, link_id, make_id, statement_id
from clearsight.store.visibility import Visibility

__all__ = ["Store", "Visibility", "entity_id", "link_id", "make_id", "normalise_url", "statement_id"]
