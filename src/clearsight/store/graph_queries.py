"""Store reads for link analysis: visible links mapped to canonical ends, and their evidence.

Every read takes a :class:`Visibility`: a link is returned only when its own marking and
state and both of its end entities are visible, so a graph built from these rows holds
nothing the viewer may not see (ACC-3). Ends are mapped to canonical entities through
``clusters`` (an unclustered entity is its own canonical entity).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, ClassVar

from sqlalchemy import Connection, Text, and_, case, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB

from clearsight.store import tables as t
from clearsight.store.search_index import data_version as si_data_version
from clearsight.store.search_index import state_in
from clearsight.store.visibility import Visibility

_CHUNK = 500
_BATCH = 20_000
EVENT_DATE_PROPS = ("occurredFrom", "month", "reportedAt")
#: the grade that, at "E", keeps intelligence out of automated scoring and linking (INT-3)
E_GRADE_PROP = "intelligenceAssessment"


@dataclass(frozen=True)
class GraphLinkRow:
    """One visible link with canonical ends, as the graph builder needs it."""

    id: str
    schema: str
    source: str
    target: str
    source_schema: str
    target_schema: str
    valid_from: str | None
    valid_to: str | None
    marking_id: str
    category: str | None
    #: the link comes from (or goes to) an intelligence report graded E (INT-3)
    e_graded: bool = False


@dataclass(frozen=True)
class LinkEvidence:
    """The source record behind one link: where it came from, when, how it is marked."""

    id: str
    schema: str
    source_id: str
    target_id: str
    source: str
    record_key: str
    run_id: str
    valid_from: str | None
    valid_to: str | None
    kind: str
    marking_id: str
    first_seen: str
    properties: dict[str, Any] = field(hash=False, default_factory=dict)
    #: grades of the source record when asked for (see :func:`link_evidence`)
    grading: dict[str, str] = field(hash=False, compare=False, default_factory=dict)


def _marks(visible: Visibility) -> list[str]:
    return sorted(visible.marking_ids)


def data_version(conn: Connection, *, visible: Visibility) -> dict[str, Any]:
    """What a cached graph depends on, in one round trip of primary-key and index reads.

    The writers' version row moves on every ingest and resolution write; the newest
    ``last_seen`` / ``updated_at`` (indexed) and the counts of non-active records (an
    index range over the few rows not active) also catch writes that bypass the writers.
    See :func:`clearsight.store.search_index.data_version`.
    """
    return si_data_version(conn)


def cluster_rows(conn: Connection, *, visible: Visibility) -> int:
    """How many cluster rows there are (read only when the data version moved)."""
    return int(conn.execute(select(func.count()).select_from(t.clusters)).scalar_one())


@dataclass
class LinkColumns:
    """Visible links with canonical ends, one list per column (one entry per link)."""

    ids: list[str] = field(default_factory=list)
    schemas: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    source_schemas: list[str] = field(default_factory=list)
    target_schemas: list[str] = field(default_factory=list)
    valid_from: list[str | None] = field(default_factory=list)
    valid_to: list[str | None] = field(default_factory=list)
    markings: list[str] = field(default_factory=list)
    categories: list[str | None] = field(default_factory=list)
    e_graded: list[bool] = field(default_factory=list)

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "ids", "schemas", "sources", "targets", "source_schemas", "target_schemas",
        "valid_from", "valid_to", "markings", "categories", "e_graded",
    )

    def __len__(self) -> int:
        return len(self.ids)

    def extend(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        for name, values in zip(self.COLUMNS, zip(*rows, strict=True), strict=True):
            getattr(self, name).extend(values)

    def take(self, order: Sequence[int]) -> LinkColumns:
        """The links at the given positions, in that order."""
        out = LinkColumns()
        if not order:
            return out
        pick = itemgetter(*order)
        for name in self.COLUMNS:
            got = pick(getattr(self, name))
            setattr(out, name, list(got) if len(order) > 1 else [got])
        return out

    def rows(self) -> Iterator[GraphLinkRow]:
        for values in zip(*(getattr(self, n) for n in self.COLUMNS), strict=True):
            yield GraphLinkRow(*values)


def _category(conn: Connection) -> Any:
    """The involvement category, read from the link's JSON properties by the database."""
    lk = t.links
    if conn.dialect.name == "postgresql":
        value: Any = cast(lk.c.properties, JSONB)["category"].astext
    else:
        value = cast(func.json_extract(lk.c.properties, "$.category"), Text)
    return case((lk.c.schema == "Involvement", value), else_=None)


def _e_graded(lk: Any, src: Any, dst: Any, marks: list[str]) -> Any:
    """Whether a link touches an intelligence report whose visible current assessment is E.

    Only links with an intelligence report at one end are looked into (one index seek
    each); the grade must be visible to the viewer, so a hidden grade changes nothing.
    """
    grade = t.statements.alias("grade")
    graded = (
        select(grade.c.id)
        .where(
            grade.c.entity_id.in_([lk.c.source_id, lk.c.target_id]),
            grade.c.prop == E_GRADE_PROP,
            grade.c.value == "E",
            grade.c.superseded_by.is_(None),
            grade.c.marking_id.in_(marks),
        )
        .exists()
    )
    report = (src.c.schema == "IntelligenceReport") | (dst.c.schema == "IntelligenceReport")
    return case((report, case((graded, True), else_=False)), else_=False)


def graph_links(conn: Connection, *, visible: Visibility, since: str | None = None) -> LinkColumns:
    """Visible links with canonical ends, as columns; only those seen after ``since`` if given."""
    lk = t.links
    src = t.entities.alias("src")
    dst = t.entities.alias("dst")
    cs = t.clusters.alias("cs")
    ct = t.clusters.alias("ct")
    marks = _marks(visible)
    states = sorted(visible.states)
    q = (
        select(
            lk.c.id,
            lk.c.schema,
            func.coalesce(cs.c.canonical_id, src.c.id),
            func.coalesce(ct.c.canonical_id, dst.c.id),
            src.c.schema,
            dst.c.schema,
            lk.c.valid_from,
            lk.c.valid_to,
            lk.c.marking_id,
            _category(conn),
            _e_graded(lk, src, dst, marks),
        )
        .select_from(lk)
        .join(src, src.c.id == lk.c.source_id)
        .join(dst, dst.c.id == lk.c.target_id)
        .outerjoin(cs, cs.c.entity_id == lk.c.source_id)
        .outerjoin(ct, ct.c.entity_id == lk.c.target_id)
        .where(lk.c.marking_id.in_(marks), state_in(lk.c.state, states))
        .where(src.c.marking_id.in_(marks), state_in(src.c.state, states))
        .where(dst.c.marking_id.in_(marks), state_in(dst.c.state, states))
    )
    if since:
        q = q.where(lk.c.last_seen > since)
    out = LinkColumns()
    result = conn.execute(q.execution_options(yield_per=_BATCH))
    for part in result.partitions():
        out.extend(part)
    out.e_graded = list(map(bool, out.e_graded))  # SQLite gives 0 and 1
    return out


def event_days(conn: Connection, *, visible: Visibility, entity_ids: Sequence[str] | None = None) -> dict[str, str]:
    """The earliest visible date (as text) of each visible event, keyed by canonical id."""
    s = t.statements
    e = t.entities
    c = t.clusters
    marks = _marks(visible)
    q = (
        select(func.coalesce(c.c.canonical_id, e.c.id), func.min(s.c.value))
        .select_from(s)
        .join(e, e.c.id == s.c.entity_id)
        .outerjoin(c, c.c.entity_id == e.c.id)
        .where(s.c.prop.in_(EVENT_DATE_PROPS), s.c.superseded_by.is_(None))
        .where(s.c.marking_id.in_(marks), e.c.marking_id.in_(marks), state_in(e.c.state, visible.states))
        .group_by(func.coalesce(c.c.canonical_id, e.c.id))
    )
    out: dict[str, str] = {}
    if entity_ids is None:
        for r in conn.execute(q.execution_options(yield_per=_BATCH)):
            out[r[0]] = r[1]
        return out
    ids = list(dict.fromkeys(entity_ids))
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        for r in conn.execute(q.where(func.coalesce(c.c.canonical_id, e.c.id).in_(chunk))):
            out[r[0]] = r[1]
    return out


def link_evidence(
    conn: Connection, *, visible: Visibility, link_ids: Sequence[str], grade_props: Sequence[str] = ()
) -> list[LinkEvidence]:
    """The visible links among ``link_ids`` with their provenance (hidden ones are absent).

    With ``grade_props``, the visible current values of those properties of each link's
    source record, when it is an intelligence report, come back in the same query.
    """
    lk = t.links
    src = t.entities.alias("src")
    dst = t.entities.alias("dst")
    st = t.statements.alias("st")
    marks = _marks(visible)
    states = sorted(visible.states)
    cols: list[Any] = [
        lk.c.id, lk.c.schema, lk.c.source_id, lk.c.target_id, lk.c.source, lk.c.record_key, lk.c.run_id,
        lk.c.valid_from, lk.c.valid_to, lk.c.kind, lk.c.marking_id, lk.c.first_seen, lk.c.properties,
    ]
    joined: Any = lk.join(src, src.c.id == lk.c.source_id).join(dst, dst.c.id == lk.c.target_id)
    if grade_props:
        cols += [st.c.prop, st.c.value]
        joined = joined.outerjoin(
            st,
            and_(
                st.c.entity_id == lk.c.source_id,
                st.c.prop.in_(list(grade_props)),
                st.c.schema == "IntelligenceReport",
                st.c.superseded_by.is_(None),
                st.c.marking_id.in_(marks),
            ),
        )
    base = (
        select(*cols)
        .select_from(joined)
        .where(lk.c.marking_id.in_(marks), state_in(lk.c.state, states))
        .where(src.c.marking_id.in_(marks), state_in(src.c.state, states))
        .where(dst.c.marking_id.in_(marks), state_in(dst.c.state, states))
    )
    ids = list(dict.fromkeys(link_ids))
    found: dict[str, LinkEvidence] = {}
    for i in range(0, len(ids), _CHUNK):
        for r in conn.execute(base.where(lk.c.id.in_(ids[i : i + _CHUNK]))):
            ev = found.get(r[0])
            if ev is None:
                ev = LinkEvidence(
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                    properties=json.loads(r[12] or "{}"),
                )
                found[r[0]] = ev
            if grade_props and r[13] is not None:
                ev.grading[r[13]] = r[14]
    return sorted(found.values(), key=lambda x: x.id)


__all__ = [
    "E_GRADE_PROP",
    "GraphLinkRow",
    "LinkColumns",
    "LinkEvidence",
    "cluster_rows",
    "data_version",
    "event_days",
    "graph_links",
    "link_evidence",
]
