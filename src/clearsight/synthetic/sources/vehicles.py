"""Vehicle keeper extract and ANPR reads.

The keeper extract names the registered keeper of every vehicle (dd.mm.yyyy dates); the
ANPR reads are camera sightings with the mark written in whichever format the camera
system used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from clearsight.synthetic.identifiers import format_vrm
from clearsight.synthetic.noise import RecordStyle, format_dates, render_people, swapped_births
from clearsight.synthetic.sources.common import (
    CHUNK,
    CsvOut,
    Progress,
    SourceResult,
    TruthLog,
    coordinate,
    write_mapping,
)
from clearsight.synthetic.structures import Structures
from clearsight.synthetic.world import (
    COLOURS,
    HOURS_DAY,
    HOURS_NIGHT,
    VEHICLE_MODELS,
    WINDOW_DAYS,
    WINDOW_START,
    World,
    event_minutes,
)

KEEPERS = "vehicle_keepers"
ANPR = "anpr"
STREAM_KEEPERS = 14
STREAM_ANPR = 15
CAMERAS = 160
DIRECTIONS = ("Northbound", "Southbound", "Eastbound", "Westbound")

KEEPER_HEADER = (
    "vrm",
    "make",
    "model",
    "colour",
    "keeper_title",
    "keeper_forename",
    "keeper_surname",
    "keeper_dob",
    "keeper_address",
    "keeper_town",
    "keeper_postcode",
    "keeper_since",
)
ANPR_HEADER = ("read_id", "vrm", "camera_id", "read_at", "latitude", "longitude", "direction")

KEEPER_STYLE = RecordStyle(
    nickname=0.01,
    typo_forename=0.01,
    typo_surname=0.01,
    birth_missing=0.01,
    birth_swapped=0.005,
    maiden_name=0.5,
    address_missing=0.01,
    stale_address=0.04,
    phone_missing=1.0,
    strip_accents=True,
    postcode_styles=(1.0, 0.0, 0.0),
)

KEEPER_MAPPING: dict[str, Any] = {
    "name": KEEPERS,
    "description": "Registered keeper extract, one row per vehicle",
    "format": "csv",
    "options": {"delimiter": ",", "encoding": "utf-8"},
    "record_key": ["vrm"],
    "marking": {"classification": "OFFICIAL", "descriptors": ["PERSONAL"]},
    "kind": "fact",
    "entities": [
        {
            "id": "vehicle",
            "schema": "Vehicle",
            "properties": {
                "registration": {"column": "vrm", "required": True},
                "make": {"column": "make"},
                "model": {"column": "model"},
                "colour": {"column": "colour"},
            },
        },
        {
            "id": "keeper",
            "schema": "Person",
            "key": ["vrm"],
            "skip_if_empty": ["keeper_surname"],
            "properties": {
                "forename": {"column": "keeper_forename"},
                "surname": {"column": "keeper_surname"},
                "birthDate": {"column": "keeper_dob", "format": "%d.%m.%Y"},
                "address": {"template": "{keeper_address}, {keeper_town}, {keeper_postcode}"},
                "postcode": {"column": "keeper_postcode"},
            },
        },
    ],
    "links": [
        {
            "schema": "Keepership",
            "source": "keeper",
            "target": "vehicle",
            "properties": {"role": {"constant": "registered keeper"}},
            "valid_from": {"column": "keeper_since", "format": "%Y-%m-%d"},
        },
    ],
}

ANPR_MAPPING: dict[str, Any] = {
    "name": ANPR,
    "description": "ANPR camera reads",
    "format": "csv",
    "options": {"delimiter": ",", "encoding": "utf-8"},
    "record_key": ["read_id"],
    "marking": {"classification": "OFFICIAL-SENSITIVE", "descriptors": ["PERSONAL"]},
    "kind": "fact",
    "entities": [
        {
            "id": "read",
            "schema": "ANPRRead",
            "properties": {
                "registration": {"column": "vrm", "required": True},
                "camera": {"column": "camera_id"},
                "occurredFrom": {"column": "read_at", "format": "%Y-%m-%d %H:%M:%S"},
                "latitude": {"column": "latitude"},
                "longitude": {"column": "longitude"},
                "direction": {"column": "direction"},
                "discovery": {"constant": "discovered"},
            },
        },
        {
            "id": "vehicle",
            "schema": "Vehicle",
            "key": ["vrm"],
            "properties": {"registration": {"column": "vrm", "required": True}},
        },
    ],
    "links": [
        {
            "schema": "Sighting",
            "source": "vehicle",
            "target": "read",
            "properties": {"camera": {"column": "camera_id"}},
            "valid_from": {"column": "read_at", "format": "%Y-%m-%d %H:%M:%S"},
        },
    ],
}


def write_keepers(
    world: World, structures: Structures, out_dir: Path, truth: TruthLog, progress: Progress
) -> SourceResult:
    """Write ``vehicle_keepers.csv`` and its mapping."""
    fleet, pop = world.fleet, world.population
    out = CsvOut(out_dir / "vehicle_keepers.csv", KEEPER_HEADER)
    since_iso = np.datetime_as_string(fleet.since.astype("datetime64[D]"))
    for c, start in enumerate(range(0, fleet.count, CHUNK)):
        rng = world.rng(STREAM_KEEPERS, c + 1)
        sl = slice(start, start + CHUNK)
        p = fleet.keeper[sl]
        n = p.size
        r = render_people(p, pop, world.households, world.names, KEEPER_STYLE, rng)
        dob = format_dates(r.birth_day, "%d.%m.%Y", swap=swapped_births(rng, n, KEEPER_STYLE))
        titles = [
            "MR" if g == 0 else ("MRS" if pop.position[q] == 1 else "MS")
            for q, g in zip(p, pop.gender[p], strict=True)
        ]
        keys = fleet.vrm[sl].tolist()
        out.write(
            [
                keys,
                [VEHICLE_MODELS[m][0] for m in fleet.model[sl]],
                [VEHICLE_MODELS[m][1] for m in fleet.model[sl]],
                [COLOURS[x] for x in fleet.colour[sl]],
                titles,
                [f.upper() for f in r.forename],
                [s.upper() for s in r.surname],
                dob,
                [a.upper() for a in r.address_line],
                [t.upper() for t in r.town],
                r.postcode,
                since_iso[sl].tolist(),
            ]
        )
        truth.add(KEEPERS, keys, "keeper", p.tolist())
        progress(KEEPERS, n)
    out.close()
    write_mapping(out_dir / "vehicle_keepers.mapping.yaml", KEEPER_MAPPING)
    return SourceResult(KEEPERS, (out.path, out_dir / "vehicle_keepers.mapping.yaml"), out.rows)


def write_anpr(
    world: World, structures: Structures, out_dir: Path, progress: Progress
) -> SourceResult:
    """Write ``anpr.csv`` and its mapping: ordinary sightings and the OCG's supply runs."""
    rng = world.rng(STREAM_ANPR)
    geo, fleet = world.geo, world.fleet
    cameras = np.sort(rng.choice(geo.point_lat.size, size=CAMERAS, replace=False))
    cameras = np.concatenate([cameras, structures.ocg_camera_points])
    camera_direction = rng.integers(0, 4, cameras.size)
    reads = rng.poisson(1.6, fleet.count)
    reads[structures.ocg_vehicles] = 0
    vehicle = np.repeat(np.arange(fleet.count), reads)
    camera = rng.integers(0, CAMERAS, vehicle.size)
    seconds = event_minutes(rng, vehicle.size, HOURS_DAY) * 60 + rng.integers(0, 60, vehicle.size)
    # Supply runs: each OCG vehicle passes the route cameras many times, mostly at night.
    k = 45
    runs = np.repeat(structures.ocg_vehicles, k)
    run_camera = CAMERAS + rng.integers(0, structures.ocg_camera_points.size, runs.size)
    day = WINDOW_START + rng.integers(0, WINDOW_DAYS, runs.size)
    hour = rng.choice(24, size=runs.size, p=HOURS_NIGHT / HOURS_NIGHT.sum())
    run_seconds = (
        (day.astype(np.int64) * 24 + hour) * 60 + rng.integers(0, 60, runs.size)
    ) * 60 + rng.integers(0, 60, runs.size)
    vehicle = np.concatenate([vehicle, runs])
    camera = np.concatenate([camera, run_camera])
    seconds = np.concatenate([seconds, run_seconds])
    order = np.argsort(seconds, kind="stable")
    vehicle, camera, seconds = vehicle[order], camera[order], seconds[order]
    stamps = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    out = CsvOut(out_dir / "anpr.csv", ANPR_HEADER)
    for c, start in enumerate(range(0, vehicle.size, CHUNK)):
        crng = world.rng(STREAM_ANPR, c + 1)
        sl = slice(start, start + CHUNK)
        n = vehicle[sl].size
        style = crng.choice(4, size=n, p=[0.55, 0.35, 0.06, 0.04])
        cam = camera[sl]
        pts = cameras[cam]
        out.write(
            [
                [f"ANPR{start + i + 1:09d}" for i in range(n)],
                [
                    format_vrm(str(v), int(s))
                    for v, s in zip(fleet.vrm[vehicle[sl]], style, strict=True)
                ],
                [f"WY-CAM-{int(x) + 1:04d}" for x in cam],
                [s.replace("T", " ") for s in stamps[sl]],
                [coordinate(geo.point_lat[x]) for x in pts],
                [coordinate(geo.point_lon[x]) for x in pts],
                [DIRECTIONS[int(camera_direction[x])] for x in cam],
            ]
        )
        progress(ANPR, n)
    out.close()
    write_mapping(out_dir / "anpr.mapping.yaml", ANPR_MAPPING)
    return SourceResult(ANPR, (out.path, out_dir / "anpr.mapping.yaml"), out.rows)
