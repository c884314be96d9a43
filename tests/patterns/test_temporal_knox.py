from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clearsight.errors import InvalidData
from clearsight.patterns import (
    detect_spikes,
    hour_weekday,
    knox_test,
    monthly_trend,
    prepare_events,
)

from .helpers import ORIGIN, events_frame


def test_spike_false_alarm_rate_matches_statement_on_poisson_noise() -> None:
    rng = np.random.default_rng(0)
    n_series, months = 3000, [f"2020-{m:02d}" for m in range(1, 13)] + ["2021-01"]
    rows = []
    for s in range(n_series):
        counts = rng.poisson(4.0, len(months))
        for m, c in zip(months, counts, strict=True):
            rows.extend([(f"A{s}", m)] * int(c))
    lsoa, month = zip(*rows, strict=True)
    n = len(rows)
    df = events_frame(np.full(n, ORIGIN[0]), np.full(n, ORIGIN[1]), months=list(month), lsoa=list(lsoa))
    res = detect_spikes(prepare_events(df), test_month="2021-01", alpha=0.01, min_count=1)
    assert res.model == "poisson"  # no over-dispersion in Poisson noise
    observed = res.table["spike"].mean()
    assert res.expected_false_alarm_rate <= 0.01
    assert observed == pytest.approx(res.expected_false_alarm_rate, abs=0.006)
    assert res.explanation.parameters["expected_false_alarms"] > 0


def test_spikes_switch_to_negative_binomial_when_overdispersed() -> None:
    rng = np.random.default_rng(1)
    months = [f"2020-{m:02d}" for m in range(1, 13)]
    rows = []
    for s in range(400):
        counts = rng.negative_binomial(2, 2 / (2 + 5.0), len(months))
        counts[-1] = counts[-1] + (30 if s == 0 else 0)
        for m, c in zip(months, counts, strict=True):
            rows.extend([(f"A{s}", m)] * int(c))
    lsoa, month = zip(*rows, strict=True)
    n = len(rows)
    df = events_frame(np.full(n, ORIGIN[0]), np.full(n, ORIGIN[1]), months=list(month), lsoa=list(lsoa))
    res = detect_spikes(prepare_events(df), test_month="2020-12")
    assert res.model == "negative binomial" and res.dispersion == pytest.approx(0.5, abs=0.2)
    flagged = res.table[res.table["spike"]]
    assert "A0" in set(flagged["lsoa_code"])
    # negative binomial keeps chance flags near the stated rate (Poisson would flag dozens)
    assert len(flagged) <= 1 + 3 * res.expected_false_alarms + 3


def test_hour_weekday_and_trend() -> None:
    times = pd.to_datetime(["2021-03-01 09:15", "2021-03-01 09:45", "2021-03-06 23:10"])
    ev = prepare_events(events_frame(np.full(3, ORIGIN[0]), np.full(3, ORIGIN[1]), times=times))
    hw = hour_weekday(ev, timezone="UTC")
    assert hw.table.loc["Mon", 9] == 2 and hw.table.loc["Sat", 23] == 1
    tr = monthly_trend(ev)
    assert tr.table.loc["2021-03", "All"] == 3


def test_hour_weekday_refuses_month_only() -> None:
    ev = prepare_events(events_frame(np.full(3, ORIGIN[0]), np.full(3, ORIGIN[1])))
    with pytest.raises(InvalidData, match="time of each event"):
        hour_weekday(ev)


def random_burglaries(seed: int, n: int = 600) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 4000, n), rng.uniform(0, 4000, n), rng.uniform(0, 365, n)


def to_events(x: np.ndarray, y: np.ndarray, days: np.ndarray) -> pd.DataFrame:
    times = pd.Timestamp("2020-01-01", tz="UTC") + pd.to_timedelta(np.floor(days), unit="D")
    return events_frame(ORIGIN[0] + x, ORIGIN[1] + y, times=times)


def test_knox_detects_planted_near_repeats() -> None:
    x, y, t = random_burglaries(0)
    rng = np.random.default_rng(9)
    seeds = rng.choice(len(x), 150, replace=False)
    nx = x[seeds] + rng.uniform(-80, 80, 150)
    ny = y[seeds] + rng.uniform(-80, 80, 150)
    nt = t[seeds] + rng.uniform(1, 6, 150)
    ev = prepare_events(to_events(np.r_[x, nx], np.r_[y, ny], np.r_[t, nt]))
    res = knox_test(ev, permutations=199)
    first = res.cell(0, 0)  # 0-100 m, 0-7 days
    assert first["significant"] and first["knox_ratio"] > 3
    assert res.explanation.counts["pairs_within_max_distance"] > 0


def test_knox_quiet_on_random_data() -> None:
    x, y, t = random_burglaries(1)
    res = knox_test(prepare_events(to_events(x, y, t)), permutations=199)
    assert not res.cell(0, 0)["significant"]
    assert res.table["significant"].sum() <= 2  # 16 band pairs at 5%


def test_knox_refuses_month_only_data() -> None:
    ev = prepare_events(events_frame(np.full(5, ORIGIN[0]), np.full(5, ORIGIN[1])))
    with pytest.raises(InvalidData) as err:
        knox_test(ev)
    assert "month only" in str(err.value) and "Knox" in str(err.value)
