"""The record-by-record clusterer that :func:`clearsight.resolution.cluster.cluster_records` replaced.

Kept as the reference its array-based successor must agree with (see test_units.py): every
record walked in Python, components flagged one at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from clearsight.resolution.cluster import (
    Apart,
    Attributes,
    Edge,
    JudgementRule,
    Membership,
    _Guard,
    _rebuild,
    _summary,
    guard_pairs,
    merge_edges,
)


def reference_cluster_records(
    edges: Sequence[Edge],
    judgements: Sequence[JudgementRule] = (),
    *,
    blocked: Iterable[tuple[str, str]] = (),
    identifiers: Mapping[str, Mapping[str, str]] | None = None,
    attributes: Mapping[str, Attributes] | None = None,
    apart: Apart | None = None,
) -> dict[str, Membership]:
    kept, not_same = merge_edges(edges, judgements)
    if not kept:
        return {}
    guard = _Guard([*blocked, *not_same], identifiers or {}, attributes, apart)
    left = np.array([e.left_id for e in kept], dtype=object)
    right = np.array([e.right_id for e in kept], dtype=object)
    nodes, inverse = np.unique(np.concatenate([left, right]), return_inverse=True)
    n = len(kept)
    graph = coo_matrix((np.ones(n, dtype=np.int8), (inverse[:n], inverse[n:])), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(graph, directed=False)
    comp_of = dict(zip(nodes.tolist(), labels.tolist(), strict=True))
    flagged: set[int] = set()
    for a, b in guard_pairs(guard):
        ca, cb = comp_of.get(a), comp_of.get(b)
        if ca is not None and ca == cb:
            flagged.add(ca)
    if guard.identifiers:
        rows = [(comp_of[node], col, value) for node in comp_of for col, value in guard.identifiers.get(node, {}).items() if value]
        if rows:
            frame = pd.DataFrame(rows, columns=["comp", "col", "value"])
            counts = frame.groupby(["comp", "col"])["value"].nunique()
            flagged.update(int(c) for c in counts[counts > 1].index.get_level_values(0))
    if guard.apart is not None:
        members_by: dict[int, list[str]] = {}
        for node, comp in comp_of.items():
            if guard.bucket(node) is not None:
                members_by.setdefault(comp, []).append(node)
        flagged.update(c for c, found in members_by.items() if len(found) > 1 and c not in flagged and guard.violated_within(found))
    edge_comp = labels[inverse[:n]]
    out: dict[str, Membership] = {}
    by_comp: dict[int, list[Edge]] = {}
    for e, c in zip(kept, edge_comp.tolist(), strict=True):
        by_comp.setdefault(c, []).append(e)
    members_of: dict[int, list[str]] = {}
    for node, c in comp_of.items():
        members_of.setdefault(c, []).append(node)
    for c, comp_edges in by_comp.items():
        groups = _rebuild(members_of[c], comp_edges, guard) if c in flagged else [(members_of[c], comp_edges)]
        for members, used in groups:
            if len(members) < 2:
                continue
            method, score = _summary(used)
            canonical = min(members)
            for m in members:
                out[m] = Membership(canonical, method, score)
    return out
