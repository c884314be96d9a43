from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clearsight.errors import InvalidData
from clearsight.patterns import (
    allocate_patrols,
    disparity_report,
    load_census_population,
    load_police_uk_csv,
    prepare_events,
    run_allocate,
    simulate_feedback,
)
from tests.helpers import SHARED_DATA

from .helpers import ORIGIN, events_frame

CENSUS = SHARED_DATA / "lsoa/census_2011_population_hh.csv"
JULY16 = SHARED_DATA / "police_uk/west-yorkshire/2016-07-west-yorkshire-street.csv"


def three_areas() -> pd.DataFrame:
    """Area A: 60 events on one cell; B: 30 events spread; C: 10 events; all in 2020-01."""
    rng = np.random.default_rng(0)
    xa = ORIGIN[0] + 100 + rng.uniform(0, 200, 60)
    ya = ORIGIN[1] + 100 + rng.uniform(0, 200, 60)
    xb = ORIGIN[0] + 3000 + rng.uniform(0, 1500, 30)
    yb = ORIGIN[1] + rng.uniform(0, 1500, 30)
    xc = ORIGIN[0] + rng.uniform(0, 1500, 10)
    yc = ORIGIN[1] + 3000 + rng.uniform(0, 1500, 10)
    lsoa = ["A"] * 60 + ["B"] * 30 + ["C"] * 10
    return events_frame(np.r_[xa, xb, xc], np.r_[ya, yb, yc], lsoa=lsoa)


POP = pd.DataFrame(
    {"lsoa_code": ["A", "B", "C"], "lsoa_name": ["A", "B", "C"], "msoa_code": ["M1", "M1", "M2"],
     "district": ["D", "D", "D"], "population": [1000.0, 2000.0, 1000.0]}
)


def test_disparity_ratios_match_hand_calculation() -> None:
    ev = prepare_events(three_areas())
    alloc = allocate_patrols(ev, k=4, model="prior", cell_size=250)
    rep = disparity_report(alloc, POP, ratio_warning=2.0)
    t = rep.table.set_index("area")
    patrols = alloc.cells["lsoa_code"].value_counts()
    for area in ("A", "B", "C"):
        p_share = patrols.get(area, 0) / 4
        assert t.loc[area, "patrol_share"] == pytest.approx(p_share)
        assert t.loc[area, "population_share"] == pytest.approx(POP.set_index("lsoa_code").loc[area, "population"] / 4000)
        crime = {"A": 60, "B": 30, "C": 10}[area]
        assert t.loc[area, "crime_share"] == pytest.approx(crime / 100)
        assert t.loc[area, "crime_per_1000"] == pytest.approx(crime * 1000 / POP.set_index("lsoa_code").loc[area, "population"])
        assert t.loc[area, "patrols_per_1000"] == pytest.approx(patrols.get(area, 0) * 1000 / POP.set_index("lsoa_code").loc[area, "population"])
        if p_share:
            assert t.loc[area, "patrol_to_harm"] == pytest.approx(p_share / (crime / 100))
    assert t.loc["A", "crime_per_1000_low"] < 60 < t.loc["A", "crime_per_1000_high"]
    assert rep.explanation.counts["patrol_cells_unknown_area"] == 0
    # against the harm in the patrolled areas only
    patrolled = [a for a in ("A", "B", "C") if patrols.get(a, 0)]
    harm_patrolled = sum({"A": 60, "B": 30, "C": 10}[a] for a in patrolled)
    for a in patrolled:
        share = {"A": 60, "B": 30, "C": 10}[a] / harm_patrolled
        assert t.loc[a, "patrol_to_patrolled_harm"] == pytest.approx(patrols[a] / 4 / share)
    # the warning fires exactly where that ratio exceeds the threshold, for areas with at
    # least the minimum number of patrol cells
    assert set(rep.table.loc[rep.table["warning"], "area"]) == {
        a for a in patrolled if patrols[a] >= 2 and t.loc[a, "patrol_to_patrolled_harm"] > 2.0
    }


def test_disparity_warning_follows_the_chosen_threshold_and_minimum() -> None:
    # A: 60 events on one cell; B: 12 events on each of 3 cells, so 3 of 4 patrol cells
    # go to B, which holds 36 of the 96 patrolled events: 75% of patrols vs 37.5% of harm.
    rng = np.random.default_rng(1)
    xa = ORIGIN[0] + 100 + rng.uniform(0, 50, 60)
    ya = ORIGIN[1] + 100 + rng.uniform(0, 50, 60)
    xb = np.repeat(ORIGIN[0] + 3000 + np.array([100.0, 600.0, 1100.0]), 12)
    yb = np.full(36, ORIGIN[1] + 100.0)
    ev = prepare_events(events_frame(np.r_[xa, xb], np.r_[ya, yb], lsoa=["A"] * 60 + ["B"] * 36))
    alloc = allocate_patrols(ev, k=4, model="prior", cell_size=250)
    assert alloc.cells["lsoa_code"].value_counts().to_dict() == {"B": 3, "A": 1}
    rep = disparity_report(alloc, POP)
    t = rep.table.set_index("area")
    assert t.loc["B", "patrol_to_patrolled_harm"] == pytest.approx(0.75 / 0.375)
    assert rep.warnings == []  # 2.0 is not above the default threshold of 2
    low = disparity_report(alloc, POP, ratio_warning=1.5)
    assert [w.split(":")[0] for w in low.warnings] == ["B"]
    assert "1.5 times" in low.rule and low.explanation.parameters["ratio_warning"] == 1.5
    assert disparity_report(alloc, POP, ratio_warning=1.5, min_patrols=4).warnings == []
    # at MSOA level A and B are one area and nothing is out of line
    msoa = disparity_report(alloc, POP, level="msoa", ratio_warning=1.5)
    assert msoa.warnings == [] and msoa.table.loc[msoa.table["patrols"] > 0, "area"].tolist() == ["M1"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": "ward"}, "lsoa, msoa, district"),
        ({"ratio_warning": 0.0}, "positive number"),
        ({"ratio_warning": float("nan")}, "positive number"),
        ({"min_patrols": 0}, "at least 1"),
    ],
)
def test_disparity_settings_are_checked(kwargs: dict[str, object], message: str) -> None:
    alloc = allocate_patrols(prepare_events(three_areas()), k=2, model="prior")
    with pytest.raises(InvalidData, match=message):
        disparity_report(alloc, POP, **kwargs)  # type: ignore[arg-type]


def test_severity_weights_change_allocation() -> None:
    df = three_areas()
    df.loc[df["lsoa_code"] == "C", "crime_type"] = "Robbery"
    ev = prepare_events(df)
    plain = allocate_patrols(ev, k=1, model="prior")
    weighted = allocate_patrols(ev, k=1, model="prior", severity={"Robbery": 100.0})
    assert plain.cells.iloc[0]["lsoa_code"] == "A"
    assert weighted.cells.iloc[0]["lsoa_code"] == "C"


def test_discoveries_in_patrolled_cells_are_not_learnt_by_default() -> None:
    df = three_areas()
    extra = events_frame(np.full(100, ORIGIN[0] + 3100.0), np.full(100, ORIGIN[1] + 100.0),
                         lsoa=["B"] * 100, discovery="discovered")
    ev = prepare_events(pd.concat([df, extra], ignore_index=True))
    patrolled = allocate_patrols(ev, k=1, model="prior", learn_from_discoveries=True).cells["cell_id"].tolist()
    default = allocate_patrols(ev, k=1, model="prior", patrolled_cells=patrolled)
    assert default.explanation.counts["discovered_left_out"] == 100
    assert default.cells.iloc[0]["lsoa_code"] == "A"
    naive = allocate_patrols(ev, k=1, model="prior", patrolled_cells=patrolled, learn_from_discoveries=True)
    assert naive.cells.iloc[0]["lsoa_code"] == "B"


def test_feedback_simulation_default_stays_fair_naive_runs_away() -> None:
    fair = [simulate_feedback(rounds=1000, seed=s) for s in range(5)]
    naive = [simulate_feedback(rounds=1000, seed=s, learn_from_discoveries=True) for s in range(5)]
    assert all(not r.runaway for r in fair)
    assert max(r.total_variation for r in fair) < 0.3
    assert sum(r.runaway for r in naive) >= 4
    assert np.mean([r.max_late_share for r in naive]) > 0.8
    assert fair[0].history.shape == (1000, 5)
    assert fair[0].explanation.parameters["learn_from_discoveries"] is False


@pytest.mark.skipif(not (CENSUS.exists() and JULY16.exists()), reason="sample data not present")
def test_real_allocation_with_census(tmp_path: Path) -> None:
    pop = load_census_population(CENSUS)
    assert pop.loc[pop["lsoa_code"] == "E01020634", "population"].iloc[0] == 1563
    ev = prepare_events(load_police_uk_csv(JULY16))
    res = run_allocate(ev, tmp_path, k=50, population=pop, level="district")
    disp = pd.read_csv(tmp_path / "disparity.csv")
    assert disp["patrols"].sum() + res.extra["disparity"].counts["patrol_cells_unknown_area"] == 50
    assert disp["patrol_share"].sum() == pytest.approx(1.0, abs=0.05)
    assert (tmp_path / "patrol_cells.png").stat().st_size > 20_000


@pytest.mark.skipif(not (CENSUS.exists() and JULY16.exists()), reason="sample data not present")
def test_real_lsoa_disparity_does_not_flag_every_patrolled_area() -> None:
    pop = load_census_population(CENSUS)
    alloc = allocate_patrols(prepare_events(load_police_uk_csv(JULY16)), k=100, model="prior")
    rep = disparity_report(alloc, pop, level="lsoa")
    t = rep.table
    patrolled = t[t["patrols"] > 0]
    # against all recorded harm every patrolled LSOA is over-patrolled by design ...
    assert (patrolled["patrol_to_harm"] > 2.0).mean() > 0.9
    # ... against the harm in the patrolled areas, few are, and each warning is one of them
    assert len(rep.warnings) <= 0.1 * len(patrolled)
    assert set(t.loc[t["warning"], "area"]) == set(
        patrolled.loc[(patrolled["patrols"] >= 2) & (patrolled["patrol_to_patrolled_harm"] > 2.0), "area"]
    )
    assert patrolled["patrolled_harm_share"].sum() == pytest.approx(1.0)
