"""Deterministic identifiers: the same source record always gets the same id."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

_SEP = "\x1f"


def make_id(*parts: str) -> str:
    """A 40-character hex id from its parts (SHA-1 of the parts joined by a unit separator)."""
    return hashlib.sha1(_SEP.join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


def id_maker(*fixed: str) -> Callable[..., str]:
    """:func:`make_id` with its leading parts fixed, for loops over many ids.

    ``id_maker("e", source, schema)(key) == entity_id(source, schema, key)``.
    """
    head = _SEP.join(fixed) + _SEP

    def make(*rest: str) -> str:
        return hashlib.sha1((head + _SEP.join(rest)).encode("utf-8"), usedforsecurity=False).hexdigest()

    return make


def entity_id(source: str, schema: str, record_key: str) -> str:
    return make_id("e", source, schema, record_key)


def statement_id(entity: str, prop: str, value: str) -> str:
    return make_id("s", entity, prop, value)


def link_id(source: str, schema: str, source_entity: str, target_entity: str, record_key: str) -> str:
    return make_id("l", source, schema, source_entity, target_entity, record_key)
