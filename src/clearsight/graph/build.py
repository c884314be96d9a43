"""The graph of resolved entities one viewer may see, built with python-igraph, and its cache.

Nodes are canonical entities; an edge joins two canonical entities and keeps every link
that evidences it (ids, schemata, dates, markings, involvement categories). Only visible
links with visible ends are read (store.graph_queries), so every path, measure,
community and count computed on the graph is computed over what the viewer may see.
Vertices and edges are sorted by id, so the same visible data always gives the same
graph, and seeded algorithms the same answers.

Graphs are cached per (visibility, data version): in memory in a :class:`GraphCache`
and on disk in the workspace cache (a pickle of ids, schemata, dates and marking ids:
no property values). When only new links arrived since the cached version, they are
added to the cached graph (``incremental``); when clusters, erasures or restrictions
changed, the graph is rebuilt (``full``).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import igraph as ig

from clearsight.governance.gateway import Operation
from clearsight.search.keys import day_key
from clearsight.store import graph_queries as gq
from clearsight.store.graph_queries import GraphLinkRow

EVENT_SCHEMAS = frozenset({"Crime", "Incident", "StopSearch", "Custody", "ANPRRead", "Call"})
CACHE_FORMAT = 1


@dataclass
class EdgeLinks:
    """The links behind one edge, in parallel lists."""

    ids: list[str] = field(default_factory=list)
    schemas: list[str] = field(default_factory=list)
    valid_from: list[str | None] = field(default_factory=list)
    valid_to: list[str | None] = field(default_factory=list)
    markings: list[str] = field(default_factory=list)
    categories: list[str | None] = field(default_factory=list)
    #: canonical id at the link's source end (links are directed in the store)
    sources: list[str] = field(default_factory=list)

    def add(self, row: GraphLinkRow) -> bool:
        if row.id in self.ids:
            return False
        self.ids.append(row.id)
        self.schemas.append(row.schema)
        self.valid_from.append(row.valid_from)
        self.valid_to.append(row.valid_to)
        self.markings.append(row.marking_id)
        self.categories.append(row.category)
        self.sources.append(row.source)
        return True


@dataclass
class ViewGraph:
    """A viewer's graph: the igraph object, the id index and how it was obtained."""

    graph: ig.Graph
    index: dict[str, int]
    version: dict[str, Any]
    key: str
    built: str = "full"

    def vertex(self, canonical_id: str) -> int | None:
        return self.index.get(canonical_id)

    def name(self, v: int) -> str:
        return str(self.graph.vs[v]["name"])

    def links(self, e: int) -> EdgeLinks:
        value: EdgeLinks = self.graph.es[e]["links"]
        return value


def visibility_key(op: Operation) -> str:
    """A hash of what the viewer may see (marking ids and states)."""
    vis = op.visibility
    text = json.dumps([sorted(vis.marking_ids), sorted(vis.states)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _assemble(rows: Iterable[GraphLinkRow], days: dict[str, str]) -> tuple[ig.Graph, dict[str, int]]:
    schemas: dict[str, str] = {}
    edges: dict[tuple[str, str], EdgeLinks] = {}
    for row in rows:
        if row.source == row.target:
            continue  # two records of one resolved entity linked to each other
        schemas.setdefault(row.source, row.source_schema)
        schemas.setdefault(row.target, row.target_schema)
        edges.setdefault(_pair(row.source, row.target), EdgeLinks()).add(row)
    names = sorted(schemas)
    index = {n: i for i, n in enumerate(names)}
    pairs = sorted(edges)
    g = ig.Graph(n=len(names), edges=[(index[a], index[b]) for a, b in pairs], directed=False)
    g.vs["name"] = names
    g.vs["schema"] = [schemas[n] for n in names]
    g.vs["day"] = [days.get(n) if schemas[n] in EVENT_SCHEMAS else None for n in names]
    for el in edges.values():
        order = sorted(range(len(el.ids)), key=lambda i: el.ids[i])
        for attr in ("ids", "schemas", "valid_from", "valid_to", "markings", "categories", "sources"):
            values = getattr(el, attr)
            setattr(el, attr, [values[i] for i in order])
    g.es["links"] = [edges[p] for p in pairs]
    return g, index


def _days(raw: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for cid, value in raw.items():
        day = day_key(value) if value else None
        if day:
            out[cid] = day
    return out


def build_full(op: Operation, version: dict[str, Any], key: str) -> ViewGraph:
    """Build the viewer's graph from every visible link."""
    rows = list(op.run(gq.graph_links))
    days = _days(op.run(gq.event_days))
    g, index = _assemble(rows, days)
    return ViewGraph(graph=g, index=index, version=version, key=key, built="full")


def add_links(op: Operation, vg: ViewGraph, version: dict[str, Any]) -> ViewGraph:
    """Add the visible links seen since ``vg`` was built (incremental update)."""
    g = vg.graph
    rows = list(op.run(gq.graph_links, since=vg.version.get("links") or None))
    new_nodes: dict[str, str] = {}
    for row in rows:
        for cid, schema in ((row.source, row.source_schema), (row.target, row.target_schema)):
            if cid not in vg.index and cid not in new_nodes:
                new_nodes[cid] = schema
    days = _days(op.run(gq.event_days, entity_ids=sorted(new_nodes))) if new_nodes else {}
    if new_nodes:
        start = g.vcount()
        names = sorted(new_nodes)
        g.add_vertices(
            len(names),
            attributes={
                "name": names,
                "schema": [new_nodes[n] for n in names],
                "day": [days.get(n) if new_nodes[n] in EVENT_SCHEMAS else None for n in names],
            },
        )
        for i, n in enumerate(names):
            vg.index[n] = start + i
    fresh: dict[tuple[int, int], EdgeLinks] = {}
    for row in rows:
        if row.source == row.target:
            continue
        a, b = vg.index[row.source], vg.index[row.target]
        eid = g.get_eid(a, b, error=False)
        if eid >= 0:
            vg.links(eid).add(row)
        else:
            fresh.setdefault((min(a, b), max(a, b)), EdgeLinks()).add(row)
    if fresh:
        pairs = sorted(fresh)
        g.add_edges(pairs, attributes={"links": [fresh[p] for p in pairs]})
    return ViewGraph(graph=g, index=vg.index, version=version, key=vg.key, built="incremental")


def _incremental_ok(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return (
        old.get("clusters") == new.get("clusters")
        and old.get("inactive") == new.get("inactive")
        and str(new.get("links", "")) >= str(old.get("links", ""))
    )


class GraphCache:
    """Built graphs per (visibility, data version), in memory and optionally on disk.

    Args:
        directory: where to keep pickled graphs between processes (the workspace cache);
            ``None`` keeps them in memory only.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._memory: dict[str, ViewGraph] = {}

    def _path(self, key: str, version: dict[str, Any]) -> Path | None:
        if self.directory is None:
            return None
        digest = hashlib.sha256(json.dumps(version, sort_keys=True).encode()).hexdigest()[:16]
        return self.directory / f"graph-{key}-{digest}.pickle"

    def _from_disk(self, key: str) -> ViewGraph | None:
        if self.directory is None or not self.directory.exists():
            return None
        files = sorted(self.directory.glob(f"graph-{key}-*.pickle"), key=lambda p: p.stat().st_mtime)
        if not files:
            return None
        try:
            with files[-1].open("rb") as fh:
                payload = pickle.load(fh)  # our own cache file, in the workspace
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            return None
        if not isinstance(payload, dict) or payload.get("format") != CACHE_FORMAT:
            return None
        vg: ViewGraph = payload["graph"]
        return vg

    def _save(self, vg: ViewGraph) -> None:
        path = self._path(vg.key, vg.version)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump({"format": CACHE_FORMAT, "graph": vg}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        for old in path.parent.glob(f"graph-{vg.key}-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)

    def get(self, op: Operation) -> ViewGraph:
        """The viewer's graph for the current data: cached, extended or rebuilt."""
        key = visibility_key(op)
        version = op.run(gq.data_version)
        cached = self._memory.get(key)
        source = "memory"
        if cached is None:
            cached = self._from_disk(key)
            source = "disk"
        if cached is not None and cached.version == version:
            cached.built = "cached" if source == "memory" else "cached-disk"
            self._memory[key] = cached
            return cached
        if cached is not None and _incremental_ok(cached.version, version):
            vg = add_links(op, cached, version)
        else:
            vg = build_full(op, version, key)
        self._memory[key] = vg
        self._save(vg)
        return vg

    def clear(self) -> None:
        """Forget every cached graph, in memory and on disk (after erasure, DSR-6)."""
        self._memory.clear()
        if self.directory is not None and self.directory.exists():
            for f in self.directory.glob("graph-*.pickle"):
                f.unlink(missing_ok=True)


__all__ = ["EVENT_SCHEMAS", "EdgeLinks", "GraphCache", "ViewGraph", "add_links", "build_full", "visibility_key"]
