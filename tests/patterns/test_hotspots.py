from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clearsight.patterns import (
    HexGrid,
    SquareGrid,
    evaluate_forecast,
    find_hotspots,
    kde_surface,
    prepare_events,
    run_hotspots,
)
from clearsight.patterns.export import safe_cell, write_csv

from .helpers import ORIGIN, events_frame


def planted(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    bx = ORIGIN[0] + rng.uniform(0, 5000, 800)
    by = ORIGIN[1] + rng.uniform(0, 5000, 800)
    hx = ORIGIN[0] + 3500 + rng.normal(0, 120, 150)
    hy = ORIGIN[1] + 1500 + rng.normal(0, 120, 150)
    return np.r_[bx, hx], np.r_[by, hy]


@pytest.mark.parametrize("shape", ["square", "hex"])
def test_gistar_finds_planted_hotspot(shape: str) -> None:
    x, y = planted()
    ev = prepare_events(events_frame(x, y))
    res = find_hotspots(ev, cell_size=250, shape=shape, permutations=199, study_area="bbox")
    hot = res.cells[res.cells["category"] == "hot"]
    assert len(hot) >= 1
    cx, cy = ORIGIN[0] + 3500, ORIGIN[1] + 1500
    d = np.hypot(hot["x"] - cx, hot["y"] - cy)
    assert (d < 600).all(), "every hot cell sits on the planted cluster"
    top = res.cells.sort_values("gi_z", ascending=False).iloc[0]
    assert np.hypot(top["x"] - cx, top["y"] - cy) < 400
    expl = res.explanation.to_dict()
    assert expl["counts"]["events_used"] == len(x)
    assert expl["limits"] and expl["parameters"]["permutations"] == 199


def test_gistar_random_pattern_has_few_hot_cells() -> None:
    rng = np.random.default_rng(3)
    x = ORIGIN[0] + rng.uniform(0, 5000, 1000)
    y = ORIGIN[1] + rng.uniform(0, 5000, 1000)
    res = find_hotspots(prepare_events(events_frame(x, y)), cell_size=250, permutations=199, study_area="bbox")
    assert (res.cells["category"] == "hot").sum() <= 3


def test_grids_count_every_point() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 3000, 5000), rng.uniform(0, 2000, 5000)
    for grid in (SquareGrid.covering(x, y, 100), HexGrid.covering(x, y, 100)):
        assert grid.counts(x, y).sum() == 5000


def test_kde_keeps_mass_and_spreads() -> None:
    g = SquareGrid(0, 0, 100, 101, 101)
    s = kde_surface(g, np.array([5050.0]), np.array([5050.0]), bandwidth=300, kernel="quartic")
    assert s.sum() == pytest.approx(1.0, abs=1e-9)
    assert s[50, 50] == s.max() and s[50, 53] < 1e-12  # quartic radius 300 m = 3 cells


def test_pai_pei_by_hand_on_toy_grid() -> None:
    # 10 cells, flag 20% = 2 cells. Forecast ranks cells 0 and 1 top.
    scores = np.array([9, 8, 7, 1, 1, 1, 1, 1, 1, 1], float)
    observed = np.array([3, 0, 5, 1, 0, 0, 0, 0, 0, 1], float)
    t = evaluate_forecast(scores, observed, n_test_events=12, cell_area_m2=62500, fractions=[0.2])
    row = t.iloc[0]
    assert row["cells"] == 2
    assert row["hits"] == 3  # cells 0 and 1
    assert row["hit_rate"] == pytest.approx(3 / 12)  # two events outside the study area count
    assert row["pai"] == pytest.approx((3 / 12) / (2 / 10))
    assert row["max_hits"] == 8  # cells 2 and 0
    assert row["pei"] == pytest.approx(3 / 8)


def test_ties_at_cut_off_are_shared() -> None:
    scores = np.array([1, 1, 1, 1], float)
    observed = np.array([4, 0, 0, 0], float)
    t = evaluate_forecast(scores, observed, n_test_events=4, cell_area_m2=1, fractions=[0.25])
    assert t.iloc[0]["hits"] == pytest.approx(1.0)


def test_run_hotspots_writes_readable_outputs(tmp_path: Path) -> None:
    x, y = planted(1)
    ev = prepare_events(events_frame(x, y))
    res = run_hotspots(ev, tmp_path, cell_size=250, permutations=99)
    names = {p.name for p in res.files}
    assert {"hotspot_cells.csv", "hotspot_cells.geojson", "hotspot_counts.png",
            "hotspot_gistar.png", "hotspot_density.png"} <= names
    for p in res.files:
        if p.suffix == ".png":
            assert p.stat().st_size > 20_000
            assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    gj = json.loads((tmp_path / "hotspot_cells.geojson").read_text())
    f0 = gj["features"][0]
    assert {"count", "gi_z", "p_sim", "q_value", "category"} <= set(f0["properties"])
    lon, lat = f0["geometry"]["coordinates"][0][0]
    assert -2 < lon < -1 and 53 < lat < 54
    json.dumps(res.to_dict(), allow_nan=False)


def test_csv_is_formula_injection_safe(tmp_path: Path) -> None:
    import pandas as pd

    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_cell(-1.5) == -1.5
    p = write_csv(pd.DataFrame({"a": ["=1+1", "+x", "-y", "@z", "ok"], "z": [-1, 0, 1, 2, 3]}), tmp_path / "t.csv")
    text = p.read_text().splitlines()
    assert text[1].startswith("'=1+1") and text[4].startswith("'@z") and text[5].startswith("ok")
    assert text[1].endswith(",-1")
