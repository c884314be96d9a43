"""Reads of stored records. Every function here takes a :class:`Visibility` and returns
only what it allows; callers reach them through a governed operation, which audits.

Values are returned as plain dataclasses so the layers above need no SQLAlchemy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, NamedTuple

from sqlalchemy import ARRAY, Connection, String, and_, any_, bindparam, func, or_, select

from clearsight.store import tables as t
from clearsight.store.visibility import Visibility

_CHUNK = 2000


class EntityRecord(NamedTuple):
    """A visible source entity (no property values)."""

    id: str
    schema: str
    source: str
    record_key: str
    marking_id: str
    first_seen: str
    last_seen: str


class StatementRecord(NamedTuple):
    """A visible property value with its provenance; ``current`` is False for history.

    Records are named tuples: reads return thousands of them, and a tuple is built in C.
    """

    id: str
    entity_id: str
    schema: str
    prop: str
    value: str
    original: str
    source: str
    record_key: str
    run_id: str
    first_seen: str
    last_seen: str
    kind: str
    marking_id: str
    current: bool


@dataclass(frozen=True)
class LinkRecord:
    id: str
    schema: str
    source_id: str
    target_id: str
    properties: dict[str, Any] = field(hash=False)
    valid_from: str | None
    valid_to: str | None
    source: str
    record_key: str
    kind: str
    marking_id: str


def _t(row: Any) -> Any:
    """A result row as a plain tuple (typed loosely for unpacking into records)."""
    return tuple(row)


def _fetch_plain(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """All rows as the driver's plain tuples (these reads are text columns; wrapping each
    row in a SQLAlchemy Row costs more than the query on large reads)."""
    result = conn.execute(query)
    try:
        return list(result.cursor.fetchall()) if result.cursor is not None else []
    finally:
        result.close()


def _statement(row: Any) -> StatementRecord:
    return StatementRecord._make((*row[:13], bool(row[13])))


_CURRENT = (True,)


def _current_statements(rows: list[tuple[Any, ...]]) -> Iterable[StatementRecord]:
    """Records of current values: each row with ``current=True``, built in C (no Python call per row)."""
    return map(tuple.__new__, repeat(StatementRecord), map(tuple.__add__, rows, repeat(_CURRENT)))


def _bytewise(conn: Connection, *columns: Any) -> list[Any]:
    """Sort keys in code-point order on every backend.

    SQLite compares text bytewise; PostgreSQL sorts by the database's collation, which
    even for C.UTF-8 goes through the C library's collation and costs most of a large
    governed read. The "C" collation gives SQLite's order at memcmp speed.
    """
    if conn.dialect.name == "postgresql":
        return [c.collate("C") for c in columns]
    return list(columns)


def _among(conn: Connection, column: Any, values: Sequence[str]) -> Any:
    """``column IN values`` with one parameter however many values (``= ANY(array)`` on PostgreSQL).

    A thousand-value IN list costs the driver and the server a thousand bound parameters (and
    casts) on every read; one array parameter keeps the statement short and preparable.
    """
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam("among", list(values), type_=ARRAY(String)))
    # likewise one parameter on SQLite, a JSON array read by json_each: the statement is
    # compiled once and cached, not rebuilt around a thousand literals on every read
    among = func.json_each(bindparam("among", json.dumps(list(values)))).table_valued("value")
    return column.in_(select(among.c.value))


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _entity_visible(visible: Visibility) -> Any:
    return and_(
        t.entities.c.marking_id.in_(sorted(visible.marking_ids)),
        t.entities.c.state.in_(sorted(visible.states)),
    )


def entities(
    conn: Connection,
    *,
    visible: Visibility,
    ids: Sequence[str] | None = None,
    schema: str | Sequence[str] | None = None,
    source: str | None = None,
    limit: int | None = None,
) -> list[EntityRecord]:
    """Visible source entities, optionally by id, schema or source."""
    cols = [
        t.entities.c.id,
        t.entities.c.schema,
        t.entities.c.source,
        t.entities.c.record_key,
        t.entities.c.marking_id,
        t.entities.c.first_seen,
        t.entities.c.last_seen,
    ]
    base = select(*cols).where(_entity_visible(visible))
    if schema is not None:
        names = [schema] if isinstance(schema, str) else list(schema)
        base = base.where(t.entities.c.schema.in_(names))
    if source is not None:
        base = base.where(t.entities.c.source == source)
    out: list[EntityRecord] = []
    if ids is None:
        q = base.order_by(t.entities.c.id)
        if limit is not None:
            q = q.limit(limit)
        out = [EntityRecord(*_t(row)) for row in conn.execute(q)]
    else:
        for chunk in _chunks(list(dict.fromkeys(ids))):
            out.extend(EntityRecord(*_t(row)) for row in conn.execute(base.where(t.entities.c.id.in_(chunk))))
        order = {i: n for n, i in enumerate(ids)}
        out.sort(key=lambda e: order.get(e.id, 0))
        if limit is not None:
            out = out[:limit]
    return out


def count_entities(
    conn: Connection, *, visible: Visibility, schema: str | None = None, source: str | None = None
) -> int:
    """How many visible entities there are (hidden ones never counted, ACC-3)."""
    q = select(func.count()).select_from(t.entities).where(_entity_visible(visible))
    if schema is not None:
        q = q.where(t.entities.c.schema == schema)
    if source is not None:
        q = q.where(t.entities.c.source == source)
    return int(conn.execute(q).scalar_one())


def statements(
    conn: Connection,
    *,
    visible: Visibility,
    entity_ids: Sequence[str],
    props: Sequence[str] | None = None,
    include_history: bool = False,
) -> list[StatementRecord]:
    """Visible property values of visible entities, with provenance."""
    s = t.statements
    cols: list[Any] = [
        s.c.id,
        s.c.entity_id,
        s.c.schema,
        s.c.prop,
        s.c.value,
        s.c.original,
        s.c.source,
        s.c.record_key,
        s.c.run_id,
        s.c.first_seen,
        s.c.last_seen,
        s.c.kind,
        s.c.marking_id,
    ]
    if include_history:
        cols.append(s.c.superseded_by.is_(None))
    base = (
        select(*cols)
        .join(t.entities, t.entities.c.id == s.c.entity_id)
        .where(_entity_visible(visible))
        .where(s.c.marking_id.in_(sorted(visible.marking_ids)))
    )
    if props is not None:
        base = base.where(s.c.prop.in_(list(props)))
    if not include_history:
        base = base.where(s.c.superseded_by.is_(None))
    out: list[StatementRecord] = []
    for chunk in _chunks(list(dict.fromkeys(entity_ids))):
        q = base.where(_among(conn, s.c.entity_id, chunk)).order_by(
            *_bytewise(conn, s.c.entity_id, s.c.prop, s.c.first_seen, s.c.value)
        )
        rows = _fetch_plain(conn, q)
        # without history every row is current, so records are built straight from the rows
        out.extend(map(_statement, rows) if include_history else _current_statements(rows))
    return out


def links(
    conn: Connection,
    *,
    visible: Visibility,
    entity_ids: Sequence[str] | None = None,
    schema: str | Sequence[str] | None = None,
    limit: int | None = None,
) -> list[LinkRecord]:
    """Visible links whose both ends are visible, touching the given entities if any."""
    lk = t.links
    src = t.entities.alias("src")
    dst = t.entities.alias("dst")
    marks = sorted(visible.marking_ids)
    states = sorted(visible.states)
    base = (
        select(
            lk.c.id,
            lk.c.schema,
            lk.c.source_id,
            lk.c.target_id,
            lk.c.properties,
            lk.c.valid_from,
            lk.c.valid_to,
            lk.c.source,
            lk.c.record_key,
            lk.c.kind,
            lk.c.marking_id,
        )
        .join(src, src.c.id == lk.c.source_id)
        .join(dst, dst.c.id == lk.c.target_id)
        .where(lk.c.marking_id.in_(marks), lk.c.state.in_(states))
        .where(src.c.marking_id.in_(marks), src.c.state.in_(states))
        .where(dst.c.marking_id.in_(marks), dst.c.state.in_(states))
    )
    if schema is not None:
        names = [schema] if isinstance(schema, str) else list(schema)
        base = base.where(lk.c.schema.in_(names))

    def make(row: Any) -> LinkRecord:
        return LinkRecord(
            id=row[0],
            schema=row[1],
            source_id=row[2],
            target_id=row[3],
            properties=json.loads(row[4] or "{}"),
            valid_from=row[5],
            valid_to=row[6],
            source=row[7],
            record_key=row[8],
            kind=row[9],
            marking_id=row[10],
        )

    if entity_ids is None:
        q = base.order_by(lk.c.id)
        if limit is not None:
            q = q.limit(limit)
        return [make(r) for r in conn.execute(q)]
    seen: dict[str, LinkRecord] = {}
    for chunk in _chunks(list(dict.fromkeys(entity_ids))):
        q = base.where(or_(lk.c.source_id.in_(chunk), lk.c.target_id.in_(chunk)))
        for r in conn.execute(q):
            seen.setdefault(r[0], make(r))
    out = sorted(seen.values(), key=lambda x: x.id)
    return out[:limit] if limit is not None else out


def property_frame_rows(
    conn: Connection,
    *,
    visible: Visibility,
    schema: str | Sequence[str],
    props: Sequence[str],
) -> list[tuple[str, str, str, str, str]]:
    """(entity id, schema, marking id, prop, value) of current visible values, for analytics."""
    s = t.statements
    names = [schema] if isinstance(schema, str) else list(schema)
    q = (
        select(s.c.entity_id, t.entities.c.schema, t.entities.c.marking_id, s.c.prop, s.c.value)
        .join(t.entities, t.entities.c.id == s.c.entity_id)
        .where(_entity_visible(visible))
        .where(t.entities.c.schema.in_(names))
        .where(s.c.marking_id.in_(sorted(visible.marking_ids)))
        .where(s.c.prop.in_(list(props)))
        .where(s.c.superseded_by.is_(None))
        .order_by(s.c.entity_id, s.c.prop, s.c.value)
    )
    return [(r[0], r[1], r[2], r[3], r[4]) for r in conn.execute(q)]


__all__ = [
    "EntityRecord",
    "LinkRecord",
    "StatementRecord",
    "count_entities",
    "entities",
    "links",
    "property_frame_rows",
    "statements",
]
