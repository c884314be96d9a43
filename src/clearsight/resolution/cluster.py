"""Clustering source records into canonical entities, with human judgements on top.

A canonical entity is a connected component of *merge edges*: pairs the model scored above
the merge threshold, pairs sharing a strong identifier, and pairs a person judged 'same'.
Before the components are formed:

* a 'not_same' judgement removes its pair's edge, and the two records may never end up in
  one cluster, even through others (a cannot-link constraint);
* a 'split' judgement cuts the record from every model and identifier edge: it stays on its
  own unless a person links it with 'same';
* pairs the rules blocked (conflicting strong identifiers, the twin rule) are cannot-link
  constraints too, and a cluster may never hold two different values of one strong
  identifier unless a person put them there;
* a cluster may never hold two records a pairwise rule keeps apart (``apart``, the
  household and twin rules), even when the model never scored that pair directly but would join them through
  a third record.

Components that break no constraint are kept whole (the common case, computed with sparse
connected components). A component that would break one is rebuilt edge by edge, human
edges first, then identifier edges, then model edges by descending score, skipping any edge
that would join records that must stay apart.

The canonical id of a cluster is its smallest member entity id. It stays the same across
re-runs while the membership is unchanged, and even when new records join (unless one of
them has a smaller id); a hash of the member ids would change with every new member. This
module is pure: no store, no DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: edge methods, strongest first (the order a rebuilt component takes them in)
METHOD_ORDER = {"human": 0, "deterministic": 1, "model": 2}


@dataclass(frozen=True)
class Edge:
    """A reason to put two records in one cluster."""

    left_id: str
    right_id: str
    score: float
    method: str  # 'model' | 'deterministic' | 'human'


@dataclass(frozen=True)
class JudgementRule:
    """A live human judgement, as the clusterer needs it."""

    left_id: str
    right_id: str
    judgement: str  # 'same' | 'not_same' | 'split'


@dataclass(frozen=True)
class Membership:
    """Where one record sits: its cluster's canonical id and how the cluster was made."""

    canonical_id: str
    method: str
    score: float | None


def pair_key(a: str, b: str) -> tuple[str, str]:
    """The order-free key of a pair."""
    return (a, b) if a <= b else (b, a)


Attributes = Mapping[str, str | None]
Apart = Callable[[Attributes, Attributes], bool]


class _Guard:
    """Cannot-link pairs, strong identifier values and pairwise rules, checked when groups would join."""

    def __init__(
        self,
        cannot: Iterable[tuple[str, str]],
        identifiers: Mapping[str, Mapping[str, str]],
        attributes: Mapping[str, Attributes] | None = None,
        apart: Apart | None = None,
        key: tuple[str, ...] = ("surname",),
    ) -> None:
        self.cannot: dict[str, set[str]] = {}
        for a, b in cannot:
            self.cannot.setdefault(a, set()).add(b)
            self.cannot.setdefault(b, set()).add(a)
        self.identifiers = identifiers
        self.attributes = attributes or {}
        self.apart = apart
        self.key = key

    def bucket(self, node: str) -> tuple[str | None, ...] | None:
        attrs = self.attributes.get(node)
        if attrs is None or self.apart is None:
            return None
        key = tuple(attrs.get(k) for k in self.key)
        return None if any(v is None for v in key) else key

    def kept_apart(self, a: Iterable[str], b: Iterable[str]) -> bool:
        """Whether the pairwise rule keeps any record of ``a`` from any record of ``b``."""
        if self.apart is None:
            return False
        buckets: dict[tuple[str | None, ...], list[str]] = {}
        for node in a:
            k = self.bucket(node)
            if k is not None:
                buckets.setdefault(k, []).append(node)
        if not buckets:
            return False
        for node in b:
            k = self.bucket(node)
            if k is None:
                continue
            for other in buckets.get(k, ()):
                if self.apart(self.attributes[node], self.attributes[other]):
                    return True
        return False

    def violated_within(self, members: Sequence[str]) -> bool:
        """Whether a group already holds two records the pairwise rule keeps apart."""
        if self.apart is None:
            return False
        buckets: dict[tuple[str | None, ...], list[str]] = {}
        for node in members:
            k = self.bucket(node)
            if k is not None:
                buckets.setdefault(k, []).append(node)
        for nodes in buckets.values():
            for i, x in enumerate(nodes):
                for y in nodes[i + 1 :]:
                    if self.apart(self.attributes[x], self.attributes[y]):
                        return True
        return False

    def compatible(self, a: list[str], b: list[str], ids_a: dict[str, set[str]], ids_b: dict[str, set[str]]) -> bool:
        small, big = (a, b) if len(a) <= len(b) else (b, a)
        big_set = set(big)
        for node in small:
            if self.cannot.get(node, set()) & big_set:
                return False
        for col, values in ids_a.items():
            other = ids_b.get(col)
            if other and values and not (values & other):
                return False
        return not self.kept_apart(a, b)

    def ids_of(self, node: str) -> dict[str, set[str]]:
        return {col: {v} for col, v in self.identifiers.get(node, {}).items() if v}


def _rebuild(nodes: Sequence[str], edges: list[Edge], guard: _Guard) -> list[tuple[list[str], list[Edge]]]:
    """Constrained union-find over one component; returns (members, accepted edges) groups."""
    parent = {n: n for n in nodes}
    members = {n: [n] for n in nodes}
    ids = {n: guard.ids_of(n) for n in nodes}
    accepted: dict[str, list[Edge]] = {n: [] for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ordered = sorted(edges, key=lambda e: (METHOD_ORDER.get(e.method, 9), -e.score, e.left_id, e.right_id))
    for e in ordered:
        ra, rb = find(e.left_id), find(e.right_id)
        if ra == rb:
            accepted[ra].append(e)
            continue
        if e.method != "human":
            if not guard.compatible(members[ra], members[rb], ids[ra], ids[rb]):
                continue
        elif guard.cannot.get(e.left_id, set()) & {e.right_id}:
            continue
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra].extend(members.pop(rb))
        for col, values in ids.pop(rb).items():
            ids[ra].setdefault(col, set()).update(values)
        accepted[ra].extend(accepted.pop(rb))
        accepted[ra].append(e)
    return [(members[r], accepted[r]) for r in members]


def _summary(edges: Iterable[Edge]) -> tuple[str, float | None]:
    methods = set()
    model_scores = []
    for e in edges:
        methods.add(e.method)
        if e.method == "model":
            model_scores.append(e.score)
    method = "human" if "human" in methods else "model" if "model" in methods else "deterministic"
    return method, (min(model_scores) if model_scores else 1.0)


def merge_edges(edges: Sequence[Edge], judgements: Sequence[JudgementRule]) -> tuple[list[Edge], set[tuple[str, str]]]:
    """The edges clustering joins on, after the judgements, and the pairs judged 'not_same'.

    A 'not_same' judgement removes its pair's edge, a 'split' every edge of its record, and
    a 'same' judgement adds a human edge.
    """
    not_same = {pair_key(j.left_id, j.right_id) for j in judgements if j.judgement == "not_same"}
    split = {j.left_id for j in judgements if j.judgement == "split"}
    kept = [
        e
        for e in edges
        if pair_key(e.left_id, e.right_id) not in not_same and e.left_id not in split and e.right_id not in split
    ]
    kept.extend(Edge(*pair_key(j.left_id, j.right_id), 1.0, "human") for j in judgements if j.judgement == "same")
    return [e for e in kept if e.left_id != e.right_id], not_same


def cluster_records(
    edges: Sequence[Edge],
    judgements: Sequence[JudgementRule] = (),
    *,
    blocked: Iterable[tuple[str, str]] = (),
    identifiers: Mapping[str, Mapping[str, str]] | None = None,
    attributes: Mapping[str, Attributes] | None = None,
    apart: Apart | None = None,
) -> dict[str, Membership]:
    """Cluster records; return the membership of every record in a cluster of two or more.

    Args:
        edges: merge edges from the model and the strong identifiers.
        judgements: live human judgements ('same', 'not_same', 'split').
        blocked: pairs that must never share a cluster (conflicting identifiers, twins).
        identifiers: entity id -> {strong identifier column: value}, to keep clusters from
            holding two different values of one identifier.
        attributes: entity id -> the fields ``apart`` reads (forename, surname, dob).
        apart: a pairwise rule (the household and twin rules) that keeps two records out of
            one cluster; only records sharing a surname are compared with it.

    Returns:
        entity id -> :class:`Membership`; records not in the result are their own cluster.
    """
    kept, not_same = merge_edges(edges, judgements)
    if not kept:
        return {}
    guard = _Guard([*blocked, *not_same], identifiers or {}, attributes, apart)

    # records as integer codes in id order, so the smallest code of a component is its smallest id
    codes, nodes = pd.factorize(
        np.array([e.left_id for e in kept] + [e.right_id for e in kept], dtype=object), sort=True
    )
    n = len(kept)
    graph = coo_matrix((np.ones(n, dtype=np.int8), (codes[:n], codes[n:])), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(graph, directed=False)
    index = pd.Index(nodes)

    flagged = _flagged(guard, index, labels)
    edge_comp = labels[codes[:n]]
    canonical = _component_minimum(labels, len(nodes))
    methods = np.array([METHOD_ORDER.get(e.method, 9) for e in kept], dtype=np.int8)
    scores = np.array([e.score for e in kept], dtype=np.float64)
    n_comp = int(labels.max()) + 1
    has_human = np.zeros(n_comp, dtype=bool)
    has_human[edge_comp[methods == METHOD_ORDER["human"]]] = True
    model = methods == METHOD_ORDER["model"]
    has_model = np.zeros(n_comp, dtype=bool)
    has_model[edge_comp[model]] = True
    low = np.full(n_comp, np.inf)
    np.minimum.at(low, edge_comp[model], scores[model])

    out: dict[str, Membership] = {}
    made: dict[int, Membership] = {}
    for node, comp in zip(nodes.tolist(), labels.tolist(), strict=True):
        if comp in flagged:
            continue
        m = made.get(comp)
        if m is None:
            method = "human" if has_human[comp] else "model" if has_model[comp] else "deterministic"
            m = made[comp] = Membership(str(nodes[canonical[comp]]), method, float(low[comp]) if has_model[comp] else 1.0)
        out[node] = m
    if flagged:
        members_of: dict[int, list[str]] = {}
        for node, comp in zip(nodes.tolist(), labels.tolist(), strict=True):
            if comp in flagged:
                members_of.setdefault(comp, []).append(node)
        by_comp: dict[int, list[Edge]] = {}
        for e, c in zip(kept, edge_comp.tolist(), strict=True):
            if c in flagged:
                by_comp.setdefault(c, []).append(e)
        for c, comp_edges in by_comp.items():
            for members, used in _rebuild(members_of[c], comp_edges, guard):
                if len(members) < 2:
                    continue
                method, score = _summary(used)
                m = Membership(min(members), method, score)
                for member in members:
                    out[member] = m
    return out


def _component_minimum(labels: np.ndarray, size: int) -> np.ndarray:
    """The smallest node code of each component."""
    low = np.full(int(labels.max()) + 1, size, dtype=np.int64)
    np.minimum.at(low, labels, np.arange(size, dtype=np.int64))
    return low


def _flagged(guard: _Guard, index: pd.Index, labels: np.ndarray) -> set[int]:
    """Components that would break a constraint if kept whole (they are rebuilt edge by edge)."""
    flagged: set[int] = set()
    pairs = list(guard_pairs(guard))
    if pairs:
        a = index.get_indexer([p[0] for p in pairs])
        b = index.get_indexer([p[1] for p in pairs])
        both = (a >= 0) & (b >= 0)
        same = both & (labels[np.where(a >= 0, a, 0)] == labels[np.where(b >= 0, b, 0)])
        flagged.update(int(c) for c in labels[a[same]])
    if guard.identifiers:
        rows = [(node, col, value) for node, values in guard.identifiers.items() for col, value in values.items() if value]
        if rows:
            frame = pd.DataFrame(rows, columns=["node", "col", "value"])
            at = index.get_indexer(frame["node"])
            frame = frame[at >= 0].assign(comp=labels[at[at >= 0]])
            counts = frame.groupby(["comp", "col"])["value"].nunique()
            flagged.update(int(c) for c in counts[counts > 1].index.get_level_values(0))
    if guard.apart is not None and guard.attributes:
        keyed = [(node, key) for node in guard.attributes if (key := guard.bucket(node)) is not None]
        if keyed:
            at = index.get_indexer([k[0] for k in keyed])
            frame = pd.DataFrame({"node": [k[0] for k in keyed], "key": [k[1] for k in keyed], "at": at})
            frame = frame[frame["at"] >= 0]
            frame = frame.assign(comp=labels[frame["at"].to_numpy()])
            # only components holding two records of one bucket (surname) can break the rule
            frame = frame[frame.duplicated(["comp", "key"], keep=False) & ~frame["comp"].isin(flagged)]
            frame = frame.sort_values(["comp", "at"])
            comps, members = frame["comp"].to_numpy(), frame["node"].tolist()
            starts = np.flatnonzero(np.r_[True, comps[1:] != comps[:-1]]).tolist() if len(comps) else []
            for begin, end in zip(starts, [*starts[1:], len(comps)][: len(starts)], strict=True):
                if guard.violated_within(members[begin:end]):
                    flagged.add(int(comps[begin]))
    return flagged


def guard_pairs(guard: _Guard) -> Iterable[tuple[str, str]]:
    """Every cannot-link pair once."""
    for a, others in guard.cannot.items():
        for b in others:
            if a < b:
                yield a, b


def groups(memberships: Mapping[str, Membership]) -> dict[str, frozenset[str]]:
    """canonical id -> member ids."""
    out: dict[str, set[str]] = {}
    for entity, m in memberships.items():
        out.setdefault(m.canonical_id, set()).add(entity)
    return {k: frozenset(v) for k, v in out.items()}


@dataclass(frozen=True)
class ClusterChange:
    """A merge (a new or grown cluster) or a split (an old cluster whose members parted)."""

    kind: str  # 'merge' | 'split'
    canonical_id: str
    members: tuple[str, ...]
    previous: tuple[str, ...]
    method: str
    score: float | None


def changes(old: Mapping[str, Membership], new: Mapping[str, Membership]) -> list[ClusterChange]:
    """The merges and splits that turn the old clustering into the new one."""
    old_groups = groups(old)
    new_groups = groups(new)
    old_sets = set(old_groups.values())
    new_sets = set(new_groups.values())
    out: list[ClusterChange] = []
    for canonical, members in sorted(new_groups.items()):
        if members in old_sets:
            continue
        before = sorted({old[m].canonical_id for m in members if m in old})
        first = new[next(iter(members))]
        out.append(ClusterChange("merge", canonical, tuple(sorted(members)), tuple(before), first.method, first.score))
    for canonical, members in sorted(old_groups.items()):
        if members in new_sets:
            continue
        after = {new[m].canonical_id if m in new else m for m in members}
        if len(after) > 1:
            first = old[next(iter(members))]
            out.append(ClusterChange("split", canonical, tuple(sorted(members)), tuple(sorted(after)), first.method, first.score))
    return out


__all__ = [
    "ClusterChange",
    "Edge",
    "JudgementRule",
    "Membership",
    "changes",
    "cluster_records",
    "groups",
    "merge_edges",
    "pair_key",
]
