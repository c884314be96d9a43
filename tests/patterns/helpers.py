"""Synthetic events frames for pattern tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from clearsight.patterns.events import to_wgs84

# A point in Leeds, British National Grid metres.
ORIGIN = (430000.0, 433000.0)


def events_frame(
    x: np.ndarray,
    y: np.ndarray,
    *,
    times: pd.Series | pd.DatetimeIndex | None = None,
    months: list[str] | np.ndarray | None = None,
    crime_type: str | np.ndarray = "Burglary",
    lsoa: np.ndarray | list[str] | None = None,
    discovery: np.ndarray | list[str] | str = "reported",
) -> pd.DataFrame:
    """An events frame from BNG coordinates (offsets added to ORIGIN are the caller's job)."""
    n = len(x)
    lon, lat = to_wgs84(np.asarray(x), np.asarray(y))
    if times is not None:
        occ = pd.Series(pd.to_datetime(times, utc=True)).reset_index(drop=True)
        month = occ.dt.strftime("%Y-%m")
    else:
        occ = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")
        month = pd.Series(months if months is not None else ["2020-01"] * n)
    return pd.DataFrame(
        {
            "entity_id": [f"e{i}" for i in range(n)],
            "crime_type": crime_type,
            "month": month.to_numpy(),
            "occurred_at": occ.to_numpy(),
            "lon": lon,
            "lat": lat,
            "lsoa_code": lsoa if lsoa is not None else ["E0000001"] * n,
            "discovery": discovery,
            "marking": "OFFICIAL",
        }
    ).assign(occurred_at=occ)
