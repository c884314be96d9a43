"""Accuracy of a resolution against the truth: pairwise and cluster precision, recall and F1.

*Pairwise* counts pairs of records: a true positive is a pair put in one cluster that truly
is one entity. *Cluster* counts whole clusters: a predicted cluster is right only when it
holds exactly the records of one true entity (singletons included), the stricter measure.
Both take mappings of record id -> cluster id, so any clustering can be compared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 with the counts behind them."""

    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int) -> Scores:
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, tp, fp, fn)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pairs(n: pd.Series) -> int:
    return int((n * (n - 1) // 2).sum())


def _frame(predicted: Mapping[str, str], truth: Mapping[str, str]) -> pd.DataFrame:
    ids = list(truth)
    return pd.DataFrame({"pred": [predicted.get(i, f"singleton:{i}") for i in ids], "truth": [truth[i] for i in ids]})


def pairwise(predicted: Mapping[str, str], truth: Mapping[str, str]) -> Scores:
    """Pairwise scores of a clustering (record -> cluster) against the truth (record -> entity).

    Records missing from ``predicted`` count as singletons; only records in ``truth`` count.
    """
    frame = _frame(predicted, truth)
    tp = _pairs(frame.groupby(["pred", "truth"]).size())
    predicted_pairs = _pairs(frame.groupby("pred").size())
    true_pairs = _pairs(frame.groupby("truth").size())
    return Scores.from_counts(tp, predicted_pairs - tp, true_pairs - tp)


def pairwise_from_pairs(predicted: Iterable[tuple[str, str]], truth: Iterable[tuple[str, str]]) -> Scores:
    """Pairwise scores of a set of linked pairs against the true pairs (order inside a pair ignored)."""
    p = {tuple(sorted(x)) for x in predicted}
    t = {tuple(sorted(x)) for x in truth}
    tp = len(p & t)
    return Scores.from_counts(tp, len(p) - tp, len(t) - tp)


def clusters(predicted: Mapping[str, str], truth: Mapping[str, str]) -> Scores:
    """Cluster scores: a cluster counts when its members are exactly one true entity's records."""
    frame = _frame(predicted, truth)
    pred_sets = {frozenset(g) for g in frame.groupby("pred").groups.values()}
    true_sets = {frozenset(g) for g in frame.groupby("truth").groups.values()}
    tp = len(pred_sets & true_sets)
    return Scores.from_counts(tp, len(pred_sets) - tp, len(true_sets) - tp)


def truth_from_pairs(ids: Iterable[str], pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Turn true links into record -> entity (connected components of the links)."""
    parent: dict[str, str] = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {i: find(i) for i in parent}


__all__ = ["Scores", "clusters", "pairwise", "pairwise_from_pairs", "truth_from_pairs"]
