"""Where events will concentrate next period, learnt from earlier periods.

Four grid models share one square grid and give *expected events per cell in one
period* (a month for police.uk data):

* prior counts: the mean count per period in each cell;
* kernel density: the same counts smoothed with a kernel (FFT convolution);
* blend: ``w * prior + (1 - w) * kde``, with ``w`` and the bandwidth fitted by
  backtests inside the training data only (:func:`fit_blend`);
* map points: shrunk rates of the anonymised map points police.uk snaps crimes to,
  summed to cells (:mod:`clearsight.patterns.points`).

A self-exciting (ETAS) model for data with day-level times lives in
:mod:`clearsight.patterns.etas`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from clearsight.errors import InvalidData
from clearsight.patterns.etas import DAY, etas_forecast, event_days, fit_etas, require_times
from clearsight.patterns.evaluate import objective
from clearsight.patterns.events import EventSet, select_events
from clearsight.patterns.explain import Explanation
from clearsight.patterns.grid import STUDY_AREA_TEXT, SquareGrid, StudyArea, study_mask
from clearsight.patterns.kde import Kernel, smooth
from clearsight.patterns.points import (
    POINTS_TEXT,
    PointsFit,
    distinct_points,
    fit_points,
    points_forecast,
)

ModelName = Literal["prior", "kde", "blend", "points", "etas"]

MODEL_TEXT: dict[str, str] = {
    "prior": "prior counts: mean events per cell per training period",
    "kde": "kernel density of the training events, bandwidth fitted by backtest on training data",
    "blend": "blend of prior counts and kernel density, weight and bandwidth fitted by backtest "
    "on training data",
    "points": POINTS_TEXT,
    "etas": "self-exciting point process (ETAS / Mohler): background plus triggering in space "
    "and time, fitted by EM",
}

DEFAULT_WEIGHTS: tuple[float, ...] = tuple(round(w, 2) for w in np.linspace(0.0, 1.0, 21))
DEFAULT_BANDWIDTHS: tuple[float, ...] = (100.0, 150.0, 200.0, 300.0, 400.0, 600.0, 800.0, 1200.0)


def prior_surface(counts: np.ndarray, n_periods: int) -> np.ndarray:
    """Mean count per period per cell."""
    return counts / max(n_periods, 1)


def kde_forecast(
    counts: np.ndarray, n_periods: int, cell_size: float, bandwidth: float, kernel: Kernel
) -> np.ndarray:
    """Kernel-smoothed mean count per period per cell."""
    return smooth(counts, cell_size, bandwidth, kernel) / max(n_periods, 1)


def blend_forecast(
    counts: np.ndarray,
    n_periods: int,
    cell_size: float,
    weight: float,
    bandwidth: float,
    kernel: Kernel,
) -> np.ndarray:
    """``weight * prior + (1 - weight) * kde`` in expected events per cell per period."""
    prior = prior_surface(counts, n_periods)
    if weight >= 1.0:
        return prior
    return weight * prior + (1.0 - weight) * kde_forecast(counts, n_periods, cell_size, bandwidth, kernel)


@dataclass
class BlendFit:
    """The blend weight and bandwidth chosen by backtests inside the training data.

    Attributes:
        weight: Weight on prior counts (1 = prior counts only, 0 = kernel density only).
        bandwidth: Kernel bandwidth in metres.
        kde_bandwidth: Best bandwidth for kernel density alone (``weight = 0``).
        kernel: Kernel used.
        scheme: How training data was split, in words.
        fraction: Share of the study area the objective scores.
        table: Mean objective for every (weight, bandwidth) tried.
    """

    weight: float
    bandwidth: float
    kde_bandwidth: float
    kernel: Kernel
    scheme: str
    fraction: float
    table: pd.DataFrame = field(repr=False)


def _splits(
    grid: SquareGrid,
    x: np.ndarray,
    y: np.ndarray,
    months: np.ndarray,
    weights: np.ndarray | None,
    n_splits: int,
    seed: int,
) -> tuple[list[tuple[np.ndarray, int, np.ndarray]], str]:
    """Pairs of (training counts, training periods, held-out counts) inside the training data."""
    idx = grid.index(x, y)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, float)
    order = sorted(set(months.tolist()))
    out: list[tuple[np.ndarray, int, np.ndarray]] = []

    def counts(mask: np.ndarray) -> np.ndarray:
        ok = mask & (idx >= 0)
        return np.bincount(idx[ok], weights=w[ok], minlength=grid.n_cells).reshape(grid.nrows, grid.ncols)

    if len(order) >= 2:
        for i in range(1, len(order)):
            train = np.isin(months, order[:i])
            test = months == order[i]
            out.append((counts(train), i, counts(test)))
        return out, f"rolling origin over {len(order)} training months (train on earlier, score the next)"
    rng = np.random.default_rng(seed)
    for _ in range(n_splits):
        half = rng.random(len(x)) < 0.5
        a, b = counts(half), counts(~half)
        out.append((a, 1, b))
        out.append((b, 1, a))
    return out, (
        f"one training month: {n_splits} random halvings of its events, each half predicting "
        "the other (a thinned copy of the same period; it cannot see change between periods)"
    )


def fit_blend(
    grid: SquareGrid,
    x: np.ndarray,
    y: np.ndarray,
    months: np.ndarray,
    study: np.ndarray,
    *,
    kernel: Kernel = "gaussian",
    weights_grid: Sequence[float] = DEFAULT_WEIGHTS,
    bandwidths: Sequence[float] = DEFAULT_BANDWIDTHS,
    fraction: float = 0.05,
    event_weights: np.ndarray | None = None,
    n_splits: int = 4,
    seed: int = 0,
) -> BlendFit:
    """Grid-search the blend weight and bandwidth by backtests on training data only.

    Args:
        grid: The forecast grid.
        x: Training event eastings.
        y: Training event northings.
        months: Training event months ("YYYY-MM"), aligned with ``x``.
        study: Flat boolean mask of study-area cells.
        kernel: Kernel for the density part.
        weights_grid: Blend weights to try.
        bandwidths: Bandwidths (metres) to try.
        fraction: Share of the study area the objective scores (hit rate there).
        event_weights: Optional weight per event (e.g. harm).
        n_splits: Random halvings when there is only one training month.
        seed: Random seed for the halvings.

    Returns:
        The chosen :class:`BlendFit`.
    """
    splits, scheme = _splits(grid, x, y, np.asarray(months), event_weights, n_splits, seed)
    rows = []
    for train, n_periods, test in splits:
        obs = test.ravel()[study]
        prior = prior_surface(train, n_periods).ravel()[study]
        for bw in bandwidths:
            kde = kde_forecast(train, n_periods, grid.cell_size, bw, kernel).ravel()[study]
            for w in weights_grid:
                rows.append((w, bw, objective(w * prior + (1 - w) * kde, obs, fraction)))
    table = pd.DataFrame(rows, columns=["weight", "bandwidth", "objective"])
    table = table.groupby(["weight", "bandwidth"], as_index=False)["objective"].mean()
    # prefer the simpler model (more weight on counts, smaller bandwidth) on exact ties
    table = table.sort_values(["objective", "weight", "bandwidth"], ascending=[False, False, True])
    best = table.iloc[0]
    kde_only = table[table["weight"] == 0.0]
    kde_bw = float(kde_only.iloc[0]["bandwidth"]) if len(kde_only) else float(best["bandwidth"])
    return BlendFit(
        weight=float(best["weight"]),
        bandwidth=float(best["bandwidth"]),
        kde_bandwidth=kde_bw,
        kernel=kernel,
        scheme=scheme,
        fraction=fraction,
        table=table.reset_index(drop=True),
    )


@dataclass
class Forecast:
    """A forecast surface for the period after the training data.

    Attributes:
        model: Model name ("prior", "kde", "blend", "points" or "etas").
        grid: The square grid.
        surface: Expected events (or harm) per cell in the next period, (nrows, ncols).
        study: Flat boolean mask of study-area cells.
        parameters: Fitted and given parameters.
        explanation: Counts, period, sources, parameters and limits.
    """

    model: str
    grid: SquareGrid
    surface: np.ndarray
    study: np.ndarray
    parameters: dict[str, object]
    explanation: Explanation

    def cells(self) -> pd.DataFrame:
        """Study-area cells ranked by forecast: ``rank``, ``cell_id``, ``x``, ``y``, ``forecast``."""
        idx = np.flatnonzero(self.study)
        vals = self.surface.ravel()[idx]
        order = np.argsort(-vals, kind="stable")
        idx, vals = idx[order], vals[order]
        xc, yc = self.grid.centres()
        return pd.DataFrame(
            {
                "rank": np.arange(1, len(idx) + 1),
                "cell": idx,
                "cell_id": self.grid.cell_ids(idx),
                "x": xc[idx],
                "y": yc[idx],
                "forecast": vals,
            }
        )


def _extra_exposure(train: EventSet, exposure: EventSet | None, months: Sequence[str]) -> pd.DataFrame:
    """Training-month events in ``exposure`` of crime types other than the forecast events'."""
    if exposure is None:
        return train.frame.iloc[0:0]
    ex = select_events(exposure, months=months).frame
    return ex.loc[~ex["crime_type"].isin(pd.unique(train.frame["crime_type"]))]


def _exposure_arrays(
    train: EventSet, exposure: EventSet | None, months: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Eastings, northings and months of every training event (forecast events first) and
    a mask of the forecast events."""
    f = train.frame
    extra = _extra_exposure(train, exposure, months)
    ax = np.concatenate([f["x"].to_numpy(float), extra["x"].to_numpy(float)])
    ay = np.concatenate([f["y"].to_numpy(float), extra["y"].to_numpy(float)])
    am = np.concatenate([f["month"].to_numpy(str), extra["month"].to_numpy(str)])
    chosen = np.concatenate([np.ones(len(f), bool), np.zeros(len(extra), bool)])
    return ax, ay, am, chosen


def month_bounds(months: Sequence[str]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Start of the first month and start of the month after the last, in UTC."""
    ms = sorted(months)
    start = pd.Timestamp(ms[0] + "-01", tz="UTC")
    end = pd.Timestamp(ms[-1] + "-01", tz="UTC") + pd.offsets.MonthBegin(1)
    return start, end


def make_forecast(
    events: EventSet,
    *,
    model: ModelName = "blend",
    train_months: Sequence[str] | None = None,
    cell_size: float = 250.0,
    kernel: Kernel = "gaussian",
    study_area: StudyArea = "hull",
    weight_column: str | None = None,
    grid: SquareGrid | None = None,
    fit: BlendFit | None = None,
    points_fit: PointsFit | None = None,
    exposure: EventSet | None = None,
    fraction: float = 0.05,
    seed: int = 0,
) -> Forecast:
    """Forecast where events concentrate in the month after the training months.

    Args:
        events: Prepared events (already filtered to the crime types wanted).
        model: "prior", "kde", "blend", "points" or "etas" (ETAS needs dated events).
        train_months: Months to learn from; None uses every month present.
        cell_size: Square cell side, metres.
        kernel: Kernel for "kde" and "blend".
        study_area: Cells the forecast ranks (see :data:`STUDY_AREA_TEXT`).
        weight_column: Column of per-event weights (e.g. harm); None counts events.
        grid: Grid to use; None builds one over the training events.
        fit: A blend fit to reuse; None fits one by backtest on the training data.
        points_fit: A map-point fit to reuse; None fits one by backtest on the training data.
        exposure: Events of every crime type (only their training months are used) whose
            locations are the known map points for the "points" model; its events of the
            forecast events' crime types are taken to be the forecast events themselves.
            None uses the forecast events' own locations.
        fraction: Share of the study area the blend fit optimises.
        seed: Random seed for training splits.

    Returns:
        The :class:`Forecast`.

    Raises:
        InvalidData: ETAS was asked for on month-only data, or nothing is left to learn from.
    """
    months = sorted(train_months) if train_months is not None else sorted(events.frame["month"].unique())
    train = select_events(events, months=months)
    if train.n == 0:
        raise InvalidData(f"no located events in the training months {', '.join(months)}")
    f = train.frame
    x, y = f["x"].to_numpy(), f["y"].to_numpy()
    w = None if weight_column is None else f[weight_column].to_numpy(float)
    if grid is None:
        grid = SquareGrid.covering(x, y, cell_size, pad=max(DEFAULT_BANDWIDTHS))
    study = study_mask(grid, x, y, study_area)
    counts = grid.counts(x, y, w)
    n_periods = len(months)
    params: dict[str, object] = {
        "cell_size_m": grid.cell_size,
        "study_area": STUDY_AREA_TEXT[study_area],
        "study_cells": int(study.sum()),
        "training_months": months,
        "weighted_by": weight_column or "event count",
    }
    limits = train.all_limits()
    if model == "prior":
        surface = prior_surface(counts, n_periods)
    elif model in ("kde", "blend"):
        if fit is None:
            fit = fit_blend(
                grid, x, y, f["month"].to_numpy(), study, kernel=kernel,
                fraction=fraction, event_weights=w, seed=seed,
            )
        if model == "kde":
            surface = kde_forecast(counts, n_periods, grid.cell_size, fit.kde_bandwidth, kernel)
            params.update({"bandwidth_m": fit.kde_bandwidth, "kernel": kernel})
        else:
            surface = blend_forecast(counts, n_periods, grid.cell_size, fit.weight, fit.bandwidth, kernel)
            params.update({"weight_on_prior": fit.weight, "bandwidth_m": fit.bandwidth, "kernel": kernel})
        params.update({"fit_scheme": fit.scheme, "fit_objective": f"hit rate at {fit.fraction:.0%} of area"})
    elif model == "points":
        ax, ay, am, chosen = _exposure_arrays(train, exposure, months)
        if points_fit is None:
            points_fit = fit_points(grid, ax, ay, am, chosen, study, kernel=kernel, fraction=fraction, seed=seed)
        px, py = distinct_points(ax, ay)
        surface = points_forecast(
            grid, x, y, n_periods, shrinkage=points_fit.shrinkage, bandwidth=points_fit.bandwidth,
            new_point_weight=points_fit.new_point_weight, new_point_bandwidth=points_fit.new_point_bandwidth,
            kernel=kernel, point_x=px, point_y=py,
        )
        params.update(points_fit.parameters())
        params["known_map_points"] = len(px)
    elif model == "etas":
        timed = require_times(train, "The ETAS self-exciting forecast")
        start, end = month_bounds(months)
        tf = timed.frame
        t = event_days(timed, start)
        period = (end - start).total_seconds() / DAY
        tx, ty = tf["x"].to_numpy(), tf["y"].to_numpy()
        efit = fit_etas(grid, t, tx, ty, period)
        horizon = ((end + pd.offsets.MonthBegin(1)) - end).total_seconds() / DAY
        surface = etas_forecast(efit, grid, t, tx, ty, period, horizon)
        params.update(
            {
                "mu_per_day": efit.mu,
                "theta_branching": efit.theta,
                "mean_delay_days": 1.0 / efit.omega,
                "sigma_m": efit.sigma,
                "background_share": efit.background_share,
                "em_iterations": efit.iterations,
                "em_converged": efit.converged,
                "truncation": "pairs within 60 days and 2,000 m",
                "horizon_days": horizon,
            }
        )
        if timed.n < train.n:
            limits.append(f"{train.n - timed.n} month-only events were left out of the ETAS fit.")
    else:
        raise ValueError(f"unknown model {model!r}")
    expl = Explanation(
        method=f"{MODEL_TEXT[model]}; {grid.describe()}",
        counts={**train.counts(), "study_cells": int(study.sum())},
        baseline="forecasts are expected events per cell for the month after training",
        period=train.period(),
        data_sources=train.sources,
        parameters=params,
        limits=[
            *limits,
            "A forecast is an assessment, not a fact: it says where recorded crime was "
            "concentrated before, which reflects reporting and past patrolling as well as crime.",
        ],
    )
    return Forecast(model=model, grid=grid, surface=surface, study=study, parameters=params, explanation=expl)
