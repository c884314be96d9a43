"""Link analysis on a viewer's graph: neighbourhoods, paths, measures, communities, brokers.

Pure functions over a :class:`~clearsight.graph.build.ViewGraph`; no store access. The
graph holds only what the viewer may see, so everything here is computed over that.
Results are deterministic: ties break on ids, and community detection is seeded.
"""

from __future__ import annotations

import heapq
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import igraph as ig
import leidenalg
import numpy as np

from clearsight.graph.build import EdgeLinks, ViewGraph
from clearsight.store.graph_queries import LinkColumns

#: involvement categories that make a person a co-offender in a crime
OFFENDING = frozenset({"suspect", "offender"})
SEED = 42
#: above this many vertices, betweenness counts only paths up to this length (and says so)
BETWEENNESS_EXACT_LIMIT = 50_000
BETWEENNESS_CUTOFF = 6


@dataclass(frozen=True)
class Window:
    """Which links to follow: link schemata, node schemata, a time window (ISO days), and
    whether links from E-graded intelligence count (INT-3: not for scoring or linking)."""

    link_schemas: frozenset[str] | None = None
    node_schemas: frozenset[str] | None = None
    since: str | None = None
    until: str | None = None
    include_e_graded: bool = True

    @property
    def unfiltered(self) -> bool:
        return not (self.link_schemas or self.node_schemas or self.since or self.until) and self.include_e_graded

    def passes_all(self, vg: ViewGraph) -> bool:
        """Whether every link of ``vg`` passes (the graph itself can be used as it is)."""
        if self.unfiltered:
            return True
        return not (self.link_schemas or self.node_schemas or self.since or self.until) and vg.e_graded_links == 0

    def _in_time(self, start: str | None, end: str | None) -> bool:
        low = start[:10] if start else None
        high = end[:10] if end else low
        if self.since and high is not None and high < self.since:
            return False
        if self.until and low is not None and low > self.until:
            return False
        return True

    def link_ok(self, links: EdgeLinks, i: int, day: str | None) -> bool:
        """Whether link ``i`` of an edge passes; ``day`` is the event end's date, if any.

        A link dated by its own valid-from/to must overlap the window; otherwise an event
        at one end dates it; undated links between non-events (family, association,
        keepership) are timeless and pass.
        """
        if self.link_schemas and links.schemas[i] not in self.link_schemas:
            return False
        if not self.include_e_graded and links.e_graded[i]:
            return False
        if not (self.since or self.until):
            return True
        if links.valid_from[i] or links.valid_to[i]:
            return self._in_time(links.valid_from[i], links.valid_to[i])
        if day:
            return self._in_time(day, day)
        return True


def edge_day(vg: ViewGraph, e: int) -> str | None:
    """The date of the event at either end of edge ``e``, if one end is a dated event."""
    days = [d for d in (vg.days[int(vg.ends[e, 0])], vg.days[int(vg.ends[e, 1])]) if d]
    return min(days) if days else None


def usable_links(vg: ViewGraph, e: int, window: Window) -> list[int]:
    """Indexes of the links of edge ``e`` that pass ``window``."""
    if window.passes_all(vg):
        return list(range(vg.n_links(e)))
    links = vg.links(e)
    day = edge_day(vg, e) if (window.since or window.until) else None
    return [i for i in range(len(links.ids)) if window.link_ok(links, i, day)]


@dataclass(frozen=True)
class Neighbourhood:
    """Vertices (with hop distance) and edges (with the usable link indexes) around a start."""

    start: int
    hops: dict[int, int]
    edges: dict[int, list[int]]


def neighbourhood(vg: ViewGraph, start: int, hops: int, window: Window) -> Neighbourhood:
    """Breadth-first expansion to ``hops`` following only links that pass ``window``."""
    g = vg.graph
    seen = {start: 0}
    edges: dict[int, list[int]] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        depth = seen[v]
        for e in sorted(g.incident(v)):
            ok = usable_links(vg, e, window)
            if not ok:
                continue
            w = vg.other(e, v)
            if window.node_schemas and w != start and vg.schemas[w] not in window.node_schemas:
                continue
            if w not in seen:
                if depth >= hops:
                    continue
                seen[w] = depth + 1
                queue.append(w)
            edges[e] = ok
    return Neighbourhood(start=start, hops=seen, edges=edges)


def _filtered(vg: ViewGraph, window: Window) -> tuple[ig.Graph, list[int] | None]:
    """The subgraph of edges passing ``window`` (same vertex ids) and the kept edge ids.

    Unfiltered, the graph itself is used and no edge mapping is needed (``None``).
    """
    if window.passes_all(vg):
        return vg.graph, None
    cached = vg.derived.get(window)
    if cached is not None:
        return cached
    n_edges = vg.graph.ecount()
    table = vg.table
    if window.link_schemas:
        ok = np.isin(np.asarray(table.schemas, dtype=object), list(window.link_schemas))
    else:
        ok = np.ones(len(table.ids), dtype=bool)
    if not window.include_e_graded:
        ok &= ~np.asarray(table.e_graded, dtype=bool)
    if window.since or window.until:
        edge_of = np.repeat(np.arange(n_edges), np.diff(vg.ptr))
        days = [edge_day(vg, e) for e in range(n_edges)]
        cand = np.flatnonzero(ok).tolist()
        for i in cand:
            if not window.link_ok(_one(table, i), 0, days[int(edge_of[i])]):
                ok[i] = False
    starts = vg.ptr[:-1]
    edge_ok = np.logical_or.reduceat(ok, starts) if len(ok) else np.zeros(0, dtype=bool)
    if window.node_schemas:
        allowed = np.array([sc in window.node_schemas for sc in vg.schemas], dtype=bool)
        edge_ok &= allowed[vg.ends[:, 0]] & allowed[vg.ends[:, 1]]
    keep = np.flatnonzero(edge_ok).tolist()
    result = (vg.graph.subgraph_edges(keep, delete_vertices=False), keep)
    if len(vg.derived) >= 8:
        vg.derived.clear()
    vg.derived[window] = result
    return result


def view(vg: ViewGraph, window: Window) -> ig.Graph:
    """The graph of the edges with a link passing ``window`` (same vertices, same vertex ids)."""
    return _filtered(vg, window)[0]


def _one(table: LinkColumns, i: int) -> EdgeLinks:
    """Link ``i`` of the table as a one-link edge, for :meth:`Window.link_ok`."""
    return EdgeLinks(
        ids=[table.ids[i]], schemas=[table.schemas[i]], valid_from=[table.valid_from[i]],
        valid_to=[table.valid_to[i]], markings=[table.markings[i]], categories=[table.categories[i]],
        sources=[table.sources[i]], e_graded=[table.e_graded[i]],
    )


#: most vertices one path query may reach before it stops and says so (k-shortest paths)
PATH_VISIT_BUDGET = 2_000_000


class _Budget:
    """Vertices a path query may still reach; spent by every search it runs."""

    def __init__(self, visits: int) -> None:
        self.left = visits
        self.exhausted = False

    def spend(self, n: int) -> bool:
        self.left -= n
        if self.left < 0:
            self.exhausted = True
        return not self.exhausted


def _pair(u: int, v: int) -> tuple[int, int]:
    return (u, v) if u < v else (v, u)


def _expand(
    g: ig.Graph,
    frontier: list[int],
    mine: dict[int, int],
    other: dict[int, int],
    depth: dict[int, int],
    banned_v: set[int] | frozenset[int],
    banned_e: set[tuple[int, int]] | frozenset[tuple[int, int]],
) -> tuple[list[int], tuple[int, int] | None]:
    """One full level of breadth-first search; the best meeting with the other side, if any.

    ``mine`` maps each vertex this side reached to its parent (-1 at the start); ``depth``
    holds the depth of every vertex either side reached. A meeting (v, w) joins v on this
    side to w on the other; every meeting found on one full level has the fewest links
    possible, and the first found is kept, so the same graph always gives the same path.
    """
    nxt: list[int] = []
    best: tuple[int, int] | None = None
    best_len = -1
    for v in frontier:
        dv = depth[v]
        for w in g.neighbors(v):
            if w in mine or w in banned_v or (banned_e and _pair(v, w) in banned_e):
                continue
            if w in other:
                total = dv + 1 + depth[w]
                if best is None or total < best_len:
                    best, best_len = (v, w), total
                continue
            if best is None:
                mine[w] = v
                depth[w] = dv + 1
                nxt.append(w)
    return nxt, best


def _walk(parents: dict[int, int], v: int) -> list[int]:
    out = [v]
    while parents[out[-1]] != -1:
        out.append(parents[out[-1]])
    return out


def shortest_vertices(
    g: ig.Graph,
    a: int,
    b: int,
    *,
    banned_v: set[int] | frozenset[int] = frozenset(),
    banned_e: set[tuple[int, int]] | frozenset[tuple[int, int]] = frozenset(),
    budget: _Budget | None = None,
) -> list[int] | None:
    """The vertices of one path with the fewest links from ``a`` to ``b``, or None.

    Bidirectional breadth-first search, always growing the smaller side: it reaches far
    fewer vertices than a search from one end (about the square root on sparse graphs),
    and when ``b`` is cut off it stops as soon as the smaller side runs out. Vertices in
    ``banned_v`` and edges (vertex pairs) in ``banned_e`` are not used.
    """
    if a == b:
        return [a]
    if a in banned_v or b in banned_v:
        return None
    from_a: dict[int, int] = {a: -1}
    from_b: dict[int, int] = {b: -1}
    # the two sides never share a vertex (reaching the other side is a meeting), so one map holds both
    depth: dict[int, int] = {a: 0, b: 0}
    front_a, front_b = [a], [b]
    while front_a and front_b:
        if len(front_a) <= len(front_b):
            front_a, meet = _expand(g, front_a, from_a, from_b, depth, banned_v, banned_e)
        else:
            front_b, meet_b = _expand(g, front_b, from_b, from_a, depth, banned_v, banned_e)
            meet = (meet_b[1], meet_b[0]) if meet_b else None
        if budget is not None and not budget.spend(len(front_a) + len(front_b)):
            return None
        if meet is not None:
            left = _walk(from_a, meet[0])
            left.reverse()
            return left + _walk(from_b, meet[1])
    return None


def k_shortest_vertices(g: ig.Graph, a: int, b: int, k: int, budget: _Budget) -> list[list[int]]:
    """Up to ``k`` loopless paths from ``a`` to ``b``, fewest links first (Yen's algorithm).

    Each spur search is a bidirectional breadth-first search; all of them share ``budget``,
    so a query on a huge component stops with the paths found so far.
    """
    first = shortest_vertices(g, a, b, budget=budget)
    if not first:
        return []
    found = [first]
    seen = {tuple(first)}
    heap: list[tuple[int, list[int]]] = []
    while len(found) < k:
        last = found[-1]
        for i in range(len(last) - 1):
            root = last[: i + 1]
            banned_e = {_pair(p[i], p[i + 1]) for p in found if len(p) > i + 1 and p[: i + 1] == root}
            tail = shortest_vertices(g, last[i], b, banned_v=set(root[:-1]), banned_e=banned_e, budget=budget)
            if budget.exhausted:
                return found
            if tail:
                cand = root[:-1] + tail
                if tuple(cand) not in seen:
                    seen.add(tuple(cand))
                    heapq.heappush(heap, (len(cand), cand))
        if not heap:
            break
        found.append(heapq.heappop(heap)[1])
    return found


@dataclass(frozen=True)
class PathSearch:
    """Shortest paths found (as edge ids of the viewer's graph) and whether the search was cut short."""

    paths: list[list[int]]
    complete: bool = True


def find_paths(vg: ViewGraph, a: int, b: int, k: int = 1, window: Window | None = None) -> PathSearch:
    """Up to ``k`` shortest paths from ``a`` to ``b`` (fewest links first), over links passing ``window``.

    Paths with the same number of links come in a fixed order for the same graph. For
    ``k > 1`` the search reaches at most :data:`PATH_VISIT_BUDGET` vertices in all; when
    that runs out, the paths found so far come back with ``complete`` false.
    """
    win = window or Window()
    g, _kept = _filtered(vg, win)
    if a == b:
        return PathSearch([])
    budget = _Budget(PATH_VISIT_BUDGET)
    if k <= 1:
        one = shortest_vertices(g, a, b)
        vertex_paths = [one] if one else []
    else:
        vertex_paths = k_shortest_vertices(g, a, b, k, budget)
    # one edge per pair of vertices, in the filtered graph and the full one alike
    out = [[vg.graph.get_eid(u, v) for u, v in zip(p, p[1:], strict=False)] for p in vertex_paths]
    return PathSearch(out, complete=not budget.exhausted)


def paths(vg: ViewGraph, a: int, b: int, k: int = 1, window: Window | None = None) -> list[list[int]]:
    """Up to ``k`` shortest paths from ``a`` to ``b`` as lists of edge ids (fewest links first)."""
    return find_paths(vg, a, b, k, window).paths


def path_vertices(vg: ViewGraph, a: int, edge_path: Sequence[int]) -> list[int]:
    """The vertices visited by an edge path starting at ``a``."""
    out = [a]
    for e in edge_path:
        out.append(vg.other(e, out[-1]))
    return out


@dataclass(frozen=True)
class Measures:
    """Centrality per vertex, and how betweenness was computed."""

    degree: list[int]
    betweenness: list[float]
    pagerank: list[float]
    betweenness_method: str


def measures(g: ig.Graph) -> Measures:
    """Degree, betweenness (exact up to a size, else path-length limited) and PageRank."""
    if g.vcount() == 0:
        return Measures([], [], [], "exact")
    if g.vcount() <= BETWEENNESS_EXACT_LIMIT:
        btw = g.betweenness(directed=False)
        method = "exact"
    else:
        btw = g.betweenness(directed=False, cutoff=BETWEENNESS_CUTOFF)
        method = f"paths of at most {BETWEENNESS_CUTOFF} links (graph above {BETWEENNESS_EXACT_LIMIT} nodes)"
    return Measures(
        degree=list(g.degree()),
        betweenness=[float(x) for x in btw],
        pagerank=[float(x) for x in g.pagerank(directed=False)],
        betweenness_method=method,
    )


def communities(g: ig.Graph, *, weights: str | None = None, seed: int = SEED) -> list[list[int]]:
    """Leiden communities (modularity, seeded), largest first, ties by smallest vertex."""
    if g.vcount() == 0:
        return []
    part = leidenalg.find_partition(
        g, leidenalg.ModularityVertexPartition, weights=weights, seed=seed, n_iterations=-1
    )
    groups = [sorted(c) for c in part if c]
    groups.sort(key=lambda c: (-len(c), c[0]))
    return groups


@dataclass
class CoOffending:
    """People linked through crimes in which both were suspects or offenders."""

    graph: ig.Graph
    #: per edge: the crimes (canonical ids) and the involvement link ids behind it
    crimes: list[list[str]] = field(default_factory=list)
    links: list[list[str]] = field(default_factory=list)


def co_offending(vg: ViewGraph, window: Window | None = None) -> CoOffending:
    """Project the graph onto people who share crimes as suspects or offenders."""
    win = window or Window()
    g = vg.graph
    names = vg.names
    offenders: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    crime_vertices = [v for v, sc in enumerate(vg.schemas) if sc == "Crime"]
    for c in crime_vertices:
        for e in g.incident(c):
            other = vg.other(e, c)
            if vg.schemas[other] != "Person":
                continue
            links = vg.links(e)
            for i in usable_links(vg, e, win):
                if links.schemas[i] == "Involvement" and links.categories[i] in OFFENDING:
                    offenders[c][other].append(links.ids[i])
    pair_crimes: dict[tuple[int, int], list[str]] = defaultdict(list)
    pair_links: dict[tuple[int, int], list[str]] = defaultdict(list)
    for c, people in offenders.items():
        members = sorted(people)
        for i, p in enumerate(members):
            for q in members[i + 1 :]:
                pair_crimes[(p, q)].append(names[c])
                pair_links[(p, q)].extend(people[p] + people[q])
    persons = sorted({p for pair in pair_crimes for p in pair}, key=lambda v: names[v])
    local = {v: i for i, v in enumerate(persons)}
    pairs = sorted(pair_crimes, key=lambda pq: (names[pq[0]], names[pq[1]]))
    h = ig.Graph(n=len(persons), edges=[(local[p], local[q]) for p, q in pairs], directed=False)
    h.vs["name"] = [names[v] for v in persons]
    h.vs["schema"] = ["Person"] * len(persons)
    h.es["weight"] = [len(pair_crimes[pq]) for pq in pairs]
    return CoOffending(
        graph=h,
        crimes=[sorted(pair_crimes[pq]) for pq in pairs],
        links=[sorted(set(pair_links[pq])) for pq in pairs],
    )


@dataclass(frozen=True)
class Broker:
    """A vertex whose links reach several communities."""

    vertex: int
    communities: tuple[int, ...]
    betweenness: float


def brokers(g: ig.Graph, groups: list[list[int]], betweenness: list[float]) -> list[Broker]:
    """Vertices with neighbours in two or more communities other than their own, by betweenness."""
    membership = {v: n for n, grp in enumerate(groups) for v in grp}
    out: list[Broker] = []
    for v in range(g.vcount()):
        reached = {membership[w] for w in g.neighbors(v) if w in membership}
        reached.add(membership.get(v, -1))
        reached.discard(-1)
        if len(reached) >= 2:
            out.append(Broker(v, tuple(sorted(reached)), betweenness[v]))
    out.sort(key=lambda b: (-len(b.communities), -b.betweenness, g.vs[b.vertex]["name"]))
    return out


def key_players(g: ig.Graph, group: list[int], *, top: int = 3) -> list[tuple[int, float]]:
    """The ``top`` vertices of one community by betweenness within that community."""
    sub = g.subgraph(group)
    btw = sub.betweenness(directed=False)
    ranked = sorted(range(len(group)), key=lambda i: (-btw[i], sub.vs[i]["name"]))
    return [(group[i], float(btw[i])) for i in ranked[:top]]


__all__ = [
    "Broker",
    "CoOffending",
    "Measures",
    "Neighbourhood",
    "Window",
    "brokers",
    "co_offending",
    "communities",
    "key_players",
    "measures",
    "neighbourhood",
    "path_vertices",
    "paths",
    "find_paths",
    "view",
]
