"""Governed link analysis: each call is one audited consultation over the viewer's graph.

Every result names the nodes and links it shows (audit subjects, LOG-2), carries the
marking of its inputs (ACC-4), says how the graph was obtained (cached, incremental or
full build) and explains itself (ALG-4): paths list the source records behind every
link with sources, dates, data-subject categories and intelligence grades (INT-3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import igraph as ig

from clearsight.errors import InvalidValue, NotFound
from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance, Operation
from clearsight.governance.markings import Marking, combine
from clearsight.graph import analysis as an
from clearsight.graph.build import GraphCache, ViewGraph, shared_cache
from clearsight.search.captions import captions
from clearsight.search.keys import day_key
from clearsight.store import graph_queries as gq
from clearsight.store import search_index as si

GRADE_PROPS = ("sourceEvaluation", "intelligenceAssessment", "handlingCode")


@dataclass
class Network:
    """Nodes and edges to show, with the product's marking and explanation."""

    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    marking: Marking
    built: str
    explanation: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "marking": self.marking.label(),
            "graph": self.built,
            "nodes": self.nodes,
            "edges": self.edges,
            "explanation": self.explanation,
        }

    def link_ids(self) -> list[str]:
        return sorted({lk["id"] for e in self.edges for lk in e["links"]})


E_GRADED_NOTE = "links from intelligence graded E (intelligence assessment) are left out (INT-3)"


def _window(
    link_schemas: Sequence[str] | None,
    node_schemas: Sequence[str] | None,
    since: str | None,
    until: str | None,
    include_e_graded: bool = True,
) -> an.Window:
    return an.Window(
        link_schemas=frozenset(link_schemas) if link_schemas else None,
        node_schemas=frozenset(node_schemas) if node_schemas else None,
        since=day_key(since) if since else None,
        until=day_key(until) if until else None,
        include_e_graded=include_e_graded,
    )


def _e_graded_explanation(vg: ViewGraph, include_e_graded: bool) -> str:
    if include_e_graded:
        return f"included on request ({vg.e_graded_links} links)"
    return f"{E_GRADED_NOTE}: {vg.e_graded_links} links"


def _cache(gov: Governance, cache: GraphCache | None) -> GraphCache:
    """The cache given, or the workspace's in-process cache (graphs per viewer and data version)."""
    return cache if cache is not None else shared_cache(gov)


def _resolve(op: Operation, vg: ViewGraph, entity_id: str) -> tuple[str, int | None]:
    canonical = op.run(si.canonical_of, entity_id=entity_id)
    if canonical is None:
        raise NotFound(f"no entity {entity_id!r}")
    return canonical, vg.vertex(canonical)


def _edge_dict(vg: ViewGraph, op: Operation, e: int, usable: Sequence[int]) -> dict[str, Any]:
    links = vg.links(e)
    return {
        "source": vg.name(int(vg.ends[e, 0])),
        "target": vg.name(int(vg.ends[e, 1])),
        "links": [
            {
                "id": links.ids[i],
                "schema": links.schemas[i],
                "from": links.sources[i],
                "category": links.categories[i],
                "valid_from": links.valid_from[i],
                "valid_to": links.valid_to[i],
                "marking": op.marking(links.markings[i]).label(),
                **({"e_graded": True} if links.e_graded[i] else {}),
            }
            for i in usable
        ],
    }


def describe(
    op: Operation,
    vg: ViewGraph,
    vertices: Sequence[int],
    edges: dict[int, list[int]],
    extra: dict[int, dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Marking]:
    """Node and edge records for display, and the combined marking of everything shown."""
    names = [vg.name(v) for v in vertices]
    caption_of, members_of = captions(op, names)
    nodes = []
    marks: list[Marking] = []
    for v, name in zip(vertices, names, strict=True):
        members = members_of.get(name, [])
        marks.extend(op.marking(m.marking_id) for m in members)
        node: dict[str, Any] = {
            "id": name,
            "schema": vg.schemas[v],
            "caption": caption_of.get(name, name[:8]),
            "members": [m.entity_id for m in members],
        }
        if vg.days[v]:
            node["date"] = vg.days[v]
        node.update((extra or {}).get(v, {}))
        nodes.append(node)
    edge_rows = []
    for e in sorted(edges, key=lambda e: (vg.name(int(vg.ends[e, 0])), vg.name(int(vg.ends[e, 1])))):
        usable = edges[e]
        links = vg.links(e)
        marks.extend(op.marking(links.markings[i]) for i in usable)
        edge_rows.append(_edge_dict(vg, op, e, usable))
    op.record(names)
    op.record(m for n in nodes for m in n["members"])
    op.record(lk["id"] for er in edge_rows for lk in er["links"])
    return nodes, edge_rows, combine(marks) if marks else Marking()


def neighbours(
    gov: Governance,
    ctx: Context,
    entity_id: str,
    *,
    hops: int = 2,
    link_schemas: Sequence[str] | None = None,
    node_schemas: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    cache: GraphCache | None = None,
) -> Network:
    """The network within ``hops`` links of an entity, following links that pass the filters."""
    if hops < 1:
        raise InvalidValue("hops", hops, "must be at least 1")
    window = _window(link_schemas, node_schemas, since, until)
    with gov.operation(ctx, "consultation", "graph.neighbours", component="graph") as op:
        vg = _cache(gov, cache).get(op)
        canonical, v = _resolve(op, vg, entity_id)
        if v is None:
            nodes, edges, marking = _isolated(op, canonical)
        else:
            hood = an.neighbourhood(vg, v, hops, window)
            order = sorted(hood.hops, key=lambda x: (hood.hops[x], vg.name(x)))
            nodes, edges, marking = describe(op, vg, order, hood.edges, {x: {"hop": hood.hops[x]} for x in order})
        op.note(start=canonical, hops=hops, nodes=len(nodes), edges=len(edges), graph=vg.built)
    return Network(nodes, edges, marking, vg.built, {
        "hops": hops,
        "filters": {"link_schemas": sorted(window.link_schemas or []), "node_schemas": sorted(window.node_schemas or []),
                    "since": window.since, "until": window.until},
        "limits": "Only links you may see, with both ends visible; undated links between non-events pass time filters.",
    })


def _isolated(op: Operation, canonical: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Marking]:
    caption_of, members_of = captions(op, [canonical])
    members = members_of.get(canonical, [])
    op.record([canonical, *(m.entity_id for m in members)])
    node = {"id": canonical, "schema": members[0].schema if members else "", "caption": caption_of.get(canonical, ""),
            "members": [m.entity_id for m in members], "hop": 0}
    return [node], [], combine(op.marking(m.marking_id) for m in members)


def evidence(op: Operation, link_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The source record behind each link: source, record key, schema, dates, 3x5x2 grades (INT-3).

    One query for the links and the grades of their source records together.
    """
    rows = op.run(gq.link_evidence, link_ids=list(link_ids), grade_props=GRADE_PROPS)
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out[r.id] = {
            "link": r.id,
            "schema": r.schema,
            "source": r.source,
            "record_key": r.record_key,
            "ingest_run": r.run_id,
            "from_entity": r.source_id,
            "to_entity": r.target_id,
            "valid_from": r.valid_from,
            "valid_to": r.valid_to,
            "kind": r.kind,
            "category": r.properties.get("category") if r.schema == "Involvement" else None,
            "grading": dict(r.grading) or None,
            "marking": op.marking(r.marking_id).label(),
        }
    return out


@dataclass
class PathResult:
    """Paths between two entities, each step with the records that evidence it."""

    start: str
    end: str
    paths: list[dict[str, Any]]
    marking: Marking
    built: str
    explanation: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "marking": self.marking.label(), "graph": self.built,
                "paths": self.paths, "explanation": self.explanation}


def path(
    gov: Governance,
    ctx: Context,
    a: str,
    b: str,
    *,
    k: int = 1,
    link_schemas: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    include_e_graded: bool = False,
    cache: GraphCache | None = None,
) -> PathResult:
    """Up to ``k`` shortest paths between two entities over visible links, with evidence.

    Links from E-graded intelligence are not followed unless ``include_e_graded`` (INT-3).
    For ``k`` above 1 on a very large component the search is bounded and says so.
    """
    if k < 1:
        raise InvalidValue("k", k, "must be at least 1")
    window = _window(link_schemas, None, since, until, include_e_graded)
    with gov.operation(ctx, "consultation", "graph.path", component="graph") as op:
        vg = _cache(gov, cache).get(op)
        ca, va = _resolve(op, vg, a)
        cb, vb = _resolve(op, vg, b)
        search = an.find_paths(vg, va, vb, k, window) if va is not None and vb is not None else an.PathSearch([])
        found = search.paths
        all_links = sorted({lid for p in found for e in p for lid in _usable_ids(vg, e, window)})
        proof = evidence(op, all_links)
        out: list[dict[str, Any]] = []
        marks: list[Marking] = []
        shown: set[int] = set()
        for p in found:
            verts = an.path_vertices(vg, va, p) if va is not None else []
            shown.update(verts)
            steps = []
            for i, e in enumerate(p):
                ids = _usable_ids(vg, e, window)
                steps.append({
                    "from": vg.name(verts[i]),
                    "to": vg.name(verts[i + 1]),
                    "evidence": [proof[x] for x in ids if x in proof],
                })
            out.append({"length": len(p), "nodes": [vg.name(v) for v in verts], "steps": steps})
        if shown:
            nodes, _, node_mark = describe(op, vg, sorted(shown, key=vg.name), {})
            marks.append(node_mark)
            info = {n["id"]: n for n in nodes}
            for p2 in out:
                p2["node_details"] = [info[n] for n in p2["nodes"]]
        marks.extend(op.marking(m) for e in {e for p in found for e in p} for m in vg.links(e).markings)
        op.record(all_links)
        op.note(start=ca, end=cb, k=k, paths=len(out), complete=search.complete, graph=vg.built)
    explanation = {
        "k": k,
        "method": "fewest links (bidirectional breadth-first search; Yen's algorithm for k > 1)",
        "complete": search.complete,
        "e_graded": _e_graded_explanation(vg, include_e_graded),
        "limits": "Only links you may see, with both ends visible. A path is a chain of records, not evidence of "
                  "association; read the evidence and grades of every step.",
    }
    if not search.complete:
        explanation["bound"] = (f"the search stopped after reaching {an.PATH_VISIT_BUDGET} nodes; "
                                f"{len(out)} of {k} paths found")
    return PathResult(ca, cb, out, combine(marks) if marks else Marking(), vg.built, explanation)


def _usable_ids(vg: ViewGraph, e: int, window: an.Window) -> list[str]:
    links = vg.links(e)
    return [links.ids[i] for i in an.usable_links(vg, e, window)]


def _projection(
    vg: ViewGraph, node_schemas: Sequence[str] | None, include_e_graded: bool
) -> tuple[ig.Graph, list[int]]:
    """The graph for scoring: E-graded intelligence left out unless asked for (INT-3), and
    restricted to some node schemata (vertex ids mapped back via the list)."""
    g = an.view(vg, an.Window(include_e_graded=include_e_graded))
    if not node_schemas:
        return g, list(range(g.vcount()))
    wanted = set(node_schemas)
    keep = [v for v, sc in enumerate(vg.schemas) if sc in wanted]
    return g.subgraph(keep), keep


def network_measures(
    gov: Governance,
    ctx: Context,
    *,
    top: int = 20,
    node_schemas: Sequence[str] | None = None,
    include_e_graded: bool = False,
    cache: GraphCache | None = None,
) -> Network:
    """Degree, betweenness and PageRank; the ``top`` nodes by betweenness, with all three.

    Links from E-graded intelligence do not count unless ``include_e_graded`` (INT-3).
    """
    with gov.operation(ctx, "consultation", "graph.measures", component="graph") as op:
        vg = _cache(gov, cache).get(op)
        g, back = _projection(vg, node_schemas, include_e_graded)
        m = an.measures(g)
        ranked = sorted(range(g.vcount()), key=lambda i: (-m.betweenness[i], -m.degree[i], g.vs[i]["name"]))[:top]
        extra = {
            back[i]: {"degree": m.degree[i], "betweenness": round(m.betweenness[i], 6), "pagerank": round(m.pagerank[i], 8),
                      "rank": n + 1}
            for n, i in enumerate(ranked)
        }
        verts = [back[i] for i in ranked]
        nodes, edges, marking = describe(op, vg, verts, {}, extra)
        op.note(top=top, nodes=g.vcount(), edges=g.ecount(), graph=vg.built)
    return Network(nodes, edges, marking, vg.built, {
        "graph_nodes": g.vcount(),
        "graph_edges": g.ecount(),
        "betweenness": m.betweenness_method,
        "pagerank": "damping 0.85, undirected",
        "e_graded": _e_graded_explanation(vg, include_e_graded),
        "limits": "Centrality measures connectedness in the records you may see, not importance or guilt.",
    })


@dataclass
class CommunityReport:
    """Communities with their members, key players and the brokers between them."""

    communities: list[dict[str, Any]]
    brokers: list[dict[str, Any]]
    marking: Marking
    built: str
    explanation: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"marking": self.marking.label(), "graph": self.built, "communities": self.communities,
                "brokers": self.brokers, "explanation": self.explanation}


def _community_report(
    op: Operation, vg: ViewGraph, g: ig.Graph, back: list[int], min_size: int, weights: str | None,
    edge_marks: list[Marking],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Marking]:
    groups = an.communities(g, weights=weights)
    btw = g.betweenness(directed=False) if g.vcount() <= an.BETWEENNESS_EXACT_LIMIT else g.betweenness(
        directed=False, cutoff=an.BETWEENNESS_CUTOFF)
    shown = [grp for grp in groups if len(grp) >= min_size]
    verts = sorted({back[v] for grp in shown for v in grp}, key=vg.name)
    brokers_found = an.brokers(g, groups, btw)[:20]
    verts = sorted(set(verts) | {back[b.vertex] for b in brokers_found}, key=vg.name)
    nodes, _, marking = describe(op, vg, verts, {})
    info = {n["id"]: n for n in nodes}
    out = []
    for n, grp in enumerate(shown):
        players = an.key_players(g, grp)
        out.append({
            "community": n,
            "size": len(grp),
            "members": [info[g.vs[v]["name"]] for v in sorted(grp, key=lambda v: g.vs[v]["name"])],
            "key_players": [{"id": g.vs[v]["name"], "betweenness_within": round(b, 6)} for v, b in players],
        })
    bro = [
        {"id": g.vs[b.vertex]["name"], "communities": [c for c in b.communities if c < len(shown)],
         "small_groups_reached": len([c for c in b.communities if c >= len(shown)]),
         "betweenness": round(b.betweenness, 6)}
        for b in brokers_found
    ]
    return out, bro, combine([marking, *edge_marks])


def network_communities(
    gov: Governance,
    ctx: Context,
    *,
    node_schemas: Sequence[str] | None = None,
    min_size: int = 3,
    include_e_graded: bool = False,
    cache: GraphCache | None = None,
) -> CommunityReport:
    """Leiden communities of the viewer's graph (optionally of some node schemata only).

    Links from E-graded intelligence do not count unless ``include_e_graded`` (INT-3).
    """
    with gov.operation(ctx, "consultation", "graph.communities", component="graph") as op:
        vg = _cache(gov, cache).get(op)
        g, back = _projection(vg, node_schemas, include_e_graded)
        mids = set(vg.table.markings)
        marks = [op.marking(m) for m in sorted(mids)]
        comms, bro, marking = _community_report(op, vg, g, back, min_size, None, marks)
        op.note(communities=len(comms), nodes=g.vcount(), graph=vg.built)
    return CommunityReport(comms, bro, marking, vg.built, {
        "method": f"Leiden, modularity, seed {an.SEED}",
        "nodes": g.vcount(),
        "edges": g.ecount(),
        "min_size": min_size,
        "e_graded": _e_graded_explanation(vg, include_e_graded),
        "limits": "Communities are dense groups of records you may see; membership is not evidence of association.",
    })


def co_offending(
    gov: Governance,
    ctx: Context,
    *,
    min_size: int = 2,
    since: str | None = None,
    until: str | None = None,
    include_e_graded: bool = False,
    cache: GraphCache | None = None,
) -> CommunityReport:
    """People linked through crimes they share as suspects or offenders; groups and brokers.

    Links from E-graded intelligence do not count unless ``include_e_graded`` (INT-3).
    """
    window = _window(None, None, since, until, include_e_graded)
    with gov.operation(ctx, "consultation", "graph.co-offending", component="graph") as op:
        vg = _cache(gov, cache).get(op)
        co = an.co_offending(vg, window)
        h = co.graph
        back = [vg.index[n] for n in h.vs["name"]]
        link_rows = op.run(gq.link_evidence, link_ids=sorted({x for ids in co.links for x in ids}))
        marks = [op.marking(m) for m in sorted({r.marking_id for r in link_rows})]
        comms, bro, marking = _community_report(op, vg, h, back, min_size, "weight", marks)
        for c in comms:
            inside = {m["id"] for m in c["members"]}
            c["shared_crimes"] = [
                {"people": [h.vs[e.source]["name"], h.vs[e.target]["name"]], "crimes": co.crimes[e.index],
                 "links": co.links[e.index]}
                for e in h.es if h.vs[e.source]["name"] in inside and h.vs[e.target]["name"] in inside
            ]
        op.record(r.id for r in link_rows)
        op.note(people=h.vcount(), pairs=h.ecount(), communities=len(comms), graph=vg.built)
    return CommunityReport(comms, bro, marking, vg.built, {
        "method": f"people sharing a crime as suspect or offender; weight = shared crimes; Leiden seed {an.SEED}",
        "people": h.vcount(),
        "pairs": h.ecount(),
        "e_graded": _e_graded_explanation(vg, include_e_graded),
        "limits": "Suspect involvement is an allegation, not a finding; shared crimes come from records you may see.",
    })


__all__ = [
    "CommunityReport",
    "Network",
    "PathResult",
    "co_offending",
    "describe",
    "evidence",
    "neighbours",
    "network_communities",
    "network_measures",
    "path",
]
