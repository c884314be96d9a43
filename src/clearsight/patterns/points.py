"""A point-level forecast for data snapped to a fixed set of map points (police.uk).

police.uk moves every crime to the nearest of a fixed set of anonymised map points, and
next month's crimes land on the same points. Each point's rate is estimated with
empirical-Bayes (gamma-Poisson) shrinkage of its own count toward the local mean rate per
point, and point rates are summed to cells:

* a point ``p`` seen ``c_p`` times in ``T`` training periods, with prior rate
  ``Gamma(kappa * m_p, kappa)`` (mean ``m_p`` per period), has posterior mean rate
  ``(c_p + kappa * m_p) / (T + kappa)``;
* ``m_p`` is the kernel-smoothed count divided by the kernel-smoothed number of known map
  points around ``p``: the local crimes per point per period. A map point known from any
  training event (of any crime type) counts as exposure even when it had none of the
  crimes being forecast;
* crimes also land on points not seen in training; their share is a kernel density of the
  training counts, weighted by ``new_point_weight``.

Summed over the points in a cell this is
``(C + kappa * N * m) / (T + kappa) + new_point_weight * kde(C) / T`` with ``C`` the
cell's count and ``N`` its number of known points, so it runs on rasters and stays fast
for millions of events. The four hyper-parameters are fitted by backtests inside the
training data only (:func:`fit_points`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clearsight.patterns.evaluate import objective
from clearsight.patterns.grid import SquareGrid
from clearsight.patterns.kde import Kernel, smooth

DEFAULT_SHRINKAGE: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
"""Prior strengths ``kappa`` tried, in training periods (0 would be the prior-count model)."""
DEFAULT_POINT_BANDWIDTHS: tuple[float, ...] = (200.0, 400.0, 800.0)
"""Bandwidths (metres) tried for the local mean rate per point."""
DEFAULT_NEW_WEIGHTS: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 1.0)
"""Weights tried for crimes on map points not seen in training."""
DEFAULT_NEW_BANDWIDTHS: tuple[float, ...] = (200.0, 400.0)
"""Bandwidths (metres) tried for the density of crimes on unseen points."""

POINTS_TEXT = (
    "map-point model: each anonymised map point's rate shrunk (gamma-Poisson empirical Bayes) "
    "toward the local mean rate per known point, summed to cells, plus a kernel density for "
    "crimes on points not seen in training; hyper-parameters fitted by backtest on training data"
)


def distinct_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct locations among the points (the map points, for snapped data)."""
    if len(x) == 0:
        return np.zeros(0), np.zeros(0)
    xy = np.unique(np.column_stack([np.asarray(x, float), np.asarray(y, float)]), axis=0)
    return xy[:, 0], xy[:, 1]


@dataclass
class _Parts:
    """Rasters one forecast needs, flattened (optionally to the study cells)."""

    counts: np.ndarray
    points: np.ndarray
    local: dict[float, np.ndarray]
    density: dict[float, np.ndarray]
    n_periods: float


def _parts(
    grid: SquareGrid,
    x: np.ndarray,
    y: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    n_periods: float,
    bandwidths: Sequence[float],
    new_bandwidths: Sequence[float],
    kernel: Kernel,
    cells: np.ndarray | None,
) -> _Parts:
    counts = grid.counts(x, y).astype(float)
    points = grid.counts(px, py).astype(float)

    def take(a: np.ndarray) -> np.ndarray:
        flat = a.ravel()
        return flat if cells is None else flat[cells]

    local: dict[float, np.ndarray] = {}
    for h in bandwidths:
        sc = smooth(counts, grid.cell_size, h, kernel)
        sn = smooth(points, grid.cell_size, h, kernel)
        rate = np.divide(sc, sn, out=np.zeros_like(sc), where=sn > 1e-9) / n_periods
        local[h] = take(rate)
    density = {h: take(smooth(counts, grid.cell_size, h, kernel)) / n_periods for h in new_bandwidths}
    return _Parts(take(counts), take(points), local, density, n_periods)


def _combine(parts: _Parts, shrinkage: float, bandwidth: float, new_weight: float, new_bandwidth: float) -> np.ndarray:
    t = parts.n_periods
    known = (parts.counts + shrinkage * parts.points * parts.local[bandwidth]) / (t + shrinkage)
    if new_weight > 0:
        return known + new_weight * parts.density[new_bandwidth]
    return known


def points_forecast(
    grid: SquareGrid,
    x: np.ndarray,
    y: np.ndarray,
    n_periods: float,
    *,
    shrinkage: float,
    bandwidth: float,
    new_point_weight: float,
    new_point_bandwidth: float,
    kernel: Kernel = "gaussian",
    point_x: np.ndarray | None = None,
    point_y: np.ndarray | None = None,
) -> np.ndarray:
    """Expected events per cell in one period from shrunk map-point rates.

    Args:
        grid: The forecast grid.
        x: Training event eastings (the crimes being forecast).
        y: Training event northings.
        n_periods: Training periods (months) the events cover.
        shrinkage: Prior strength ``kappa`` in periods.
        bandwidth: Bandwidth (metres) of the local mean rate per point.
        new_point_weight: Weight of the density of crimes on points not seen in training.
        new_point_bandwidth: Bandwidth (metres) of that density.
        kernel: Kernel for both smoothings.
        point_x: Eastings of the known map points (exposure); None uses the events' own
            distinct locations.
        point_y: Northings of the known map points.

    Returns:
        A (nrows, ncols) surface of expected events per cell per period.
    """
    if point_x is None or point_y is None:
        point_x, point_y = distinct_points(x, y)
    parts = _parts(
        grid, x, y, point_x, point_y, float(max(n_periods, 1)), [bandwidth], [new_point_bandwidth], kernel, None
    )
    return _combine(parts, shrinkage, bandwidth, new_point_weight, new_point_bandwidth).reshape(grid.nrows, grid.ncols)


@dataclass
class PointsFit:
    """Hyper-parameters of the map-point model chosen by backtests inside the training data.

    Attributes:
        shrinkage: Prior strength ``kappa`` in periods.
        bandwidth: Bandwidth (metres) of the local mean rate per point.
        new_point_weight: Weight of crimes on points not seen in training.
        new_point_bandwidth: Bandwidth (metres) of their density.
        kernel: Kernel used.
        scheme: How the training data was split, in words.
        fraction: Share of the study area the objective scores.
        table: Mean objective for every combination tried.
    """

    shrinkage: float
    bandwidth: float
    new_point_weight: float
    new_point_bandwidth: float
    kernel: Kernel
    scheme: str
    fraction: float
    table: pd.DataFrame = field(repr=False)

    def parameters(self) -> dict[str, object]:
        """The fitted values for explanations."""
        return {
            "shrinkage_kappa_periods": self.shrinkage,
            "local_mean_bandwidth_m": self.bandwidth,
            "new_point_weight": self.new_point_weight,
            "new_point_bandwidth_m": self.new_point_bandwidth,
            "kernel": self.kernel,
            "fit_scheme": self.scheme,
            "fit_objective": f"hit rate at {self.fraction:.0%} of area",
        }


def fit_points(
    grid: SquareGrid,
    x: np.ndarray,
    y: np.ndarray,
    months: np.ndarray,
    chosen: np.ndarray,
    study: np.ndarray,
    *,
    kernel: Kernel = "gaussian",
    shrinkages: Sequence[float] = DEFAULT_SHRINKAGE,
    bandwidths: Sequence[float] = DEFAULT_POINT_BANDWIDTHS,
    new_weights: Sequence[float] = DEFAULT_NEW_WEIGHTS,
    new_bandwidths: Sequence[float] = DEFAULT_NEW_BANDWIDTHS,
    fraction: float = 0.05,
    n_splits: int = 4,
    seed: int = 0,
) -> PointsFit:
    """Grid-search the map-point model's hyper-parameters on training data only.

    With several training months each month is predicted from the earlier ones (rolling
    origin). With one month its events are split into random halves, each half predicting
    the other; a half knows only the map points its own events used, so the weight on
    unseen points is learnt the same way it is needed for the next month.

    Args:
        grid: The forecast grid.
        x: Eastings of every training event (all crime types: they define known points).
        y: Northings of every training event.
        months: Month of each training event ("YYYY-MM").
        chosen: True for the events being forecast (the chosen crime types).
        study: Flat boolean mask of study-area cells.
        kernel: Kernel for the smoothings.
        shrinkages: Values of ``kappa`` to try.
        bandwidths: Local-mean bandwidths to try.
        new_weights: Weights of unseen points to try.
        new_bandwidths: Bandwidths of the unseen-point density to try.
        fraction: Share of the study area the objective scores.
        n_splits: Random halvings when there is only one training month.
        seed: Random seed for the halvings.

    Returns:
        The chosen :class:`PointsFit`.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    chosen = np.asarray(chosen, bool)
    months = np.asarray(months)
    cells = np.flatnonzero(study)
    order = sorted(set(months.tolist()))
    splits: list[tuple[np.ndarray, np.ndarray, float]] = []
    if len(order) >= 2:
        for i in range(1, len(order)):
            splits.append((np.isin(months, order[:i]), months == order[i], float(i)))
        scheme = f"rolling origin over {len(order)} training months (train on earlier, score the next)"
    else:
        rng = np.random.default_rng(seed)
        for _ in range(n_splits):
            half = rng.random(len(x)) < 0.5
            # each half is half a period of exposure
            splits.append((half, ~half, 0.5))
            splits.append((~half, half, 0.5))
        scheme = (
            f"one training month: {n_splits} random halvings of its events, each half predicting "
            "the other and knowing only its own map points (a thinned copy of the same period; "
            "it cannot see change between periods)"
        )
    combos = list(itertools.product(shrinkages, bandwidths, new_weights, new_bandwidths))
    # new-point bandwidth is irrelevant when its weight is zero: score once
    combos = [c for c in combos if c[2] > 0 or c[3] == new_bandwidths[0]]
    scores = np.zeros(len(combos))
    for train, test, periods in splits:
        tr = train & chosen
        px, py = distinct_points(x[train], y[train])
        parts = _parts(grid, x[tr], y[tr], px, py, periods, bandwidths, new_bandwidths, kernel, cells)
        obs = grid.counts(x[test & chosen], y[test & chosen]).ravel()[cells]
        for i, (kappa, h, nu, h2) in enumerate(combos):
            scores[i] += objective(_combine(parts, kappa, h, nu, h2), obs, fraction)
    table = pd.DataFrame(combos, columns=["shrinkage", "bandwidth", "new_point_weight", "new_point_bandwidth"])
    table["objective"] = scores / max(len(splits), 1)
    # on exact ties prefer less smoothing: stronger reliance on the points' own counts
    table = table.sort_values(
        ["objective", "shrinkage", "new_point_weight", "bandwidth"], ascending=[False, True, True, True]
    ).reset_index(drop=True)
    best = table.iloc[0]
    return PointsFit(
        shrinkage=float(best["shrinkage"]),
        bandwidth=float(best["bandwidth"]),
        new_point_weight=float(best["new_point_weight"]),
        new_point_bandwidth=float(best["new_point_bandwidth"]),
        kernel=kernel,
        scheme=scheme,
        fraction=fraction,
        table=table,
    )


__all__ = [
    "DEFAULT_NEW_BANDWIDTHS",
    "DEFAULT_NEW_WEIGHTS",
    "DEFAULT_POINT_BANDWIDTHS",
    "DEFAULT_SHRINKAGE",
    "POINTS_TEXT",
    "PointsFit",
    "distinct_points",
    "fit_points",
    "points_forecast",
]
