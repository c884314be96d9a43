"""The graph of resolved entities one viewer may see, built with python-igraph, and its cache.

Nodes are canonical entities; an edge joins two canonical entities and keeps every link
that evidences it (ids, schemata, dates, markings, involvement categories). Only visible
links with visible ends are read (store.graph_queries), so every path, measure,
community and count computed on the graph is computed over what the viewer may see.
Vertices and edges are sorted by id, so the same visible data always gives the same
graph, and seeded algorithms the same answers.

Graphs are cached per (visibility, data version): in memory in a :class:`GraphCache`
and on disk in the workspace cache (a pickle of ids, schemata, dates and marking ids:
no property values). The graph is assembled from column arrays (no object per link).
When only new links arrived since the cached version, only they are read and merged
into the cached links (``incremental``); when clusters, erasures, restrictions or
markings changed, the graph is rebuilt (``full``).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import igraph as ig
import numpy as np

from clearsight.governance.gateway import Governance, Operation
from clearsight.search.keys import day_key
from clearsight.store import graph_queries as gq
from clearsight.store.graph_queries import LinkColumns

EVENT_SCHEMAS = frozenset({"Crime", "Incident", "StopSearch", "Custody", "ANPRRead", "Call"})
CACHE_FORMAT = 3
#: graphs kept in memory per cache (one per viewer visibility; least recently used go first)
MEMORY_GRAPHS = 4


@dataclass
class EdgeLinks:
    """The links behind one edge, in parallel lists (sorted by link id)."""

    ids: list[str] = field(default_factory=list)
    schemas: list[str] = field(default_factory=list)
    valid_from: list[str | None] = field(default_factory=list)
    valid_to: list[str | None] = field(default_factory=list)
    markings: list[str] = field(default_factory=list)
    categories: list[str | None] = field(default_factory=list)
    #: canonical id at the link's source end (links are directed in the store)
    sources: list[str] = field(default_factory=list)
    #: whether each link comes from E-graded intelligence (INT-3)
    e_graded: list[bool] = field(default_factory=list)


@dataclass
class ViewGraph:
    """A viewer's graph: the igraph object, the id index, the links behind each edge.

    Links are held as columns (:class:`~clearsight.store.graph_queries.LinkColumns`)
    grouped by edge: the links of edge ``e`` are positions ``ptr[e]`` to ``ptr[e + 1]``,
    sorted by link id. Vertex names, schemata and event days are plain lists too, so
    reading them never goes through igraph's per-item objects.
    """

    graph: ig.Graph
    index: dict[str, int]
    version: dict[str, Any]
    key: str
    built: str = "full"
    names: list[str] = field(default_factory=list)
    schemas: list[str] = field(default_factory=list)
    days: list[str | None] = field(default_factory=list)
    table: LinkColumns = field(default_factory=LinkColumns)
    ptr: Any = None
    ends: Any = None
    cluster_rows: int = -1
    #: how many links come from E-graded intelligence (left out of scoring and linking, INT-3)
    e_graded_links: int = 0
    #: filtered subgraphs already computed on this graph (see analysis.filtered)
    derived: dict[Any, Any] = field(default_factory=dict, repr=False)

    def vertex(self, canonical_id: str) -> int | None:
        return self.index.get(canonical_id)

    def name(self, v: int) -> str:
        return self.names[v]

    def n_links(self, e: int) -> int:
        return int(self.ptr[e + 1] - self.ptr[e])

    def other(self, e: int, v: int) -> int:
        """The end of edge ``e`` that is not ``v``."""
        a, b = int(self.ends[e, 0]), int(self.ends[e, 1])
        return b if a == v else a

    def links(self, e: int) -> EdgeLinks:
        lo, hi = int(self.ptr[e]), int(self.ptr[e + 1])
        tb = self.table
        return EdgeLinks(
            ids=tb.ids[lo:hi],
            schemas=tb.schemas[lo:hi],
            valid_from=tb.valid_from[lo:hi],
            valid_to=tb.valid_to[lo:hi],
            markings=tb.markings[lo:hi],
            categories=tb.categories[lo:hi],
            sources=tb.sources[lo:hi],
            e_graded=tb.e_graded[lo:hi],
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["derived"] = {}
        return state


def visibility_key(op: Operation) -> str:
    """A hash of what the viewer may see (marking ids and states)."""
    vis = op.visibility
    text = json.dumps([sorted(vis.marking_ids), sorted(vis.states)])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _assemble(cols: LinkColumns, days: dict[str, str]) -> dict[str, Any]:
    """Vertices, edges and grouped link columns from visible links, with column arrays.

    Vertices are sorted by canonical id and edges by their ends' ids; each edge's links are
    sorted by link id. Links joining two records of one resolved entity are left out.
    """
    keep = [i for i, (a, b) in enumerate(zip(cols.sources, cols.targets, strict=True)) if a != b]
    if len(keep) != len(cols):
        cols = cols.take(keep)
    schemas: dict[str, str] = dict(zip(cols.targets, cols.target_schemas, strict=True))
    schemas.update(zip(cols.sources, cols.source_schemas, strict=True))
    names = sorted(schemas)
    index = {n: i for i, n in enumerate(names)}
    n_links = len(cols)
    a = np.fromiter((index[x] for x in cols.sources), dtype=np.int64, count=n_links)
    b = np.fromiter((index[x] for x in cols.targets), dtype=np.int64, count=n_links)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pair = lo * max(len(names), 1) + hi
    by_id = sorted(range(n_links), key=cols.ids.__getitem__)
    rank = np.empty(n_links, dtype=np.int64)
    rank[by_id] = np.arange(n_links, dtype=np.int64)
    order = np.lexsort((rank, pair))
    table = cols.take(order.tolist())
    sorted_pair = pair[order]
    if n_links:
        starts = np.concatenate(([0], np.flatnonzero(np.diff(sorted_pair)) + 1))
    else:
        starts = np.zeros(0, dtype=np.int64)
    ptr = np.concatenate((starts, [n_links])).astype(np.int64)
    ends = np.column_stack((lo[order][starts], hi[order][starts])) if n_links else np.zeros((0, 2), dtype=np.int64)
    g = ig.Graph(n=len(names), edges=list(zip(ends[:, 0].tolist(), ends[:, 1].tolist(), strict=True)), directed=False)
    vertex_schemas = [schemas[n] for n in names]
    vertex_days = [days.get(n) if sc in EVENT_SCHEMAS else None for n, sc in zip(names, vertex_schemas, strict=True)]
    g.vs["name"] = names
    g.vs["schema"] = vertex_schemas
    g.vs["day"] = vertex_days
    return {"graph": g, "index": index, "names": names, "schemas": vertex_schemas, "days": vertex_days,
            "table": table, "ptr": ptr, "ends": ends, "e_graded_links": sum(table.e_graded)}


def _days(raw: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for cid, value in raw.items():
        day = day_key(value) if value else None
        if day:
            out[cid] = day
    return out


def build_full(op: Operation, version: dict[str, Any], key: str) -> ViewGraph:
    """Build the viewer's graph from every visible link."""
    cols = op.run(gq.graph_links)
    days = _days(op.run(gq.event_days))
    parts = _assemble(cols, days)
    return ViewGraph(version=version, key=key, built="full", cluster_rows=op.run(gq.cluster_rows), **parts)


def add_links(op: Operation, vg: ViewGraph, version: dict[str, Any]) -> ViewGraph:
    """Add the visible links seen since ``vg`` was built (incremental update).

    Only the new and changed links are read from the store; they replace or join the
    cached link columns and the graph is re-assembled in memory, so it is the same graph
    a full build would give.
    """
    fresh = op.run(gq.graph_links, since=vg.version.get("links") or None)
    old = vg.table
    if len(fresh):
        replaced = set(fresh.ids)
        keep = [i for i, lid in enumerate(old.ids) if lid not in replaced]
        merged = old.take(keep)
        for name in LinkColumns.COLUMNS:
            getattr(merged, name).extend(getattr(fresh, name))
    else:
        merged = old
    days = {n: d for n, d in zip(vg.names, vg.days, strict=True) if d}
    new_nodes = sorted((set(fresh.sources) | set(fresh.targets)) - set(vg.index))
    if new_nodes:
        days.update(_days(op.run(gq.event_days, entity_ids=new_nodes)))
    parts = _assemble(merged, days)
    return ViewGraph(version=version, key=vg.key, built="incremental", cluster_rows=vg.cluster_rows, **parts)


def _incremental_ok(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return (
        old.get("clusters") == new.get("clusters")
        and old.get("inactive") == new.get("inactive")
        and old.get("markings") == new.get("markings")
        and str(new.get("links", "")) >= str(old.get("links", ""))
    )


class GraphCache:
    """Built graphs per (visibility, data version), in memory and optionally on disk.

    Checking a cached graph costs one round trip (the data version); only when the data
    moved is anything else read.

    Args:
        directory: where to keep pickled graphs between processes (the workspace cache);
            ``None`` keeps them in memory only.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._memory: OrderedDict[str, ViewGraph] = OrderedDict()

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
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
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

    def _remember(self, key: str, vg: ViewGraph) -> None:
        self._memory[key] = vg
        self._memory.move_to_end(key)
        while len(self._memory) > MEMORY_GRAPHS:
            self._memory.popitem(last=False)

    def get(self, op: Operation) -> ViewGraph:
        """The viewer's graph for the current data: cached, extended or rebuilt."""
        key = visibility_key(op)
        version = op.run(gq.data_version)
        cached = self._memory.get(key)
        source = "memory"
        if cached is None or cached.version != version:
            disk = self._from_disk(key)
            if disk is not None and (cached is None or disk.version == version):
                cached, source = disk, "disk"
        if cached is not None and cached.version == version:
            cached.built = "cached" if source == "memory" else "cached-disk"
            self._remember(key, cached)
            return cached
        if (
            cached is not None
            and _incremental_ok(cached.version, version)
            and cached.cluster_rows == op.run(gq.cluster_rows)
        ):
            vg = add_links(op, cached, version)
        else:
            vg = build_full(op, version, key)
        self._remember(key, vg)
        self._save(vg)
        return vg

    def clear(self) -> None:
        """Forget every cached graph, in memory and on disk (after erasure, DSR-6)."""
        self._memory.clear()
        if self.directory is not None and self.directory.exists():
            for f in self.directory.glob("graph-*.pickle"):
                f.unlink(missing_ok=True)


_SHARED: weakref.WeakKeyDictionary[Governance, GraphCache] = weakref.WeakKeyDictionary()


def shared_cache(gov: Governance) -> GraphCache:
    """The in-process cache of one workspace's governance (used when no cache is given)."""
    cache = _SHARED.get(gov)
    if cache is None:
        cache = GraphCache()
        _SHARED[gov] = cache
    return cache


__all__ = [
    "EVENT_SCHEMAS",
    "EdgeLinks",
    "GraphCache",
    "ViewGraph",
    "add_links",
    "build_full",
    "shared_cache",
    "visibility_key",
]
