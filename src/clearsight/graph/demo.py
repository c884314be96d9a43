"""The link-analysis step of ``clearsight demo``: find the organised group in the phone network.

Handsets are phone numbers (phone records with one number are one handset, whether or
not resolution has merged them). Handsets are joined by their Communication links and
split into Leiden communities; the group is the community holding the most calls
between high-degree handsets (the top tenth by number of partners). Its people are the
people linked to its handsets, directly (phone use) or through an intelligence report
that mentions both; its key players are the people with the highest betweenness in the
group's own call network (people joined when their handsets call each other).

Everything is read through one governed consultation, over the viewer's graph only.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import igraph as ig
import leidenalg

from clearsight.governance.context import Context
from clearsight.governance.gateway import Governance
from clearsight.graph.analysis import SEED
from clearsight.graph.build import ViewGraph, shared_cache
from clearsight.search.captions import captions
from clearsight.store import search_index as si

#: share of handsets (by number of partners) counted as high-degree
HIGH_DEGREE_SHARE = 0.10
KEY_PLAYERS = 3


def _handsets(vg: ViewGraph, numbers: dict[str, str]) -> tuple[list[str], dict[int, int]]:
    """Handset keys (numbers) and the handset of each phone vertex."""
    keys = sorted(set(numbers.values()))
    at = {k: i for i, k in enumerate(keys)}
    return keys, {v: at[numbers[vg.names[v]]] for v in range(len(vg.names)) if vg.names[v] in numbers}


def _call_graph(vg: ViewGraph, handset_of: dict[int, int], n: int) -> tuple[ig.Graph, dict[tuple[int, int], int]]:
    """Handsets joined by Communication links, weighted by the number of calls."""
    calls: dict[tuple[int, int], int] = defaultdict(int)
    for e in range(len(vg.ends)):
        a, b = int(vg.ends[e, 0]), int(vg.ends[e, 1])
        if a not in handset_of or b not in handset_of:
            continue
        ha, hb = handset_of[a], handset_of[b]
        if ha == hb:
            continue
        count = sum(1 for s in vg.links(e).schemas if s == "Communication")
        if count:
            calls[(min(ha, hb), max(ha, hb))] += count
    pairs = sorted(calls)
    g = ig.Graph(n=n, edges=pairs, directed=False)
    g.es["weight"] = [calls[p] for p in pairs]
    return g, dict(calls)


def _people_of(vg: ViewGraph, phone_vertices: list[int]) -> dict[int, set[int]]:
    """People (vertex -> phone vertices) linked to phones directly or through one report."""
    g = vg.graph
    out: dict[int, set[int]] = defaultdict(set)
    for pv in phone_vertices:
        for e in g.incident(pv):
            w = vg.other(e, pv)
            if vg.schemas[w] == "Person":
                out[w].add(pv)
            elif vg.schemas[w] == "IntelligenceReport":
                for e2 in g.incident(w):
                    x = vg.other(e2, w)
                    if vg.schemas[x] == "Person":
                        out[x].add(pv)
    return out


def demo_step(gov: Governance, ctx: Context) -> dict[str, Any]:
    """Find the organised group in the phone network; its size, key players and the community count."""
    start = time.perf_counter()
    with gov.operation(ctx, "consultation", "graph.demo", component="graph") as op:
        vg = shared_cache(gov).get(op)
        phones = [vg.names[v] for v in range(len(vg.names)) if vg.schemas[v] == "Phone"]
        numbers: dict[str, str] = {}
        for r in op.run(si.member_values, canonical_ids=phones, props=["number"]):
            if r.value is not None:
                numbers[r.member.canonical_id] = min(r.value, numbers.get(r.member.canonical_id, r.value))
        keys, handset_of = _handsets(vg, numbers)
        calls, weights = _call_graph(vg, handset_of, len(keys))
        result: dict[str, Any] = {"handsets": len(keys), "calls": int(sum(weights.values())), "communities": 0,
                                  "members": 0, "key_players": []}
        if calls.ecount() == 0:
            op.note(**{k: v for k, v in result.items() if k != "key_players"}, graph=vg.built)
            return {**result, "graph": vg.built, "seconds": round(time.perf_counter() - start, 2)}
        part = leidenalg.find_partition(calls, leidenalg.ModularityVertexPartition, weights="weight", seed=SEED,
                                        n_iterations=-1)
        groups = [sorted(c) for c in part if len(c) > 1]
        degree = calls.degree()
        active = sorted((d for d in degree if d > 0), reverse=True)
        cut = active[max(0, int(len(active) * HIGH_DEGREE_SHARE) - 1)]
        high = {h for h, d in enumerate(degree) if d >= cut}

        def score(grp: list[int]) -> tuple[int, int]:
            inside = set(grp) & high
            return (sum(w for (a, b), w in weights.items() if a in inside and b in inside), len(grp))

        best = max(groups, key=lambda grp: (*score(grp), -grp[0]))
        handsets = set(best)
        phone_vertices = [v for v, h in handset_of.items() if h in handsets]
        people = _people_of(vg, phone_vertices)
        person_list = sorted(people, key=lambda v: vg.names[v])
        local = {v: i for i, v in enumerate(person_list)}
        handsets_of = {p: {handset_of[pv] for pv in people[p]} for p in person_list}
        edges: dict[tuple[int, int], int] = defaultdict(int)
        for i, p in enumerate(person_list):
            for q in person_list[i + 1:]:
                w = sum(weights.get((min(a, b), max(a, b)), 0) for a in handsets_of[p] for b in handsets_of[q])
                if w:
                    edges[(local[p], local[q])] += w
        pg = ig.Graph(n=len(person_list), edges=sorted(edges), directed=False)
        btw = pg.betweenness(directed=False) if pg.vcount() else []
        ranked = sorted(range(len(person_list)), key=lambda i: (-btw[i], vg.names[person_list[i]]))[:KEY_PLAYERS]
        ids = [vg.names[v] for v in person_list]
        names, _ = captions(op, [ids[i] for i in ranked])
        result.update(
            communities=len(groups),
            members=len(person_list),
            group_handsets=len(handsets),
            key_players=[{"id": ids[i], "name": names.get(ids[i], ""), "betweenness": round(float(btw[i]), 3)}
                         for i in ranked],
            member_ids=ids,
        )
        op.record(ids)
        op.note(communities=len(groups), members=len(ids), handsets=len(keys), graph=vg.built)
    return {**result, "graph": vg.built, "seconds": round(time.perf_counter() - start, 2)}


__all__ = ["demo_step"]
