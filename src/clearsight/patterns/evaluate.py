"""Forecast accuracy: hit rate, PAI and PEI at fixed shares of the study area.

* Hit rate: share of the test-period events that fall in the flagged cells. The
  denominator is every located test event, including any outside the study area (those
  can never be hit and count as misses).
* PAI (Predictive Accuracy Index, Chainey et al. 2008): hit rate divided by the share of
  the study area flagged. It grows as the study area grows, so it is only comparable
  between forecasts on the same cells and study area.
* PEI (Predictive Efficiency Index, Hunt 2016): hits divided by the most hits any choice
  of the same number of cells could have had; between 0 and 1, and comparable across
  study areas.

Ties in the forecast at the cut-off are shared in proportion (the expected value when
ties are broken at random), so a model with many equal scores is neither flattered nor
penalised by an arbitrary order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

AREA_FRACTIONS: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10)


def cells_for_fraction(n_cells: int, fraction: float) -> int:
    """Number of cells flagged for a share of the study area (at least one)."""
    return max(1, int(round(fraction * n_cells)))


def top_k_sum(scores: np.ndarray, values: np.ndarray, k: int) -> float:
    """Sum of ``values`` over the ``k`` highest-scoring cells, ties at the cut-off shared.

    Args:
        scores: Forecast score per cell.
        values: Observed value per cell (same order).
        k: Cells to flag.

    Returns:
        The expected sum under random tie-breaking.
    """
    n = len(scores)
    if k >= n:
        return float(values.sum())
    if k <= 0:
        return 0.0
    cut = np.partition(scores, n - k)[n - k]
    above = scores > cut
    tied = scores == cut
    slots = k - int(above.sum())
    total = float(values[above].sum())
    n_tied = int(tied.sum())
    if slots > 0 and n_tied:
        total += float(values[tied].sum()) * slots / n_tied
    return total


def evaluate_forecast(
    scores: np.ndarray,
    observed: np.ndarray,
    *,
    n_test_events: int,
    cell_area_m2: float,
    fractions: Sequence[float] = AREA_FRACTIONS,
) -> pd.DataFrame:
    """Hit rate, PAI and PEI of one forecast against one test period.

    Args:
        scores: Forecast per study-area cell.
        observed: Test-period events per study-area cell (same order).
        n_test_events: Hit-rate denominator: every located test event, in or out of the
            study area.
        cell_area_m2: Area of one cell.
        fractions: Shares of the study area to flag.

    Returns:
        One row per fraction: ``area_fraction``, ``cells``, ``area_km2``, ``hits``,
        ``hit_rate``, ``pai``, ``max_hits``, ``pei``.
    """
    scores = np.asarray(scores, float)
    observed = np.asarray(observed, float)
    n = len(scores)
    rows = []
    for f in fractions:
        k = cells_for_fraction(n, f)
        hits = top_k_sum(scores, observed, k)
        best = top_k_sum(observed, observed, k)
        hit_rate = hits / n_test_events if n_test_events else math.nan
        share = k / n if n else math.nan
        rows.append(
            {
                "area_fraction": f,
                "cells": k,
                "area_km2": k * cell_area_m2 / 1e6,
                "hits": hits,
                "hit_rate": hit_rate,
                "pai": hit_rate / share if share else math.nan,
                "max_hits": best,
                "pei": hits / best if best else math.nan,
            }
        )
    return pd.DataFrame(rows)


def objective(scores: np.ndarray, observed: np.ndarray, fraction: float) -> float:
    """Share of observed events captured by the top ``fraction`` of cells (for fitting)."""
    total = float(observed.sum())
    if total <= 0:
        return 0.0
    return top_k_sum(scores, observed, cells_for_fraction(len(scores), fraction)) / total
