from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clearsight.errors import InvalidData
from clearsight.patterns import load_police_uk_csv, prepare_events, select_events
from tests.helpers import SHARED_DATA

from .helpers import ORIGIN, events_frame

DATA = SHARED_DATA / "police_uk/west-yorkshire"
JULY16 = DATA / "2016-07-west-yorkshire-street.csv"
needs_data = pytest.mark.skipif(not JULY16.exists(), reason="police.uk sample data not present")


@needs_data
def test_police_uk_load_and_prepare_counts_dropped_rows() -> None:
    df = load_police_uk_csv(JULY16)
    ev = prepare_events(df)
    assert ev.n_input == len(df) > 20000
    assert ev.n_no_location == int(df["lon"].isna().sum()) > 0
    assert ev.n == ev.n_input - ev.n_no_location - ev.n_outside_gb
    assert ev.precision == "month"
    # projected into West Yorkshire (BNG metres)
    assert 380_000 < ev.frame["x"].median() < 460_000
    assert 400_000 < ev.frame["y"].median() < 460_000
    assert any("month only" in s for s in ev.all_limits())
    assert ev.counts()["discovered"] > 0  # drugs / weapons proxy


def test_prepare_rejects_missing_columns_and_bad_values() -> None:
    df = events_frame(np.array([ORIGIN[0]]), np.array([ORIGIN[1]]))
    with pytest.raises(InvalidData) as err:
        prepare_events(df.drop(columns=["lsoa_code"]))
    assert "lsoa_code" in str(err.value)
    bad = df.copy()
    bad.loc[0, "month"] = "2020-13"
    bad["discovery"] = "guessed"
    with pytest.raises(InvalidData) as err:
        prepare_events(bad)
    assert "month" in str(err.value) and "discovery" in str(err.value)


def test_time_precision_flags() -> None:
    x = np.full(3, ORIGIN[0])
    y = np.full(3, ORIGIN[1])
    day = prepare_events(events_frame(x, y, times=pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03"])))
    assert day.precision == "day"
    hour = prepare_events(
        events_frame(x, y, times=pd.to_datetime(["2020-01-01 13:00", "2020-01-02 00:00", "2020-01-03 02:30"]))
    )
    assert hour.precision == "hour"
    month = prepare_events(events_frame(x, y))
    assert month.precision == "month"


def test_select_by_type_and_month() -> None:
    x = ORIGIN[0] + np.arange(4.0)
    y = np.full(4, ORIGIN[1])
    df = events_frame(x, y, months=["2020-01", "2020-01", "2020-02", "2020-02"])
    df["crime_type"] = ["Burglary", "Robbery", "Burglary", "Robbery"]
    ev = prepare_events(df)
    assert select_events(ev, crime_types=["Burglary"], months=["2020-02"]).n == 1
