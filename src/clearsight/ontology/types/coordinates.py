"""Conversions between WGS84 longitude/latitude and the British National Grid.

Police systems record locations as BNG eastings and northings (EPSG:27700) while phones,
ANPR and maps use WGS84 (EPSG:4326). These helpers convert with pyproj, always in
(x, y) order, that is (longitude, latitude) and (easting, northing).

Only places in and around the United Kingdom are accepted (see :data:`UK_BOUNDS`): the
grid means nothing far from it, and a location outside the box is almost always a
swapped or mistyped coordinate. Accuracy is that of the transformation PROJ selects: a
few metres without the OSTN15 grid file installed, centimetres with it.
"""

from __future__ import annotations

import math
import threading

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from clearsight.errors import InvalidValue

TYPE_NAME = "coordinates"

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"

UK_BOUNDS = (-11.0, 49.0, 3.0, 61.5)
"""(west, south, east, north) in degrees: Great Britain, Northern Ireland, the Isles of
Scilly, Shetland and the Channel Islands, with a margin."""

_local = threading.local()


def _transformer(source: str, target: str) -> Transformer:
    """Return a cached transformer for this thread (pyproj objects are not shared)."""
    cache: dict[tuple[str, str], Transformer] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (source, target)
    transformer = cache.get(key)
    if transformer is None:
        transformer = cache[key] = Transformer.from_crs(source, target, always_xy=True)
    return transformer


def in_uk(lon: float, lat: float) -> bool:
    """Say whether a WGS84 point lies in the generous UK box :data:`UK_BOUNDS`.

    Examples:
        >>> in_uk(-1.5491, 53.8008)
        True
        >>> in_uk(2.35, 48.86)
        False
    """
    west, south, east, north = UK_BOUNDS
    try:
        return west <= float(lon) <= east and south <= float(lat) <= north
    except (TypeError, ValueError):
        return False


def _check_wgs84(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidValue(TYPE_NAME, (lon, lat), "longitude and latitude must be finite numbers")
    if not -180.0 <= lon <= 180.0 or not -90.0 <= lat <= 90.0:
        raise InvalidValue(
            TYPE_NAME, (lon, lat), "longitude must be -180 to 180 and latitude -90 to 90"
        )
    if not in_uk(lon, lat):
        raise InvalidValue(
            TYPE_NAME,
            (lon, lat),
            "outside the United Kingdom (are longitude and latitude swapped?)",
        )


def to_bng(lon: float, lat: float) -> tuple[float, float]:
    """Convert a WGS84 longitude and latitude to BNG easting and northing (metres).

    Args:
        lon: longitude in degrees (negative west of Greenwich).
        lat: latitude in degrees.

    Returns:
        ``(easting, northing)``.

    Raises:
        InvalidValue: the point is not a finite coordinate inside the UK box.

    Examples:
        >>> e, n = to_bng(-1.5491, 53.8008)
        >>> round(e, -2), round(n, -2)
        (429900.0, 433600.0)
    """
    lon, lat = float(lon), float(lat)
    _check_wgs84(lon, lat)
    easting, northing = _transformer(WGS84, BNG).transform(lon, lat)
    return float(easting), float(northing)


def to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """Convert a BNG easting and northing (metres) to WGS84 longitude and latitude.

    Args:
        easting: metres east of the grid's false origin.
        northing: metres north of the grid's false origin.

    Returns:
        ``(lon, lat)`` in degrees.

    Raises:
        InvalidValue: the point is not finite or falls outside the UK box.
    """
    easting, northing = float(easting), float(northing)
    if not (math.isfinite(easting) and math.isfinite(northing)):
        raise InvalidValue(
            TYPE_NAME, (easting, northing), "easting and northing must be finite numbers"
        )
    lon, lat = _transformer(BNG, WGS84).transform(easting, northing)
    lon, lat = float(lon), float(lat)
    if not in_uk(lon, lat):
        raise InvalidValue(TYPE_NAME, (easting, northing), "outside the United Kingdom")
    return lon, lat


def _arrays(xs: ArrayLike, ys: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    if x.shape != y.shape:
        raise InvalidValue(TYPE_NAME, (x.shape, y.shape), "the two arrays differ in shape")
    return x, y


def _first_bad(
    ok: NDArray[np.bool_], x: NDArray[np.float64], y: NDArray[np.float64], reason: str
) -> None:
    if not bool(ok.all()):
        index = tuple(int(i) for i in np.argwhere(~ok)[0])
        where = index[0] if len(index) == 1 else index
        raise InvalidValue(
            TYPE_NAME, (float(x[index]), float(y[index])), f"{reason} (at index {where})"
        )


def uk_mask(lons: ArrayLike, lats: ArrayLike) -> NDArray[np.bool_]:
    """Return, element by element, whether WGS84 points lie in the UK box."""
    x, y = _arrays(lons, lats)
    west, south, east, north = UK_BOUNDS
    with np.errstate(invalid="ignore"):
        mask: NDArray[np.bool_] = (x >= west) & (x <= east) & (y >= south) & (y <= north)
    return mask


def to_bng_arrays(
    lons: ArrayLike, lats: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert arrays of WGS84 longitudes and latitudes to BNG eastings and northings.

    Args:
        lons: longitudes in degrees, any array shape.
        lats: latitudes in degrees, the same shape.

    Returns:
        ``(eastings, northings)`` as float64 arrays of the input shape.

    Raises:
        InvalidValue: naming the first point that is not finite or lies outside the UK box.
    """
    x, y = _arrays(lons, lats)
    _first_bad(uk_mask(x, y), x, y, "outside the United Kingdom or not a number")
    eastings, northings = _transformer(WGS84, BNG).transform(x, y)
    return np.asarray(eastings, dtype=np.float64), np.asarray(northings, dtype=np.float64)


def to_wgs84_arrays(
    eastings: ArrayLike, northings: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert arrays of BNG eastings and northings to WGS84 longitudes and latitudes.

    Raises:
        InvalidValue: naming the first point that is not finite or lands outside the UK box.
    """
    x, y = _arrays(eastings, northings)
    _first_bad(np.isfinite(x) & np.isfinite(y), x, y, "not a finite number")
    lons, lats = _transformer(BNG, WGS84).transform(x, y)
    lon_arr = np.asarray(lons, dtype=np.float64)
    lat_arr = np.asarray(lats, dtype=np.float64)
    _first_bad(uk_mask(lon_arr, lat_arr), x, y, "outside the United Kingdom")
    return lon_arr, lat_arr


__all__ = [
    "BNG",
    "UK_BOUNDS",
    "WGS84",
    "in_uk",
    "to_bng",
    "to_bng_arrays",
    "to_wgs84",
    "to_wgs84_arrays",
    "uk_mask",
]
