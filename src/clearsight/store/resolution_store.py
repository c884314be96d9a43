"""Store reads and writes for entity resolution; capabilities reach them through a governed operation.

Reads of records take the viewer's :class:`Visibility` (they return personal data or facts
about it); writes take a connection in the operation's transaction. Dialect differences do
not arise here: everything is portable SQLAlchemy Core.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.json as pa_json
from sqlalchemy import (
    Connection,
    LargeBinary,
    and_,
    case,
    cast,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)

from clearsight.store import tables as t
from clearsight.store.visibility import Visibility
from clearsight.store.writes import bulk_insert, bump_data_version

_CHUNK = 500


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _visible_entity(visible: Visibility) -> Any:
    return and_(t.entities.c.marking_id.in_(sorted(visible.marking_ids)), t.entities.c.state.in_(sorted(visible.states)))


def _visible_ids(visible: Visibility, schema: str) -> Any:
    return select(t.entities.c.id).where(t.entities.c.schema == schema, _visible_entity(visible))


@dataclass(frozen=True)
class FrameRows:
    """Records of one schema pivoted to one row each: id, source, record key, changed flag, fields.

    The rows are an Arrow table (a million records are a few hundred megabytes of columns,
    not a million Python tuples); :attr:`rows` gives them as tuples for small reads.
    """

    table: pa.Table

    @property
    def columns(self) -> list[str]:
        return list(self.table.column_names)

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        return list(zip(*(c.to_pylist() for c in self.table.columns), strict=True))


@dataclass(frozen=True)
class PairRecord:
    id: str
    schema: str
    left_id: str
    right_id: str
    match_weight: float
    match_probability: float
    explanation: dict[str, Any]
    model_version: str
    status: str
    created_at: str


@dataclass(frozen=True)
class JudgementRecord:
    id: int
    schema: str
    left_id: str
    right_id: str
    judgement: str
    user: str
    reason: str
    score: float | None
    model_version: str | None
    created_at: str
    deleted_at: str | None
    deleted_by: str | None


@dataclass(frozen=True)
class ModelRecord:
    version: str
    schema: str
    created_at: str
    created_by: str
    settings: dict[str, Any]
    model: dict[str, Any]
    metrics: dict[str, Any]
    active: bool


@dataclass(frozen=True)
class ClusterRow:
    entity_id: str
    canonical_id: str
    method: str
    score: float | None
    model_version: str | None


# -- reads ---------------------------------------------------------------------------------


#: rows per page of a table read into Arrow (bounds the text and objects alive at once)
_PAGE = 250_000


def _arrow(conn: Connection, query: Any, names: Sequence[str]) -> pa.Table:
    """A (small) query's rows as an Arrow table of strings, through the driver cursor."""
    rows = _fetch_all(conn, query)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table([pa.array(c, type=pa.string()) for c in columns], names=list(names))


def _fetch_all(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    result = conn.execute(query)
    try:
        return list(result.cursor.fetchall()) if result.cursor is not None else []
    finally:
        result.close()


def _scan(conn: Connection, table: Any, columns: Mapping[str, Any], *where: Any) -> pa.Table:
    """Text columns of one table's rows as Arrow, without a Python object per value.

    Reading a million records' values row by row through the driver costs more than the
    query: PostgreSQL sends them with ``COPY ... TO STDOUT`` as CSV, SQLite writes each page
    of rows as JSON lines in one string (keyset pages on its rowid); Arrow parses both in C.
    """
    names = list(columns)
    schema = pa.schema([(n, pa.string()) for n in names])
    if conn.dialect.name == "postgresql":
        query = select(*(c.label(n) for n, c in columns.items())).select_from(table).where(*where)
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        data = io.BytesIO()
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
                for block in copy:
                    data.write(block)
        finally:
            cur.close()
        if not data.tell():
            return schema.empty_table()
        data.seek(0)
        return pa_csv.read_csv(
            data,
            read_options=pa_csv.ReadOptions(column_names=names),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=True,
                quoted_strings_can_be_null=False, null_values=[""],
            ),
        )
    rowid: Any = literal_column(f"{table.name}.rowid")
    keys = [f"c{i}" for i in range(len(names))]
    parts = []
    last = -1
    while True:
        page = (
            select(rowid.label("k"), *(c.label(k) for k, c in zip(keys, columns.values(), strict=True)))
            .select_from(table).where(*where, rowid > last).order_by(rowid).limit(_PAGE).subquery()
        )
        pairs = [x for k in keys for x in (literal(k), page.c[k])]
        # as a BLOB the page's text reaches Arrow as the bytes SQLite built, not decoded and re-encoded
        row: Any = conn.execute(
            select(func.max(page.c.k), func.count(), cast(func.group_concat(func.json_object(*pairs), "\n"), LargeBinary))
        ).one()
        top, count, text = row
        if not count:
            break
        parts.append(pa_json.read_json(
            io.BytesIO(text),
            parse_options=pa_json.ParseOptions(explicit_schema=pa.schema([(k, pa.string()) for k in keys])),
        ).rename_columns(names))
        if int(count) < _PAGE:
            break
        last = int(top)
    return pa.concat_tables(parts) if parts else schema.empty_table()


def record_frame(
    conn: Connection,
    *,
    visible: Visibility,
    schema: str,
    fields: Mapping[str, str],
    since: str | None = None,
    exclude_e_graded: bool = True,
) -> FrameRows:
    """Visible records of a schema, one row each, with one current match key per field.

    The store answers three set queries that each read a table once (the visible entities
    of the schema, their current visible values of the fields' properties, and the records
    E-graded intelligence mentions); DuckDB joins and pivots them in process. A field with
    several current values takes the greatest match key in code-point order on every
    backend.

    Args:
        conn: the operation's connection.
        visible: what the viewer may see (entities and statements alike).
        schema: the schema to read.
        fields: frame column -> property.
        since: mark records first or last seen after this time as changed.
        exclude_e_graded: leave out records mentioned by an intelligence report graded E for
            intelligence assessment (INT-3: E-graded intelligence does not feed scoring).

    Returns:
        Columns ``unique_id, source, record_key, changed`` then the fields, and the rows.
    """
    s, e, lk = t.statements, t.entities, t.links
    changed = case((e.c.last_seen > since, "1"), else_="0") if since else literal("1")
    records = _scan(
        conn, e, {"unique_id": e.c.id, "source": e.c.source, "record_key": e.c.record_key, "changed": changed},
        e.c.schema == schema, _visible_entity(visible),
    )
    # a statement carries its entity's schema (entity ids are made from it), so the values
    # are one scan of the statements, joined to the visible entities below
    values = _scan(
        conn, s, {"entity_id": s.c.entity_id, "prop": s.c.prop, "match_key": s.c.match_key},
        s.c.schema == schema,
        s.c.superseded_by.is_(None),
        s.c.marking_id.in_(sorted(visible.marking_ids)),
        s.c.prop.in_(sorted(set(fields.values()))),
    )
    graded = _arrow(conn, _e_graded_targets() if exclude_e_graded else select(lk.c.target_id).where(false()), ["entity_id"])
    pivot = "".join(
        f", max(match_key) FILTER (WHERE prop = {_duck_str(prop)}) AS {_duck_ident(col)}" for col, prop in fields.items()
    )
    picked = "".join(f", p.{_duck_ident(col)}" for col in fields)
    with duckdb.connect(":memory:") as duck:
        duck.register("records", records)
        duck.register("vals", values)
        duck.register("graded", graded)
        table = duck.sql(
            f"WITH p AS (SELECT entity_id{pivot} FROM vals GROUP BY entity_id) "  # noqa: S608 - column names and properties are the spec's, quoted
            f"SELECT r.unique_id, r.source, r.record_key, r.changed = '1' AS changed{picked} "
            "FROM records r LEFT JOIN p ON p.entity_id = r.unique_id "
            "ANTI JOIN graded g ON g.entity_id = r.unique_id ORDER BY r.unique_id"
        ).to_arrow_table()
    return FrameRows(table=table)


def _duck_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _duck_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def identifier_values(
    conn: Connection, *, visible: Visibility, entity_ids: Sequence[str], fields: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """entity id -> {frame column: match key} of the given identifier fields."""
    s = t.statements
    by_prop = {prop: col for col, prop in fields.items()}
    out: dict[str, dict[str, str]] = {}
    for chunk in _chunks(list(dict.fromkeys(entity_ids))):
        q = (
            select(s.c.entity_id, s.c.prop, s.c.match_key)
            .join(t.entities, t.entities.c.id == s.c.entity_id)
            .where(_visible_entity(visible), s.c.marking_id.in_(sorted(visible.marking_ids)))
            .where(s.c.entity_id.in_(chunk), s.c.prop.in_(sorted(by_prop)), s.c.superseded_by.is_(None))
            .order_by(s.c.entity_id, s.c.prop, s.c.match_key)
        )
        for entity, prop, key in conn.execute(q):
            out.setdefault(str(entity), {}).setdefault(by_prop[str(prop)], str(key))
    return out


def value_counts(
    conn: Connection, *, visible: Visibility, schema: str, prop: str, values: Sequence[str]
) -> tuple[int, dict[str, int]]:
    """How many visible records of a schema carry a current value of ``prop``, and how many carry each of ``values``.

    Records an E-graded intelligence report mentions are left out, as from :func:`record_frame`.
    """
    s = t.statements
    records = func.count(func.distinct(s.c.entity_id))
    current = (
        t.entities.c.schema == schema, _visible_entity(visible), s.c.marking_id.in_(sorted(visible.marking_ids)),
        s.c.prop == prop, s.c.superseded_by.is_(None), _not_e_graded(),
    )
    join = s.join(t.entities, t.entities.c.id == s.c.entity_id)
    total = int(conn.execute(select(records).select_from(join).where(*current)).scalar_one())
    counts: dict[str, int] = {}
    for chunk in _chunks(sorted(set(values))):
        q = select(s.c.match_key, records).select_from(join).where(*current, s.c.match_key.in_(chunk)).group_by(s.c.match_key)
        for row in conn.execute(q):
            counts[str(row[0])] = int(row[1])
    return total, counts


def _not_e_graded() -> Any:
    """Entities no intelligence report graded E mentions (INT-3: E-graded intelligence does not feed scoring)."""
    lk = t.links
    grade = t.statements.alias("grade")
    return ~exists(
        select(lk.c.id)
        .join(grade, grade.c.entity_id == lk.c.source_id)
        .where(
            lk.c.target_id == t.entities.c.id,
            lk.c.schema == "Mention",
            grade.c.prop == "intelligenceAssessment",
            grade.c.value == "E",
            grade.c.superseded_by.is_(None),
        )
    )


def _e_graded_targets() -> Any:
    """Ids of the records an intelligence report graded E mentions (the complement of :func:`_not_e_graded`)."""
    lk = t.links
    grade = t.statements.alias("grade")
    return (
        select(lk.c.target_id)
        .join(grade, grade.c.entity_id == lk.c.source_id)
        .where(
            lk.c.schema == "Mention",
            grade.c.prop == "intelligenceAssessment",
            grade.c.value == "E",
            grade.c.superseded_by.is_(None),
        )
        .distinct()
    )


def _cluster_row(r: Any) -> ClusterRow:
    return ClusterRow(str(r[0]), str(r[1]), str(r[2]), None if r[3] is None else float(r[3]), r[4])


def clusters(
    conn: Connection, *, visible: Visibility, schema: str, entity_ids: Sequence[str] | None = None
) -> dict[str, ClusterRow]:
    """Cluster rows of visible entities (all of a schema, or the given ids)."""
    c = t.clusters
    base = select(c.c.entity_id, c.c.canonical_id, c.c.method, c.c.score, c.c.model_version).join(
        t.entities, t.entities.c.id == c.c.entity_id
    ).where(c.c.schema == schema, _visible_entity(visible))
    out: dict[str, ClusterRow] = {}
    if entity_ids is None:
        for r in conn.execute(base):
            out[r[0]] = _cluster_row(r)
        return out
    for chunk in _chunks(list(dict.fromkeys(entity_ids))):
        for r in conn.execute(base.where(c.c.entity_id.in_(chunk))):
            out[r[0]] = _cluster_row(r)
    return out


def cluster_members(conn: Connection, *, visible: Visibility, canonical_ids: Sequence[str]) -> dict[str, ClusterRow]:
    """Every visible member of the given clusters."""
    c = t.clusters
    out: dict[str, ClusterRow] = {}
    for chunk in _chunks(list(dict.fromkeys(canonical_ids))):
        q = (
            select(c.c.entity_id, c.c.canonical_id, c.c.method, c.c.score, c.c.model_version)
            .join(t.entities, t.entities.c.id == c.c.entity_id)
            .where(c.c.canonical_id.in_(chunk), _visible_entity(visible))
        )
        for r in conn.execute(q):
            out[r[0]] = _cluster_row(r)
    return out


def edges(conn: Connection, *, visible: Visibility, schema: str, entity_ids: Sequence[str] | None = None) -> list[tuple[str, str, float, str, str]]:
    """(left id, right id, probability, status, model version) of merge and blocked pairs, light enough for clustering."""
    mp = t.match_pairs
    q = select(mp.c.left_id, mp.c.right_id, mp.c.match_probability, mp.c.status, mp.c.model_version).where(
        mp.c.schema == schema, mp.c.status.in_(["merge", "blocked"])
    )
    if entity_ids is None:
        vis = _visible_ids(visible, schema)
        q = q.where(mp.c.left_id.in_(vis), mp.c.right_id.in_(vis))
        return [(r[0], r[1], float(r[2]), r[3], r[4]) for r in conn.execute(q)]
    seen: dict[tuple[str, str], tuple[str, str, float, str, str]] = {}
    for chunk in _chunks(list(dict.fromkeys(entity_ids))):
        for r in conn.execute(q.where(or_(mp.c.left_id.in_(chunk), mp.c.right_id.in_(chunk)), _pairs_visible(visible))):
            seen[(r[0], r[1])] = (r[0], r[1], float(r[2]), r[3], r[4])
    return list(seen.values())


def _pair(row: Any) -> PairRecord:
    return PairRecord(
        id=row[0], schema=row[1], left_id=row[2], right_id=row[3], match_weight=float(row[4]),
        match_probability=float(row[5]), explanation=json.loads(row[6] or "{}"), model_version=row[7],
        status=row[8], created_at=row[9],
    )


_PAIR_COLS = [
    t.match_pairs.c.id, t.match_pairs.c.schema, t.match_pairs.c.left_id, t.match_pairs.c.right_id,
    t.match_pairs.c.match_weight, t.match_pairs.c.match_probability, t.match_pairs.c.explanation,
    t.match_pairs.c.model_version, t.match_pairs.c.status, t.match_pairs.c.created_at,
]


def _pairs_visible(visible: Visibility) -> Any:
    left = t.entities.alias("le")
    right = t.entities.alias("re")
    marks, states = sorted(visible.marking_ids), sorted(visible.states)
    return and_(
        exists(select(left.c.id).where(left.c.id == t.match_pairs.c.left_id, left.c.marking_id.in_(marks), left.c.state.in_(states))),
        exists(select(right.c.id).where(right.c.id == t.match_pairs.c.right_id, right.c.marking_id.in_(marks), right.c.state.in_(states))),
    )


def pairs(
    conn: Connection,
    *,
    visible: Visibility,
    schema: str,
    status: str | Sequence[str] | None = None,
    entity_ids: Sequence[str] | None = None,
    exclude_judged: bool = False,
    limit: int | None = None,
) -> list[PairRecord]:
    """Scored pairs whose both records are visible, highest probability first."""
    mp = t.match_pairs
    q = select(*_PAIR_COLS).where(mp.c.schema == schema, _pairs_visible(visible))
    if status is not None:
        q = q.where(mp.c.status.in_([status] if isinstance(status, str) else list(status)))
    if exclude_judged:
        j = t.judgements
        q = q.where(
            ~exists(
                select(j.c.id).where(
                    j.c.deleted_at.is_(None),
                    or_(
                        and_(j.c.left_id == mp.c.left_id, j.c.right_id == mp.c.right_id),
                        and_(j.c.left_id == mp.c.right_id, j.c.right_id == mp.c.left_id),
                    ),
                )
            )
        )
    q = q.order_by(mp.c.match_probability.desc(), mp.c.id)
    if entity_ids is None:
        if limit is not None:
            q = q.limit(limit)
        return [_pair(r) for r in conn.execute(q)]
    seen: dict[str, PairRecord] = {}
    for chunk in _chunks(list(dict.fromkeys(entity_ids))):
        for r in conn.execute(q.where(or_(mp.c.left_id.in_(chunk), mp.c.right_id.in_(chunk)))):
            seen.setdefault(r[0], _pair(r))
    out = sorted(seen.values(), key=lambda p: (-p.match_probability, p.id))
    return out[:limit] if limit is not None else out


def pair(conn: Connection, *, visible: Visibility, pair_id: str) -> PairRecord | None:
    """One scored pair, if both its records are visible."""
    r = conn.execute(select(*_PAIR_COLS).where(t.match_pairs.c.id == pair_id, _pairs_visible(visible))).first()
    return None if r is None else _pair(r)


def _judgement(r: Any) -> JudgementRecord:
    return JudgementRecord(*r)


_J_COLS = [
    t.judgements.c.id, t.judgements.c.schema, t.judgements.c.left_id, t.judgements.c.right_id,
    t.judgements.c.judgement, t.judgements.c.user, t.judgements.c.reason, t.judgements.c.score,
    t.judgements.c.model_version, t.judgements.c.created_at, t.judgements.c.deleted_at, t.judgements.c.deleted_by,
]


def judgements(
    conn: Connection,
    *,
    visible: Visibility,
    schema: str,
    live: bool = True,
    entity_ids: Sequence[str] | None = None,
) -> list[JudgementRecord]:
    """Judgements on visible records (live ones only unless ``live`` is False), oldest first."""
    j = t.judgements
    # joined to the left record (a judgement is visible when its left record is), so the
    # read is driven by the few judgements, not by every visible record of the schema
    q = (
        select(*_J_COLS)
        .join(t.entities, t.entities.c.id == j.c.left_id)
        .where(j.c.schema == schema, t.entities.c.schema == schema, _visible_entity(visible))
    )
    if live:
        q = q.where(j.c.deleted_at.is_(None))
    q = q.order_by(j.c.id)
    if entity_ids is None:
        return [_judgement(r) for r in conn.execute(q)]
    seen: dict[int, JudgementRecord] = {}
    for chunk in _chunks(list(dict.fromkeys(entity_ids))):
        for r in conn.execute(q.where(or_(j.c.left_id.in_(chunk), j.c.right_id.in_(chunk)))):
            seen.setdefault(int(r[0]), _judgement(r))
    return [seen[k] for k in sorted(seen)]


def judgement(conn: Connection, *, visible: Visibility, judgement_id: int) -> JudgementRecord | None:
    """One judgement on a visible record."""
    j = t.judgements
    r = conn.execute(
        select(*_J_COLS).join(t.entities, t.entities.c.id == j.c.left_id).where(j.c.id == judgement_id, _visible_entity(visible))
    ).first()
    return None if r is None else _judgement(r)


def models(
    conn: Connection, *, visible: Visibility | None = None, schema: str | None = None, version: str | None = None
) -> list[ModelRecord]:
    """Stored models, newest first."""
    m = t.resolution_models
    q = select(m.c.version, m.c.schema, m.c.created_at, m.c.created_by, m.c.settings, m.c.model, m.c.metrics, m.c.active)
    if schema is not None:
        q = q.where(m.c.schema == schema)
    if version is not None:
        q = q.where(m.c.version == version)
    q = q.order_by(m.c.created_at.desc(), m.c.version.desc())
    return [
        ModelRecord(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]), json.loads(r[6] or "{}"), bool(r[7]))
        for r in conn.execute(q)
    ]


def active_model(conn: Connection, *, visible: Visibility | None = None, schema: str) -> ModelRecord | None:
    """The model new runs of a schema use, if any."""
    for model in models(conn, schema=schema):
        if model.active:
            return model
    return None


def last_run(conn: Connection, *, visible: Visibility | None = None, schema: str) -> dict[str, Any] | None:
    """The latest resolution run of a schema (id, mode, model version, started and finished)."""
    r = t.resolution_runs
    row = conn.execute(
        select(r.c.id, r.c.mode, r.c.model_version, r.c.started_at, r.c.finished_at, r.c.summary)
        .where(r.c.schema == schema, r.c.mode != "judgement")
        .order_by(r.c.started_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"id": row[0], "mode": row[1], "model_version": row[2], "started_at": row[3], "finished_at": row[4],
            "summary": json.loads(row[5] or "{}")}


def export_rows(conn: Connection, *, visible: Visibility, schema: str) -> list[tuple[str, str, str, str]]:
    """(entity id, source, record key, canonical id) of every visible record of a schema."""
    e, c = t.entities, t.clusters
    q = (
        select(e.c.id, e.c.source, e.c.record_key, func.coalesce(c.c.canonical_id, e.c.id))
        .select_from(e.outerjoin(c, c.c.entity_id == e.c.id))
        .where(e.c.schema == schema, _visible_entity(visible))
        .order_by(e.c.source, e.c.record_key)
    )
    return [(r[0], r[1], r[2], r[3]) for r in conn.execute(q)]


# -- writes --------------------------------------------------------------------------------


def save_model(
    conn: Connection,
    *,
    version: str,
    schema: str,
    created_at: str,
    created_by: str,
    settings: Mapping[str, Any],
    model: Mapping[str, Any],
    metrics: Mapping[str, Any],
) -> None:
    """Store a trained model and make it the active one for its schema."""
    m = t.resolution_models
    conn.execute(update(m).where(m.c.schema == schema).values(active=False))
    conn.execute(
        insert(m).values(
            version=version, schema=schema, created_at=created_at, created_by=created_by,
            settings=json.dumps(settings, sort_keys=True, default=str), model=json.dumps(model, sort_keys=True, default=str),
            metrics=json.dumps(metrics, sort_keys=True, default=str), active=True,
        )
    )


#: the columns of a stored pair, in the order :func:`replace_pairs` takes its rows
PAIR_COLUMNS = (
    "id", "schema", "left_id", "right_id", "match_weight", "match_probability", "explanation",
    "model_version", "status", "created_at",
)
#: the columns of a cluster row, in the order :func:`write_clusters` takes its rows
CLUSTER_COLUMNS = ("entity_id", "schema", "canonical_id", "method", "score", "model_version", "updated_at")


def replace_pairs(
    conn: Connection,
    *,
    visible: Visibility,
    schema: str,
    rows: Sequence[Sequence[Any]],
    entity_ids: Sequence[str] | None = None,
) -> None:
    """Replace the scored pairs of a schema: all visible ones, or those touching ``entity_ids``.

    Rows are tuples in :data:`PAIR_COLUMNS` order, written with the driver's bulk insert.
    """
    mp = t.match_pairs
    if entity_ids is None:
        conn.execute(delete(mp).where(mp.c.schema == schema, _pairs_visible(visible)))
    else:
        for chunk in _chunks(list(entity_ids)):
            conn.execute(delete(mp).where(mp.c.schema == schema, or_(mp.c.left_id.in_(chunk), mp.c.right_id.in_(chunk))))
    bulk_insert(conn, mp.name, PAIR_COLUMNS, rows)


def write_clusters(
    conn: Connection, *, schema: str, remove: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Delete the cluster rows of ``remove`` and of the rows' entities, then insert ``rows``.

    Rows are tuples in :data:`CLUSTER_COLUMNS` order, written with the driver's bulk insert;
    only entities that have a row are deleted (a first run deletes nothing).
    """
    c = t.clusters
    existing = {str(r[0]) for r in conn.execute(select(c.c.entity_id).where(c.c.schema == schema))}
    ids = [i for i in dict.fromkeys([*remove, *(str(r[0]) for r in rows)]) if i in existing]
    for chunk in _chunks(ids):
        conn.execute(delete(c).where(c.c.schema == schema, c.c.entity_id.in_(chunk)))
    bulk_insert(conn, c.name, CLUSTER_COLUMNS, rows)
    bump_data_version(conn)


def add_judgement(
    conn: Connection,
    *,
    schema: str,
    left_id: str,
    right_id: str,
    judgement: str,
    user: str,
    reason: str,
    score: float | None,
    model_version: str | None,
    created_at: str,
) -> int:
    """Store a human judgement; return its id."""
    result = conn.execute(
        insert(t.judgements).values(
            schema=schema, left_id=left_id, right_id=right_id, judgement=judgement, user=user, reason=reason,
            score=score, model_version=model_version, created_at=created_at,
        )
    )
    key = result.inserted_primary_key
    return int(key[0]) if key is not None else 0


def undo_judgement(conn: Connection, *, judgement_id: int, user: str, at: str) -> None:
    """Mark a judgement undone (kept, with who undid it and when)."""
    j = t.judgements
    conn.execute(update(j).where(j.c.id == judgement_id, j.c.deleted_at.is_(None)).values(deleted_at=at, deleted_by=user))


def record_run(
    conn: Connection,
    *,
    run_id: str,
    schema: str,
    mode: str,
    model_version: str | None,
    started_at: str,
    finished_at: str,
    user: str,
    thresholds: Mapping[str, Any],
    summary: Mapping[str, Any],
) -> None:
    """Store one resolution run."""
    conn.execute(
        insert(t.resolution_runs).values(
            id=run_id, schema=schema, mode=mode, model_version=model_version, started_at=started_at,
            finished_at=finished_at, user=user, thresholds=json.dumps(thresholds, sort_keys=True),
            summary=json.dumps(summary, sort_keys=True, default=str),
        )
    )


__all__ = [
    "CLUSTER_COLUMNS",
    "PAIR_COLUMNS",
    "ClusterRow",
    "FrameRows",
    "JudgementRecord",
    "ModelRecord",
    "PairRecord",
    "active_model",
    "add_judgement",
    "cluster_members",
    "clusters",
    "edges",
    "export_rows",
    "identifier_values",
    "judgement",
    "judgements",
    "last_run",
    "models",
    "pair",
    "pairs",
    "record_frame",
    "record_run",
    "replace_pairs",
    "save_model",
    "undo_judgement",
    "write_clusters",
]
