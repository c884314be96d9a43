"""Reads for ingest: rows of an external database, and the data-quality figures of a source.

The quality figures take a :class:`Visibility` like every store query that touches
personal data: a viewer's figures count only what that viewer may see (ACC-3, ACC-9).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, create_engine, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from clearsight.errors import InvalidData, Problem, StoreError
from clearsight.store import tables as t
from clearsight.store.engine import normalise_url
from clearsight.store.visibility import Visibility


def stream_query(url: str, query: str, *, batch: int = 5000) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """Run ``query`` on the database at ``url``; return its column names and a row stream.

    The rows are fetched ``batch`` at a time (a server-side cursor where the driver has
    one), so memory does not grow with the result. The connection closes when the stream
    is exhausted or discarded.

    Raises:
        StoreError: the URL is not a database URL or the database cannot be reached.
        InvalidData: the query fails.
    """
    try:
        engine = create_engine(normalise_url(url))
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StoreError(f"not a database URL for a sql source: {exc}") from None
    try:
        conn = engine.connect()
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StoreError(f"cannot reach the source database: {getattr(exc, 'orig', exc)}") from None
    try:
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(text(query))
    except SQLAlchemyError as exc:
        conn.close()
        engine.dispose()
        raise InvalidData("the source query failed", [Problem(str(getattr(exc, "orig", exc)), field="options.query")]) from None
    header = [str(k) for k in result.keys()]

    def rows() -> Iterator[tuple[Any, ...]]:
        try:
            for part in result.partitions(batch):
                for row in part:
                    yield tuple(row)
        finally:
            result.close()
            conn.close()
            engine.dispose()

    return header, rows()


@dataclass
class PropertyFigures:
    """Stored figures of one property of one schema in a source."""

    schema: str
    prop: str
    entities_with_value: int = 0
    values: int = 0
    distinct: int = 0
    minimum: str | None = None
    maximum: str | None = None


@dataclass
class SourceFigures:
    """What the viewer may see of a source: stored figures and the ingest runs' counts."""

    source: str
    owner_group: str
    kind: str
    mapping: str
    entities: dict[str, int] = field(default_factory=dict)
    properties: list[PropertyFigures] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    duplicate_keys: int = 0
    months: dict[str, dict[str, int]] = field(default_factory=dict)
    birth_dates_out_of_range: int = 0
    coordinates: int = 0
    coordinates_outside: int = 0
    coordinate_sample: list[tuple[float, float]] = field(default_factory=list)


def source_row(conn: Connection, name: str) -> dict[str, Any] | None:
    """The registered source (name, owner group, mapping, kind), or None."""
    row = conn.execute(select(t.sources).where(t.sources.c.name == name)).mappings().first()
    return None if row is None else dict(row)


def source_figures(
    conn: Connection,
    *,
    visible: Visibility,
    source: str,
    date_props: tuple[str, ...] = (),
    birth_props: tuple[str, ...] = ("birthDate",),
    today: str = "",
    in_uk: Any = None,
    sample: int = 20_000,
) -> SourceFigures:
    """Figures for the data-quality report of ``source``, counting only visible records.

    Args:
        conn: a governed operation's connection.
        visible: the viewer's visibility.
        source: the source name.
        date_props: properties whose values are dates (their monthly counts are returned).
        birth_props: properties checked for birth dates in the future or before 1900.
        today: today's date (ISO), the upper bound for birth dates.
        in_uk: a predicate (lon, lat) -> bool for the coordinate outlier check.
        sample: at most this many coordinate pairs are returned for the map chart.
    """
    src = source_row(conn, source) or {}
    out = SourceFigures(
        source=source, owner_group=str(src.get("owner_group", "")), kind=str(src.get("kind", "")),
        mapping=str(src.get("mapping", "")),
    )
    e, s = t.entities, t.statements
    marks = sorted(visible.marking_ids)
    states = sorted(visible.states)
    ent_ok = and_(e.c.source == source, e.c.marking_id.in_(marks), e.c.state.in_(states))
    for row in conn.execute(select(e.c.schema, func.count()).where(ent_ok).group_by(e.c.schema)):
        out.entities[str(row[0])] = int(row[1])
    stmt_ok = and_(
        s.c.source == source, s.c.marking_id.in_(marks), s.c.superseded_by.is_(None),
    )
    joined = s.join(e, e.c.id == s.c.entity_id)
    q = (
        select(
            s.c.schema, s.c.prop, func.count(func.distinct(s.c.entity_id)), func.count(),
            func.count(func.distinct(s.c.value)), func.min(s.c.value), func.max(s.c.value),
        )
        .select_from(joined)
        .where(ent_ok, stmt_ok)
        .group_by(s.c.schema, s.c.prop)
        .order_by(s.c.schema, s.c.prop)
    )
    for row in conn.execute(q):
        out.properties.append(PropertyFigures(str(row[0]), str(row[1]), int(row[2]), int(row[3]), int(row[4]), row[5], row[6]))
    if not out.entities:
        return out
    if date_props:
        month = func.substr(s.c.value, 1, 7)
        q2 = (
            select(s.c.prop, month, func.count())
            .select_from(joined)
            .where(ent_ok, stmt_ok, s.c.prop.in_(list(date_props)))
            .group_by(s.c.prop, month)
        )
        for row in conn.execute(q2):
            out.months.setdefault(str(row[0]), {})[str(row[1])] = int(row[2])
    if birth_props:
        q3 = (
            select(func.count())
            .select_from(joined)
            .where(ent_ok, stmt_ok, s.c.prop.in_(list(birth_props)))
            .where((s.c.value < "1900") | (s.c.value > today))
        )
        out.birth_dates_out_of_range = int(conn.execute(q3).scalar_one())
    # Coordinates are paired per entity in one ordered pass, so memory stays flat.
    q4 = (
        select(s.c.entity_id, s.c.prop, s.c.value)
        .select_from(joined)
        .where(ent_ok, stmt_ok, s.c.prop.in_(["latitude", "longitude"]))
        .order_by(s.c.entity_id)
        .execution_options(yield_per=10_000)
    )
    current: str | None = None
    pair: dict[str, str] = {}
    stride = 1

    def flush() -> None:
        nonlocal stride
        if "latitude" not in pair or "longitude" not in pair:
            return
        try:
            lon, lat = float(pair["longitude"]), float(pair["latitude"])
        except ValueError:
            return
        out.coordinates += 1
        if in_uk is not None and not in_uk(lon, lat):
            out.coordinates_outside += 1
        if out.coordinates % stride == 0:
            out.coordinate_sample.append((lon, lat))
            if len(out.coordinate_sample) >= sample:
                out.coordinate_sample = out.coordinate_sample[::2]
                stride *= 2

    for row in conn.execute(q4):
        if row[0] != current:
            flush()
            current, pair = str(row[0]), {}
        pair[str(row[1])] = str(row[2])
    flush()
    r = t.ingest_runs
    for run_row in conn.execute(select(r).where(r.c.source == source).order_by(r.c.started_at)).mappings():
        out.runs.append(dict(run_row))
    # The counts of the newest complete run of each file (re-runs of a file repeat them).
    latest: dict[str, str] = {}
    for run in out.runs:
        if run["status"] == "complete":
            latest[str(run["location"])] = str(run["id"])
    f = t.ingest_field_stats
    q5 = (
        select(
            f.c.run_id, f.c.field, f.c.schema, f.c.prop, f.c.type_name, func.sum(f.c.seen),
            func.sum(f.c.empty), func.sum(f.c.invalid), func.sum(f.c.dropped),
        )
        .where(f.c.source == source, f.c.run_id.in_(sorted(latest.values())))
        .group_by(f.c.run_id, f.c.field, f.c.schema, f.c.prop, f.c.type_name)
    )
    merged: dict[str, dict[str, Any]] = {}
    for row in conn.execute(q5):
        name = str(row[1])
        if name == "(record key)":
            out.duplicate_keys += int(row[7] or 0)
            continue
        counts = merged.setdefault(
            name, {"field": name, "schema": row[2], "prop": row[3], "type_name": row[4], "seen": 0, "empty": 0, "invalid": 0, "dropped": 0}
        )
        for k, v in zip(("seen", "empty", "invalid", "dropped"), row[5:9], strict=True):
            counts[k] += int(v or 0)
    out.fields = [merged[k] for k in sorted(merged)]
    return out


__all__ = ["PropertyFigures", "SourceFigures", "source_figures", "source_row", "stream_query"]
