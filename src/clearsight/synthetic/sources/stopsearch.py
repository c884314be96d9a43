"""Stop and search export: the police.uk columns plus who was searched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from clearsight.synthetic.names import OFFICER_DEFINED, POLICE_UK_SELF_DEFINED, SELF_DEFINED_CODES
from clearsight.synthetic.noise import RecordStyle, format_dates, render_people, swapped_births
from clearsight.synthetic.sources.common import (
    CHUNK,
    CsvOut,
    Progress,
    SourceResult,
    TruthLog,
    coordinate,
    gender_word,
    write_mapping,
)
from clearsight.synthetic.structures import Structures
from clearsight.synthetic.world import HOURS_NIGHT, World, event_minutes, iso_minutes

NAME = "stop_search"
STREAM = 13

HEADER = (
    "Search reference",
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
    "Forename",
    "Surname",
    "Date of birth",
)
TYPES = ("Person search", "Person and Vehicle search", "Vehicle search")
TYPE_P = np.array([0.78, 0.14, 0.08])
#: (legislation, object of search, weight)
GROUNDS = (
    ("Misuse of Drugs Act 1971 (section 23)", "Controlled drugs", 60),
    ("Police and Criminal Evidence Act 1984 (section 1)", "Stolen goods", 12),
    ("Police and Criminal Evidence Act 1984 (section 1)", "Offensive weapons", 12),
    ("Police and Criminal Evidence Act 1984 (section 1)", "Article for use in theft", 8),
    ("Criminal Justice and Public Order Act 1994 (section 60)", "Offensive weapons", 3),
    ("Firearms Act 1968 (section 47)", "Firearms", 2),
    ("Police and Criminal Evidence Act 1984 (section 1)", "Anything to threaten or harm anyone", 3),
)
OUTCOMES = (
    ("A no further action disposal", 70),
    ("Arrest", 14),
    ("Community resolution", 7),
    ("Khat or Cannabis warning", 5),
    ("Penalty Notice for Disorder", 1),
    ("Summons / charged by post", 2),
    ("Caution (simple or conditional)", 1),
)
OPERATIONS = ("Operation Kestrel", "Operation Harrier", "Operation Merlin")

STYLE = RecordStyle(
    nickname=0.06,
    typo_forename=0.025,
    typo_surname=0.025,
    birth_missing=0.05,
    birth_swapped=0.015,
    maiden_name=0.2,
    address_missing=1.0,
    phone_missing=1.0,
)

MAPPING: dict[str, Any] = {
    "name": NAME,
    "description": "Stop and search records in the police.uk layout, with the person searched",
    "format": "csv",
    "options": {"delimiter": ",", "encoding": "utf-8"},
    "record_key": ["Search reference"],
    "marking": {"classification": "OFFICIAL-SENSITIVE", "descriptors": ["PERSONAL"]},
    "kind": "fact",
    "entities": [
        {
            "id": "search",
            "schema": "StopSearch",
            "properties": {
                "searchType": {"column": "Type"},
                "occurredFrom": {"column": "Date", "format": "%Y-%m-%dT%H:%M:%S%z"},
                "partOfPolicingOperation": {"column": "Part of a policing operation"},
                "policingOperation": {"column": "Policing operation"},
                "latitude": {"column": "Latitude"},
                "longitude": {"column": "Longitude"},
                "gender": {"column": "Gender"},
                "ageRange": {"column": "Age range"},
                "selfDefinedEthnicity": {"column": "Self-defined ethnicity"},
                "officerDefinedEthnicity": {"column": "Officer-defined ethnicity"},
                "legislation": {"column": "Legislation"},
                "objectOfSearch": {"column": "Object of search"},
                "outcome": {"column": "Outcome"},
                "outcomeLinkedToObject": {"column": "Outcome linked to object of search"},
                "removalOfClothing": {"column": "Removal of more than just outer clothing"},
                "discovery": {"constant": "discovered"},
                "force": {"constant": "West Yorkshire Police"},
            },
        },
        {
            "id": "searched",
            "schema": "Person",
            "key": ["Search reference"],
            "skip_if_empty": ["Surname"],
            "properties": {
                "forename": {"column": "Forename"},
                "surname": {"column": "Surname"},
                "birthDate": {"column": "Date of birth", "format": "%d-%b-%Y"},
                "gender": {"column": "Gender"},
                "selfDefinedEthnicity": {"column": "Self-defined ethnicity"},
                "officerDefinedEthnicity": {"column": "Officer-defined ethnicity"},
            },
        },
    ],
    "links": [
        {
            "schema": "Involvement",
            "source": "searched",
            "target": "search",
            "properties": {
                "category": {"constant": "other"},
                "role": {"constant": "person searched"},
            },
        },
    ],
}


def _age_range(age: int) -> str:
    if age < 10:
        return "under 10"
    if age < 18:
        return "10-17"
    if age < 25:
        return "18-24"
    if age < 35:
        return "25-34"
    return "over 34"


def _blank(nobody: np.ndarray, values: list[str]) -> list[str]:
    """Empty the person columns of vehicle-only searches."""
    return ["" if nobody[i] else v for i, v in enumerate(values)]


def _pick(rng: np.random.Generator, table: tuple[tuple[Any, ...], ...], n: int) -> np.ndarray:
    w = np.array([row[-1] for row in table], dtype=np.float64)
    return rng.choice(len(table), size=n, p=w / w.sum())


def write(
    world: World, structures: Structures, out_dir: Path, truth: TruthLog, progress: Progress
) -> SourceResult:
    """Write ``stop_search.csv`` and its mapping."""
    rng = world.rng(STREAM)
    pop, geo, hh = world.population, world.geo, world.households
    n = max(int(pop.count * 0.04), 10)
    offenders = np.flatnonzero(pop.activity > 0)
    age = pop.age()
    young = np.flatnonzero((age >= 14) & (age <= 45))
    from_offenders = rng.random(n) < 0.6
    people = np.where(
        from_offenders,
        rng.choice(offenders, size=n, p=pop.activity[offenders] / pop.activity[offenders].sum()),
        rng.choice(young, size=n),
    )
    people[: structures.ocg_members.size] = structures.ocg_members
    minutes = event_minutes(rng, n, HOURS_NIGHT)
    order = np.argsort(minutes, kind="stable")
    people, minutes = people[order], minutes[order]
    # Searches happen near home more often than not.
    lsoa = np.where(
        rng.random(n) < 0.6,
        hh.lsoa[pop.household[people]],
        rng.choice(geo.size, size=n, p=geo.lsoa_crime_weight),
    )
    point = geo.sample_points(lsoa, rng)
    kind = rng.choice(3, size=n, p=TYPE_P)
    grounds = _pick(rng, GROUNDS, n)
    outcome = _pick(rng, OUTCOMES, n)
    operation = rng.random(n) < 0.07
    iso = iso_minutes(minutes)
    out = CsvOut(out_dir / "stop_search.csv", HEADER)
    for c, start in enumerate(range(0, n, CHUNK)):
        crng = world.rng(STREAM, c + 1)
        sl = slice(start, start + CHUNK)
        p = people[sl]
        m = p.size
        r = render_people(p, pop, hh, world.names, STYLE, crng)
        dob = format_dates(r.birth_day, "%d-%b-%Y", swap=swapped_births(crng, m, STYLE))
        refs = [f"SS-{s[:4]}-{start + i + 1:07d}" for i, s in enumerate(iso[sl])]
        seconds = crng.integers(0, 60, m)
        nobody = kind[sl] == 2
        sde_missing = crng.random(m) < 0.12
        sde = [
            ""
            if nobody[i] or sde_missing[i]
            else POLICE_UK_SELF_DEFINED[SELF_DEFINED_CODES[pop.ethnicity[q]]]
            for i, q in enumerate(p)
        ]
        ode = [
            "" if nobody[i] else OFFICER_DEFINED[SELF_DEFINED_CODES[pop.ethnicity[q]]]
            for i, q in enumerate(p)
        ]
        linked = crng.random(m) < 0.6
        removal = crng.random(m) < 0.03
        out.write(
            [
                refs,
                [TYPES[int(k)] for k in kind[sl]],
                [f"{s}:{int(seconds[i]):02d}+00:00" for i, s in enumerate(iso[sl])],
                ["True" if x else "False" for x in operation[sl]],
                [OPERATIONS[i % len(OPERATIONS)] if x else "" for i, x in enumerate(operation[sl])],
                [coordinate(geo.point_lat[x]) for x in point[sl]],
                [coordinate(geo.point_lon[x]) for x in point[sl]],
                _blank(nobody, [gender_word(int(g)) for g in pop.gender[p]]),
                _blank(nobody, [_age_range(int(a)) for a in age[p]]),
                sde,
                ode,
                [GROUNDS[int(g)][0] for g in grounds[sl]],
                [GROUNDS[int(g)][1] for g in grounds[sl]],
                [OUTCOMES[int(o)][0] for o in outcome[sl]],
                [
                    "" if outcome[start + i] == 0 else ("True" if linked[i] else "False")
                    for i in range(m)
                ],
                _blank(nobody, ["True" if x else "False" for x in removal]),
                _blank(nobody, r.forename),
                _blank(nobody, r.surname),
                _blank(nobody, dob),
            ]
        )
        keep = np.flatnonzero(~nobody)
        truth.add(NAME, [refs[i] for i in keep], "searched", p[keep].tolist())
        progress(NAME, m)
    out.close()
    write_mapping(out_dir / "stop_search.mapping.yaml", MAPPING)
    return SourceResult(NAME, (out.path, out_dir / "stop_search.mapping.yaml"), out.rows)
