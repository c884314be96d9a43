"""Backtests: train forecasts on earlier months, score them on a later month."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from clearsight.errors import ClearsightError, InvalidData
from clearsight.patterns.evaluate import AREA_FRACTIONS, evaluate_forecast
from clearsight.patterns.events import EventSet, select_events
from clearsight.patterns.explain import Explanation
from clearsight.patterns.forecast import (
    DEFAULT_BANDWIDTHS,
    MODEL_TEXT,
    BlendFit,
    ModelName,
    fit_blend,
    make_forecast,
)
from clearsight.patterns.grid import STUDY_AREA_TEXT, SquareGrid, StudyArea, study_mask
from clearsight.patterns.kde import Kernel
from clearsight.patterns.points import PointsFit, fit_points

DENOMINATOR_TEXT = (
    "every located test-month event, including any outside the study area (counted as misses)"
)


@dataclass
class BacktestResult:
    """Scores of several forecast models on one test month.

    Attributes:
        table: One row per model and area fraction: ``model``, ``area_fraction``, ``cells``,
            ``area_km2``, ``hits``, ``hit_rate``, ``pai``, ``max_hits``, ``pei``, plus
            ``study_area``.
        fit: The blend fit (weight, bandwidth) chosen on training data.
        points_fit: The map-point model's fit chosen on training data.
        skipped: Models that could not run, with the reason.
        explanation: Cell size, study area, denominator, counts, sources and limits.
    """

    table: pd.DataFrame
    fit: BlendFit | None
    points_fit: PointsFit | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    explanation: Explanation = field(default_factory=lambda: Explanation(method="backtest"))

    def at(self, fraction: float, metric: str = "pai", study_area: str | None = None) -> dict[str, float]:
        """One metric per model at one area fraction."""
        t = self.table[np.isclose(self.table["area_fraction"], fraction)]
        if study_area is not None:
            t = t[t["study_area"] == study_area]
        return {str(r["model"]): float(r[metric]) for _, r in t.iterrows()}

    def figures(self) -> dict[str, object]:
        """Headline figures (JSON-serialisable)."""
        return {
            "metrics": self.table.to_dict(orient="records"),
            "blend_weight_on_prior": None if self.fit is None else self.fit.weight,
            "blend_bandwidth_m": None if self.fit is None else self.fit.bandwidth,
            "kde_bandwidth_m": None if self.fit is None else self.fit.kde_bandwidth,
            "points_fit": None if self.points_fit is None else self.points_fit.parameters(),
            "skipped": self.skipped,
        }


def backtest(
    events: EventSet,
    *,
    train_months: Sequence[str],
    test_month: str,
    cell_size: float = 250.0,
    crime_types: Iterable[str] | None = None,
    models: Sequence[ModelName] = ("prior", "kde", "blend", "points", "etas"),
    kernel: Kernel = "gaussian",
    study_area: StudyArea = "hull",
    extra_study_areas: Sequence[StudyArea] = (),
    fractions: Sequence[float] = AREA_FRACTIONS,
    seed: int = 0,
) -> BacktestResult:
    """Train each model on ``train_months`` and score it on ``test_month``.

    The blend weight, the map-point model's hyper-parameters and every bandwidth are fitted
    on the training months only; the test month is used for scoring and nothing else. The
    map-point model's known points are those of every training event, of any crime type.

    Args:
        events: Prepared events.
        train_months: Months to learn from ("YYYY-MM").
        test_month: Month to score against.
        cell_size: Square cell side, metres.
        crime_types: Only these crime types.
        models: Models to score; "etas" is skipped (with the reason) on month-only data.
        kernel: Kernel for the density models.
        study_area: Study area for PAI (see :data:`STUDY_AREA_TEXT`).
        extra_study_areas: More study areas to report PAI on, to show how much PAI depends
            on that choice.
        fractions: Shares of the study area to flag.
        seed: Random seed.

    Returns:
        The :class:`BacktestResult`.
    """
    if test_month in train_months:
        raise InvalidData(f"test month {test_month} is also a training month")
    crime_types = None if crime_types is None else list(crime_types)
    chosen = select_events(events, crime_types=crime_types)
    train = select_events(chosen, months=train_months)
    test = select_events(chosen, months=[test_month])
    if train.n == 0 or test.n == 0:
        raise InvalidData(
            f"backtest needs located events in both periods: {train.n} in training "
            f"({', '.join(train_months)}), {test.n} in {test_month}"
        )
    tx, ty = train.frame["x"].to_numpy(), train.frame["y"].to_numpy()
    grid = SquareGrid.covering(tx, ty, cell_size, pad=max(DEFAULT_BANDWIDTHS))
    observed = grid.counts(test.frame["x"].to_numpy(), test.frame["y"].to_numpy()).ravel()
    areas = [study_area, *[a for a in extra_study_areas if a != study_area]]
    masks = {a: study_mask(grid, tx, ty, a) for a in areas}
    fit = None
    if any(m in ("kde", "blend") for m in models):
        fit = fit_blend(
            grid, tx, ty, train.frame["month"].to_numpy(), masks[study_area],
            kernel=kernel, fraction=0.05, seed=seed,
        )
    exposure = select_events(events, months=train_months)
    points_fit = None
    if "points" in models:
        ef = exposure.frame
        forecast_rows = (
            np.ones(len(ef), bool) if crime_types is None else ef["crime_type"].isin(crime_types).to_numpy()
        )
        points_fit = fit_points(
            grid, ef["x"].to_numpy(), ef["y"].to_numpy(), ef["month"].to_numpy(),
            forecast_rows, masks[study_area], kernel=kernel,
            fraction=0.05, seed=seed,
        )
    rows: list[pd.DataFrame] = []
    skipped: dict[str, str] = {}
    for model in models:
        try:
            fc = make_forecast(
                train, model=model, train_months=train_months, kernel=kernel,
                study_area=study_area, grid=grid, fit=fit, points_fit=points_fit,
                exposure=exposure, seed=seed,
            )
        except ClearsightError as exc:
            skipped[model] = str(exc)
            continue
        for area, mask in masks.items():
            scores = fc.surface.ravel()[mask]
            ev = evaluate_forecast(
                scores, observed[mask], n_test_events=test.n,
                cell_area_m2=grid.cell_area, fractions=fractions,
            )
            ev.insert(0, "model", model)
            ev["study_area"] = area
            ev["study_cells"] = int(mask.sum())
            rows.append(ev)
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    outside = test.n - int(observed[masks[study_area]].sum())
    expl = Explanation(
        method="backtest of " + "; ".join(MODEL_TEXT[m] for m in models if m not in skipped),
        counts={
            "training_events": train.n,
            "test_events": test.n,
            "test_events_outside_study_area": outside,
            **{f"study_cells_{a}": int(m.sum()) for a, m in masks.items()},
            "dropped_no_location": chosen.n_no_location,
        },
        baseline="prior-count model (mean count per cell in the training months)",
        period=f"train {', '.join(train_months)}; test {test_month}",
        data_sources=chosen.sources,
        parameters={
            "cell_size_m": cell_size,
            "cell_area_km2": grid.cell_area / 1e6,
            "study_area": STUDY_AREA_TEXT[study_area],
            "other_study_areas": [STUDY_AREA_TEXT[a] for a in areas[1:]],
            "hit_rate_denominator": DENOMINATOR_TEXT,
            "area_fractions": list(fractions),
            "kernel": kernel,
            "crime_types": sorted(chosen.frame["crime_type"].unique().tolist()),
            "blend_fit": None
            if fit is None
            else {"weight_on_prior": fit.weight, "bandwidth_m": fit.bandwidth,
                  "kde_bandwidth_m": fit.kde_bandwidth, "scheme": fit.scheme,
                  "objective": "hit rate at 5% of the study area"},
            "points_fit": None if points_fit is None else points_fit.parameters(),
            "ties": "cells tied at the cut-off are shared in proportion (random tie-break)",
        },
        limits=[
            *chosen.all_limits(),
            "PAI depends on the study area: the same forecast has a higher PAI on a larger "
            "area with more empty cells. Compare PAI only within one study area; PEI (0 to 1) "
            "travels better.",
            "One test month is one draw; monthly counts per cell are small and noisy.",
            *[f"{m} not run: {r}" for m, r in skipped.items()],
        ],
    )
    return BacktestResult(table=table, fit=fit, points_fit=points_fit, skipped=skipped, explanation=expl)
