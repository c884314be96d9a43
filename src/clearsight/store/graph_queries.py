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
from typing import Any

from sqlalchemy import Connection, func, select

from clearsight.store import tables as t
from clearsight.store.visibility import Visibility

_CHUNK = 500
_BATCH = 20_000
EVENT_DATE_PROPS = ("occurredFrom", "month", "reportedAt")


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


def _marks(visible: Visibility) -> list[str]:
    return sorted(visible.marking_ids)


def data_version(conn: Connection, *, visible: Visibility) -> dict[str, Any]:
    """What a cached graph for this viewer depends on, read from indexed columns.

    New or re-seen visible links move ``links``; a resolution run moves ``clusters``;
    erasure and restriction move the ``inactive`` counts.
    """
    lk = t.links
    links_hwm: Any = conn.execute(
        select(func.max(lk.c.last_seen)).where(lk.c.marking_id.in_(_marks(visible)))
    ).scalar_one()
    clusters_hwm: Any = conn.execute(select(func.max(t.clusters.c.updated_at))).scalar_one()
    inactive_entities = conn.execute(
        select(func.count()).select_from(t.entities).where(t.entities.c.state != "active")
    ).scalar_one()
    inactive_links = conn.execute(select(func.count()).select_from(lk).where(lk.c.state != "active")).scalar_one()
    return {
        "links": str(links_hwm or ""),
        "clusters": str(clusters_hwm or ""),
        "inactive": [int(inactive_entities), int(inactive_links)],
    }


def graph_links(conn: Connection, *, visible: Visibility, since: str | None = None) -> Iterator[GraphLinkRow]:
    """Visible links with canonical ends, streamed; only those seen after ``since`` if given."""
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
            lk.c.properties,
        )
        .select_from(lk)
        .join(src, src.c.id == lk.c.source_id)
        .join(dst, dst.c.id == lk.c.target_id)
        .outerjoin(cs, cs.c.entity_id == lk.c.source_id)
        .outerjoin(ct, ct.c.entity_id == lk.c.target_id)
        .where(lk.c.marking_id.in_(marks), lk.c.state.in_(states))
        .where(src.c.marking_id.in_(marks), src.c.state.in_(states))
        .where(dst.c.marking_id.in_(marks), dst.c.state.in_(states))
    )
    if since:
        q = q.where(lk.c.last_seen > since)
    for r in conn.execute(q.execution_options(yield_per=_BATCH)):
        category = None
        if r[1] == "Involvement" and r[9]:
            category = json.loads(r[9]).get("category")
        yield GraphLinkRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], category)


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
        .where(s.c.marking_id.in_(marks), e.c.marking_id.in_(marks), e.c.state.in_(sorted(visible.states)))
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


def link_evidence(conn: Connection, *, visible: Visibility, link_ids: Sequence[str]) -> list[LinkEvidence]:
    """The visible links among ``link_ids`` with their provenance (hidden ones are absent)."""
    lk = t.links
    src = t.entities.alias("src")
    dst = t.entities.alias("dst")
    marks = _marks(visible)
    states = sorted(visible.states)
    base = (
        select(
            lk.c.id, lk.c.schema, lk.c.source_id, lk.c.target_id, lk.c.source, lk.c.record_key, lk.c.run_id,
            lk.c.valid_from, lk.c.valid_to, lk.c.kind, lk.c.marking_id, lk.c.first_seen, lk.c.properties,
        )
        .join(src, src.c.id == lk.c.source_id)
        .join(dst, dst.c.id == lk.c.target_id)
        .where(lk.c.marking_id.in_(marks), lk.c.state.in_(states))
        .where(src.c.marking_id.in_(marks), src.c.state.in_(states))
        .where(dst.c.marking_id.in_(marks), dst.c.state.in_(states))
    )
    ids = list(dict.fromkeys(link_ids))
    out: list[LinkEvidence] = []
    for i in range(0, len(ids), _CHUNK):
        for r in conn.execute(base.where(lk.c.id.in_(ids[i : i + _CHUNK]))):
            out.append(
                LinkEvidence(
                    r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                    properties=json.loads(r[12] or "{}"),
                )
            )
    out.sort(key=lambda x: x.id)
    return out


__all__ = ["GraphLinkRow", "LinkEvidence", "data_version", "event_days", "graph_links", "link_evidence"]
