"""Writing pattern outputs: spreadsheet-safe CSV and GeoJSON in WGS84."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clearsight.patterns.events import to_wgs84
from clearsight.patterns.explain import jsonable
from clearsight.patterns.grid import Tessellation

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with a single quote.

    Numbers are left alone (a negative z-score stays a number); only strings starting
    with ``= + - @`` (or tab / carriage return) are neutralised.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as CSV with formula injection neutralised in text cells and headers."""
    out = frame.copy()
    out.columns = [safe_cell(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False)
    return path


def cells_geojson(
    tess: Tessellation,
    cells: np.ndarray,
    properties: pd.DataFrame,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of cell polygons in WGS84 with one property row per cell.

    Args:
        tess: The tessellation the cells belong to.
        cells: Flat cell indices, aligned with ``properties`` rows.
        properties: Values to attach to each feature (counts, z, p, ...).
        metadata: Extra top-level members (e.g. the explanation).
    """
    rings = tess.polygons(np.asarray(cells, np.int64))
    n, k, _ = rings.shape
    lon, lat = to_wgs84(rings[..., 0].ravel(), rings[..., 1].ravel())
    lon = np.round(lon.reshape(n, k), 6)
    lat = np.round(lat.reshape(n, k), 6)
    records = properties.to_dict(orient="records")
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [np.column_stack([lon[i], lat[i]]).tolist()],
            },
            "properties": jsonable(records[i]),
        }
        for i in range(n)
    ]
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if metadata:
        out.update(jsonable(dict(metadata)))
    return out


def write_geojson(data: Mapping[str, Any], path: str | Path) -> Path:
    """Write a GeoJSON mapping (strict JSON: NaN becomes null)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(jsonable(dict(data)), allow_nan=False), encoding="utf-8")
    return path
