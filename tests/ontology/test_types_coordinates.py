"""WGS84 and British National Grid conversions."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.errors import InvalidValue
from clearsight.ontology.types import REGISTRY
from clearsight.ontology.types.coordinates import (
    UK_BOUNDS,
    in_uk,
    to_bng,
    to_bng_arrays,
    to_wgs84,
    to_wgs84_arrays,
    uk_mask,
)

LEEDS = (-1.5491, 53.8008)
WEST, SOUTH, EAST, NORTH = UK_BOUNDS


def test_not_a_registered_type() -> None:
    assert "coordinates" not in REGISTRY


def test_known_point() -> None:
    # Ordnance Survey's trig pillar on Ben Nevis: NN 16667 71254 (216667, 771254)
    easting, northing = to_bng(-5.003508, 56.796858)
    assert abs(easting - 216667) < 50
    assert abs(northing - 771254) < 50


def test_leeds_round_trip() -> None:
    easting, northing = to_bng(*LEEDS)
    assert 429000 < easting < 431000
    assert 433000 < northing < 435000
    lon, lat = to_wgs84(easting, northing)
    assert lon == pytest.approx(LEEDS[0], abs=1e-6)
    assert lat == pytest.approx(LEEDS[1], abs=1e-6)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (2.35, 48.86),  # Paris
        (53.8, -1.5),  # swapped
        (-200.0, 50.0),
        (0.0, 95.0),
        (math.nan, 52.0),
        (-1.0, math.inf),
    ],
)
def test_to_bng_rejects(lon: float, lat: float) -> None:
    with pytest.raises(InvalidValue):
        to_bng(lon, lat)


@pytest.mark.parametrize(
    ("e", "n"), [(5_000_000.0, 0.0), (math.nan, 1.0), (400000.0, -2_000_000.0)]
)
def test_to_wgs84_rejects(e: float, n: float) -> None:
    with pytest.raises(InvalidValue):
        to_wgs84(e, n)


def test_in_uk() -> None:
    assert in_uk(*LEEDS)
    assert in_uk(-5.93, 54.60)  # Belfast
    assert in_uk(-1.15, 60.15)  # Lerwick
    assert not in_uk(2.35, 48.86)
    assert not in_uk(math.nan, 52.0)


def test_arrays_match_scalars() -> None:
    lons = np.array([-1.5491, -0.1276, -3.1883, -5.93])
    lats = np.array([53.8008, 51.5072, 55.9533, 54.60])
    eastings, northings = to_bng_arrays(lons, lats)
    for i in range(len(lons)):
        e, n = to_bng(lons[i], lats[i])
        assert eastings[i] == pytest.approx(e, abs=1e-6)
        assert northings[i] == pytest.approx(n, abs=1e-6)
    back_lons, back_lats = to_wgs84_arrays(eastings, northings)
    np.testing.assert_allclose(back_lons, lons, atol=1e-7)
    np.testing.assert_allclose(back_lats, lats, atol=1e-7)
    assert uk_mask(lons, lats).all()


def test_arrays_name_the_bad_point() -> None:
    with pytest.raises(InvalidValue, match="index 1"):
        to_bng_arrays([-1.5, 2.35], [53.8, 48.86])
    with pytest.raises(InvalidValue, match="shape"):
        to_bng_arrays([-1.5, -1.6], [53.8])
    with pytest.raises(InvalidValue, match="index 0"):
        to_wgs84_arrays([math.nan], [1.0])


def test_threads_share_nothing() -> None:
    results: list[tuple[float, float]] = []

    def work() -> None:
        results.append(to_bng(*LEEDS))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1


_LONS = st.floats(-8.6, 1.8, allow_nan=False)
_LATS = st.floats(49.9, 60.8, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(_LONS, _LATS)
def test_round_trip_within_a_metre(lon: float, lat: float) -> None:
    easting, northing = to_bng(lon, lat)
    back_lon, back_lat = to_wgs84(easting, northing)
    metres_north = (back_lat - lat) * 111_320
    metres_east = (back_lon - lon) * 111_320 * math.cos(math.radians(lat))
    assert math.hypot(metres_north, metres_east) < 1.0
    e2, n2 = to_bng(back_lon, back_lat)
    assert math.hypot(e2 - easting, n2 - northing) < 1.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(_LONS, _LATS), min_size=1, max_size=50))
def test_array_round_trip_within_a_metre(points: list[tuple[float, float]]) -> None:
    lons = np.array([p[0] for p in points])
    lats = np.array([p[1] for p in points])
    eastings, northings = to_bng_arrays(lons, lats)
    back_lons, back_lats = to_wgs84_arrays(eastings, northings)
    e2, n2 = to_bng_arrays(back_lons, back_lats)
    assert np.hypot(e2 - eastings, n2 - northings).max() < 1.0


@settings(max_examples=300, deadline=None)
@given(st.floats(), st.floats())
def test_any_numbers_convert_or_are_refused(x: float, y: float) -> None:
    for convert in (to_bng, to_wgs84):
        try:
            a, b = convert(x, y)
        except InvalidValue:
            continue
        assert math.isfinite(a) and math.isfinite(b)
