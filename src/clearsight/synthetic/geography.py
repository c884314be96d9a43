"""Real West Yorkshire geography: LSOAs, map points from police.uk, postcodes and streets.

Events and homes are placed on the anonymised map points that police.uk publishes for
West Yorkshire, grouped by LSOA, so hotspots and near-repeat analysis see a real street
network. Postcodes are invented but keep the real West Yorkshire areas and districts.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from clearsight.errors import ClearsightError

FORCE_NAME = "West Yorkshire"

#: Local authority -> (postcode area, districts, post town)
POSTCODE_AREAS: dict[str, tuple[str, tuple[int, ...], str]] = {
    "Leeds": ("LS", (*range(1, 23), 25, 26, 27, 28, 29), "Leeds"),
    "Bradford": ("BD", (*range(1, 23),), "Bradford"),
    "Calderdale": ("HX", (1, 2, 3, 4, 5, 6, 7), "Halifax"),
    "Kirklees": ("HD", (1, 2, 3, 4, 5, 6, 7, 8, 9), "Huddersfield"),
    "Wakefield": ("WF", (*range(1, 18),), "Wakefield"),
}
LOCAL_AUTHORITIES: tuple[str, ...] = tuple(POSTCODE_AREAS)

#: Letters used in the inward unit of a postcode (never C, I, K, M, O, V).
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

STREET_STEMS: tuple[str, ...] = tuple(
    (
        "Victoria Albert Church Station Park Mill Manor Chapel Moor Town Queen King High "
        "Green School Bridge North South West East New Springfield Grange Woodland Hall "
        "Oak Ash Beech Elm Willow Cedar Holly Orchard Meadow Valley Hill Cliff Crag Beck "
        "Fountain Prospect Clarence Wellington Belgrave Harrogate Otley Wakefield Bradford "
        "Halifax Leeds Kirkgate Westgate Northgate Cross Ashfield Oakwood Roundhay Chapeltown "
        "Harehills Beeston Armley Bramley Horsforth Shipley Bingley Keighley Manningham "
        "Heaton Allerton Thornton Wyke Brighouse Elland Sowerby Todmorden Dewsbury Batley "
        "Mirfield Lindley Marsh Almondbury Ossett Horbury Pontefract Castleford Normanton"
    ).split()
)
STREET_KINDS: tuple[str, ...] = (
    "Road",
    "Street",
    "Lane",
    "Avenue",
    "Terrace",
    "Grove",
    "Close",
    "Drive",
    "Crescent",
    "Place",
    "Mount",
    "View",
    "Way",
    "Gardens",
    "Court",
    "Walk",
    "Rise",
    "Fold",
)
STREET_KIND_WEIGHTS = np.array(
    [14, 14, 9, 8, 8, 6, 6, 6, 5, 4, 4, 4, 3, 3, 2, 2, 1, 1], dtype=np.float64
)


class GeographyMissing(ClearsightError):
    """The shared geography data the generator needs is not where it was looked for."""


def default_data_dir() -> Path:
    """The shared data folder: ``$CLEARSIGHT_SHARED_DATA``, else ``../shared/data`` from the repo."""
    override = os.environ.get("CLEARSIGHT_SHARED_DATA")
    if override:
        return Path(override)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").exists():
            return parent.parent / "shared" / "data"
    return Path.cwd().parent / "shared" / "data"


@dataclass(frozen=True)
class Geography:
    """West Yorkshire LSOAs with the police.uk map points inside each.

    Arrays are indexed by LSOA number ``0..n-1``. ``point_start``/``point_count`` slice
    ``point_lat``/``point_lon``/``point_street`` (CSR layout), so sampling a point in an
    LSOA is vectorised arithmetic.
    """

    lsoa_code: np.ndarray
    lsoa_name: np.ndarray
    lsoa_la: np.ndarray  # index into LOCAL_AUTHORITIES
    lsoa_population: np.ndarray
    lsoa_crime_weight: np.ndarray
    lsoa_district: np.ndarray  # postcode district number for homes in the LSOA
    point_start: np.ndarray
    point_count: np.ndarray
    point_lat: np.ndarray
    point_lon: np.ndarray
    point_street: np.ndarray  # "On or near ..." location text of each point

    @property
    def size(self) -> int:
        """Number of LSOAs."""
        return int(self.lsoa_code.shape[0])

    def sample_points(self, lsoa: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Pick one map point index uniformly inside each given LSOA."""
        offsets = np.floor(rng.random(lsoa.shape[0]) * self.point_count[lsoa]).astype(np.int64)
        return self.point_start[lsoa] + offsets

    def nearby_points(
        self, lat: float, lon: float, radius_m: float, limit: int = 200
    ) -> np.ndarray:
        """Indices of the map points within ``radius_m`` metres of (lat, lon), nearest first."""
        dy = (self.point_lat - lat) * 111_320.0
        dx = (self.point_lon - lon) * 111_320.0 * np.cos(np.radians(lat))
        dist = np.hypot(dx, dy)
        inside = np.flatnonzero(dist <= radius_m)
        order = np.argsort(dist[inside], kind="stable")
        return inside[order][:limit]

    def point_lsoa(self, points: np.ndarray) -> np.ndarray:
        """LSOA index of each map point."""
        return np.searchsorted(self.point_start, points, side="right") - 1


def _read_lsoas(path: Path) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            if row.get("Police_force", "").strip() == FORCE_NAME:
                la = row["Local authority name"].strip()
                if la in POSTCODE_AREAS:
                    rows.append((row["LSOA Code"].strip(), row["LSOA Name"].strip(), la))
    rows.sort()
    return rows


def _read_population(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    if not path.exists():
        return out
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        code_at = header.index("LSOA Code")
        persons_at = header.index("Persons")
        for row in reader:
            try:
                out[row[code_at]] = float(row[persons_at].replace(",", ""))
            except (ValueError, IndexError):
                continue
    return out


def _read_points(
    folder: Path, codes: set[str]
) -> tuple[dict[str, list[tuple[float, float, str]]], dict[str, int]]:
    """Distinct map points per LSOA, and the number of crimes recorded in each LSOA."""
    points: dict[str, set[tuple[float, float, str]]] = {}
    counts: dict[str, int] = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                code = (row.get("LSOA code") or "").strip()
                if code not in codes:
                    continue
                counts[code] = counts.get(code, 0) + 1
                lat, lon = row.get("Latitude") or "", row.get("Longitude") or ""
                if not lat or not lon:
                    continue
                place = (row.get("Location") or "").strip() or "On or near Unknown"
                points.setdefault(code, set()).add((float(lat), float(lon), place))
    return {code: sorted(found) for code, found in points.items()}, counts


def load_geography(
    geography_dir: Path | None = None, police_uk_dir: Path | None = None
) -> Geography:
    """Load the West Yorkshire LSOAs and the police.uk map points inside them.

    Args:
        geography_dir: folder holding ``PoliceforceLSOA.csv`` (and optionally the census
            population file); defaults to ``<shared data>/lsoa``.
        police_uk_dir: folder of police.uk street-level CSVs for West Yorkshire; defaults to
            ``<shared data>/police_uk/west-yorkshire``.

    Raises:
        GeographyMissing: a folder or file is missing or holds no West Yorkshire data.
    """
    base = default_data_dir()
    geography_dir = Path(geography_dir) if geography_dir else base / "lsoa"
    police_uk_dir = Path(police_uk_dir) if police_uk_dir else base / "police_uk" / "west-yorkshire"
    lsoa_file = geography_dir / "PoliceforceLSOA.csv"
    if not lsoa_file.is_file():
        raise GeographyMissing(
            f"LSOA lookup not found: {lsoa_file} (pass geography_dir= the folder holding "
            "PoliceforceLSOA.csv)"
        )
    if not police_uk_dir.is_dir() or not any(police_uk_dir.glob("*.csv")):
        raise GeographyMissing(
            f"police.uk street CSVs not found in {police_uk_dir} (pass police_uk_dir= the "
            "folder of West Yorkshire street-level CSVs)"
        )
    lsoas = _read_lsoas(lsoa_file)
    if not lsoas:
        raise GeographyMissing(f"{lsoa_file} lists no LSOA of {FORCE_NAME}")
    population = _read_population(geography_dir / "census_2011_population_hh.csv")
    points, crime_counts = _read_points(police_uk_dir, {code for code, _, _ in lsoas})
    kept = [(c, n, la) for c, n, la in lsoas if points.get(c)]
    if not kept:
        raise GeographyMissing(f"no police.uk map point falls in a {FORCE_NAME} LSOA")

    starts: list[int] = []
    counts: list[int] = []
    lat: list[float] = []
    lon: list[float] = []
    street: list[str] = []
    for code, _, _ in kept:
        starts.append(len(lat))
        counts.append(len(points[code]))
        for p_lat, p_lon, place in points[code]:
            lat.append(p_lat)
            lon.append(p_lon)
            street.append(place)
    la_index = np.array([LOCAL_AUTHORITIES.index(la) for _, _, la in kept], dtype=np.int8)
    districts = np.zeros(len(kept), dtype=np.int16)
    for i, la in enumerate(LOCAL_AUTHORITIES):
        members = np.flatnonzero(la_index == i)
        choices = np.array(POSTCODE_AREAS[la][1], dtype=np.int16)
        # LSOAs are sorted by code, which follows geography closely enough that
        # consecutive runs of LSOAs share a postcode district.
        districts[members] = choices[
            (np.arange(members.size) * choices.size) // max(members.size, 1)
        ]
    pop = np.array([population.get(c, 1500.0) for c, _, _ in kept], dtype=np.float64)
    crimes = np.array([crime_counts.get(c, 1) for c, _, _ in kept], dtype=np.float64)
    return Geography(
        lsoa_code=np.array([c for c, _, _ in kept], dtype=object),
        lsoa_name=np.array([n for _, n, _ in kept], dtype=object),
        lsoa_la=la_index,
        lsoa_population=pop / pop.sum(),
        lsoa_crime_weight=crimes / crimes.sum(),
        lsoa_district=districts,
        point_start=np.array(starts, dtype=np.int64),
        point_count=np.array(counts, dtype=np.int64),
        point_lat=np.array(lat, dtype=np.float64),
        point_lon=np.array(lon, dtype=np.float64),
        point_street=np.array(street, dtype=object),
    )
