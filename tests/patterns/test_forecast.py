from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearsight.errors import InvalidData
from clearsight.patterns import (
    backtest,
    load_police_uk_csv,
    make_forecast,
    prepare_events,
    run_backtest,
)
from clearsight.patterns.etas import fit_etas
from clearsight.patterns.grid import SquareGrid
from tests.helpers import SHARED_DATA

from .helpers import ORIGIN, events_frame

DATA = SHARED_DATA / "police_uk/west-yorkshire"
FILES = [DATA / "2016-07-west-yorkshire-street.csv", DATA / "2017-07-west-yorkshire-street.csv"]
needs_data = pytest.mark.skipif(not FILES[0].exists(), reason="police.uk sample data not present")


def two_months(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for month in ("2020-01", "2020-02", "2020-03"):
        bx = ORIGIN[0] + rng.uniform(0, 6000, 400)
        by = ORIGIN[1] + rng.uniform(0, 6000, 400)
        hx = ORIGIN[0] + 2000 + rng.normal(0, 150, 200)
        hy = ORIGIN[1] + 4000 + rng.normal(0, 150, 200)
        frames.append(events_frame(np.r_[bx, hx], np.r_[by, hy], months=[month] * 600))
    return pd.concat(frames, ignore_index=True)


def test_backtest_scores_models_and_states_its_terms() -> None:
    ev = prepare_events(two_months())
    res = backtest(ev, train_months=["2020-01", "2020-02"], test_month="2020-03", cell_size=250,
                   extra_study_areas=["bbox"])
    assert set(res.table["model"]) == {"prior", "kde", "blend", "points"}
    assert "etas" in res.skipped and "month only" in res.skipped["etas"]
    pai = res.at(0.05, study_area="hull")
    assert all(v > 3 for v in pai.values()), pai  # the stable hotspot is found by every model
    assert res.table["pei"].between(0, 1).all()
    p = res.explanation.parameters
    assert p["cell_size_m"] == 250 and "denominator" in str(p) and p["study_area"]
    assert "rolling origin" in p["blend_fit"]["scheme"]
    assert any("PAI depends on the study area" in s for s in res.explanation.limits)


def test_blend_fit_uses_training_months_only() -> None:
    df = two_months(1)
    ev = prepare_events(df)
    a = backtest(ev, train_months=["2020-01", "2020-02"], test_month="2020-03")
    # change the test month completely: the fitted blend must not move
    df2 = df.copy()
    test = df2["month"] == "2020-03"
    df2.loc[test, "lon"] = df2.loc[test, "lon"].to_numpy()[::-1]
    b = backtest(prepare_events(df2), train_months=["2020-01", "2020-02"], test_month="2020-03")
    assert a.fit is not None and b.fit is not None
    assert (a.fit.weight, a.fit.bandwidth) == (b.fit.weight, b.fit.bandwidth)


def test_etas_refuses_month_only_data() -> None:
    ev = prepare_events(two_months())
    with pytest.raises(InvalidData, match="month only"):
        make_forecast(ev, model="etas")


def simulate_etas(seed: int = 1, days: float = 365.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    mu, theta, omega, sigma = 6.0, 0.4, 1 / 5.0, 150.0
    nb = rng.poisson(mu * days)
    cx, cy = rng.uniform(0, 8000, 15), rng.uniform(0, 8000, 15)
    k = rng.integers(0, 15, nb)
    gx, gy, gt = cx[k] + rng.normal(0, 700, nb), cy[k] + rng.normal(0, 700, nb), rng.uniform(0, days, nb)
    xs, ys, ts = [gx], [gy], [gt]
    while len(gt):
        n = rng.poisson(theta, len(gt))
        gx = np.repeat(gx, n) + rng.normal(0, sigma, n.sum())
        gy = np.repeat(gy, n) + rng.normal(0, sigma, n.sum())
        gt = np.repeat(gt, n) + rng.exponential(1 / omega, n.sum())
        ok = gt < days
        gx, gy, gt = gx[ok], gy[ok], gt[ok]
        xs.append(gx)
        ys.append(gy)
        ts.append(gt)
    return np.concatenate(ts), np.concatenate(xs), np.concatenate(ys)


def test_etas_recovers_parameters_of_a_simulated_process() -> None:
    t, x, y = simulate_etas()
    grid = SquareGrid.covering(x, y, 200, pad=2000)
    fit = fit_etas(grid, t, x, y, 365.0)
    assert fit.converged
    assert fit.theta == pytest.approx(0.4, abs=0.1)
    assert 1 / fit.omega == pytest.approx(5.0, rel=0.3)
    assert fit.sigma == pytest.approx(150.0, rel=0.25)


def test_etas_forecast_runs_on_dated_events() -> None:
    t, x, y = simulate_etas(2, days=120.0)
    times = pd.Timestamp("2020-01-01", tz="UTC") + pd.to_timedelta(t, unit="D")
    ev = prepare_events(events_frame(ORIGIN[0] + x, ORIGIN[1] + y, times=times))
    months = sorted(ev.frame["month"].unique())[:3]
    fc = make_forecast(ev, model="etas", train_months=months, cell_size=250)
    assert fc.surface.sum() > 0
    assert fc.parameters["em_converged"] is True
    assert fc.explanation.parameters["theta_branching"] > 0


@needs_data
@pytest.mark.slow
def test_real_backtest_burglary(tmp_path: Path) -> None:
    ev = prepare_events(load_police_uk_csv(FILES))
    res = run_backtest(ev, tmp_path, train_months=["2016-07"], test_month="2017-07", crime_types=["Burglary"])
    table = pd.read_csv(tmp_path / "backtest_metrics.csv")
    at5 = table[(table["area_fraction"] == 0.05) & (table["study_area"] == "hull")].set_index("model")
    assert at5.loc["prior", "pai"] > 2
    assert at5.loc["blend", "pai"] >= 0.95 * max(at5.loc["prior", "pai"], at5.loc["kde", "pai"])
    # PAI on a smaller study area is smaller for the same forecast
    small = table[(table["area_fraction"] == 0.05) & (table["study_area"] == "cells_with_events")]
    assert small["pai"].max() < at5["pai"].min()
    assert "etas" in res.figures["skipped"]
