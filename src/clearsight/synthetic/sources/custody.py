"""Custody system export: one row per detention (CSV, dd/mm/yyyy dates, names split)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from clearsight.synthetic.identifiers import pnc_id
from clearsight.synthetic.names import SELF_DEFINED, SELF_DEFINED_CODES
from clearsight.synthetic.noise import RecordStyle, format_dates, render_people, swapped_births
from clearsight.synthetic.sources.common import (
    CHUNK,
    CsvOut,
    Progress,
    SourceResult,
    TruthLog,
    gender_word,
    write_mapping,
)
from clearsight.synthetic.structures import Structures
from clearsight.synthetic.world import HOURS_NIGHT, World, event_minutes, iso_minutes

NAME = "custody"
STREAM = 11

OFFENCES: tuple[tuple[str, float], ...] = (
    ("Assault occasioning actual bodily harm", 14),
    ("Common assault", 12),
    ("Theft from a shop", 12),
    ("Criminal damage", 8),
    ("Burglary - dwelling", 5),
    ("Possession of a controlled drug - Class B", 7),
    ("Possession with intent to supply a controlled drug - Class A", 3),
    ("Drink driving", 6),
    ("Public order - section 4A", 6),
    ("Breach of bail conditions", 6),
    ("Possession of an offensive weapon", 3),
    ("Robbery", 2),
    ("Harassment", 4),
    ("Theft of a motor vehicle", 3),
    ("Wanted on warrant", 9),
)
DRUG_SUPPLY = 6
BURGLARY = 4
OUTCOMES = (
    "Charged",
    "No further action",
    "Released under investigation",
    "Bailed",
    "Cautioned",
    "Community resolution",
)
OUTCOME_P = np.array([0.35, 0.2, 0.25, 0.1, 0.07, 0.03])
#: Custody suite of each local authority (same order as LOCAL_AUTHORITIES).
STATIONS = ("Elland Road", "Trafalgar House", "Halifax", "Huddersfield", "Havertop")

HEADER = (
    "custody_ref",
    "forename",
    "surname",
    "date_of_birth",
    "gender",
    "pnc_id",
    "address_line_1",
    "address_line_2",
    "postcode",
    "phone",
    "self_defined_ethnicity",
    "arrest_datetime",
    "offence",
    "station",
    "outcome",
)

STYLE = RecordStyle(
    nickname=0.04,
    typo_forename=0.015,
    typo_surname=0.015,
    birth_missing=0.01,
    birth_swapped=0.01,
    maiden_name=0.4,
    address_missing=0.05,
    stale_address=0.03,
    phone_missing=0.35,
    phone_styles=(0.6, 0.3, 0.0, 0.0, 0.1, 0.0),
)

MAPPING: dict[str, Any] = {
    "name": NAME,
    "description": "Custody system export, one row per detention",
    "format": "csv",
    "options": {"delimiter": ",", "encoding": "utf-8"},
    "record_key": ["custody_ref"],
    "marking": {"classification": "OFFICIAL-SENSITIVE", "descriptors": ["PERSONAL"]},
    "kind": "fact",
    "entities": [
        {
            "id": "detainee",
            "schema": "Person",
            "key": ["custody_ref"],
            "skip_if_empty": ["surname"],
            "properties": {
                "forename": {"column": "forename"},
                "surname": {"column": "surname"},
                "birthDate": {"column": "date_of_birth", "format": "%d/%m/%Y"},
                "gender": {"column": "gender"},
                "pncId": {"column": "pnc_id"},
                "address": {"template": "{address_line_1}, {address_line_2}, {postcode}"},
                "postcode": {"column": "postcode"},
                "phone": {"column": "phone"},
                "selfDefinedEthnicity": {"column": "self_defined_ethnicity"},
            },
        },
        {
            "id": "home",
            "schema": "Address",
            "key": ["custody_ref"],
            "skip_if_empty": ["address_line_1", "postcode"],
            "properties": {
                "fullAddress": {"template": "{address_line_1}, {address_line_2}, {postcode}"},
                "street": {"column": "address_line_1"},
                "town": {"column": "address_line_2"},
                "postcode": {"column": "postcode"},
            },
        },
        {
            "id": "detention",
            "schema": "Custody",
            "properties": {
                "custodyReference": {"column": "custody_ref", "required": True},
                "occurredFrom": {"column": "arrest_datetime", "format": "%d/%m/%Y %H:%M"},
                "offence": {"column": "offence"},
                "station": {"column": "station"},
                "outcome": {"column": "outcome"},
                "discovery": {"constant": "discovered"},
                "force": {"constant": "West Yorkshire Police"},
            },
        },
    ],
    "links": [
        {
            "schema": "Involvement",
            "source": "detainee",
            "target": "detention",
            "properties": {
                "category": {"constant": "suspect"},
                "role": {"constant": "detained person"},
            },
            "valid_from": {"column": "arrest_datetime", "format": "%d/%m/%Y %H:%M"},
        },
        {
            "schema": "Residence",
            "source": "detainee",
            "target": "home",
            "properties": {"residenceType": {"constant": "given on arrest"}},
        },
    ],
}


def detentions(
    world: World, structures: Structures, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who was detained, when and for what (person, minutes, offence index), in time order."""
    pop = world.population
    offenders = np.flatnonzero(pop.activity > 0)
    weights = pop.activity[offenders] / pop.activity[offenders].sum()
    n = max(int(pop.count * 0.06), 10)
    who = [rng.choice(offenders, size=n, p=weights)]
    w = np.array([x for _, x in OFFENCES], dtype=np.float64)
    what = [rng.choice(len(OFFENCES), size=n, p=w / w.sum())]
    n_prolific = int(rng.integers(25, 36))
    who.append(np.full(n_prolific, structures.prolific))
    what.append(rng.choice(len(OFFENCES), size=n_prolific, p=w / w.sum()))
    ocg = np.repeat(structures.ocg_members, 2)
    who.append(ocg)
    what.append(np.full(ocg.size, DRUG_SUPPLY))
    who.append(np.full(2, structures.burglary_offender))
    what.append(np.full(2, BURGLARY))
    people = np.concatenate(who).astype(np.int64)
    offences = np.concatenate(what).astype(np.int64)
    minutes = event_minutes(rng, people.size, HOURS_NIGHT)
    order = np.argsort(minutes, kind="stable")
    return people[order], minutes[order], offences[order]


def write(
    world: World, structures: Structures, out_dir: Path, truth: TruthLog, progress: Progress
) -> SourceResult:
    """Write ``custody.csv`` and ``custody.mapping.yaml``."""
    rng = world.rng(STREAM)
    people, minutes, offences = detentions(world, structures, rng)
    pop, hh = world.population, world.households
    out = CsvOut(out_dir / "custody.csv", HEADER)
    iso = iso_minutes(minutes)
    for c, start in enumerate(range(0, people.size, CHUNK)):
        crng = world.rng(STREAM, c + 1)
        p = people[start : start + CHUNK]
        n = p.size
        r = render_people(p, pop, hh, world.names, STYLE, crng)
        dob = format_dates(r.birth_day, "%d/%m/%Y", swap=swapped_births(crng, n, STYLE))
        refs = [
            f"WY-CUS-{s[2:4]}-{start + i + 1:07d}" for i, s in enumerate(iso[start : start + n])
        ]
        pnc_missing = crng.random(n) < 0.04
        pnc = [
            ""
            if pop.pnc_year[q] < 0 or pnc_missing[i]
            else pnc_id(int(pop.pnc_year[q]), int(pop.pnc_serial[q]))
            for i, q in enumerate(p)
        ]
        eth_missing = crng.random(n) < 0.05
        eth = [
            "" if eth_missing[i] else SELF_DEFINED[SELF_DEFINED_CODES[pop.ethnicity[q]]]
            for i, q in enumerate(p)
        ]
        arrest = [f"{s[8:10]}/{s[5:7]}/{s[0:4]} {s[11:16]}" for s in iso[start : start + n]]
        la = world.geo.lsoa_la[hh.lsoa[pop.household[p]]]
        station = [STATIONS[int(x)] for x in la]
        outcome = crng.choice(len(OUTCOMES), size=n, p=OUTCOME_P)
        out.write(
            [
                refs,
                r.forename,
                r.surname,
                dob,
                [gender_word(int(g)) for g in pop.gender[p]],
                pnc,
                r.address_line,
                r.town,
                r.postcode,
                r.phone,
                eth,
                arrest,
                [OFFENCES[int(o)][0] for o in offences[start : start + n]],
                station,
                [OUTCOMES[int(o)] for o in outcome],
            ]
        )
        truth.add(NAME, refs, "detainee", p.tolist())
        progress(NAME, n)
    out.close()
    write_mapping(out_dir / "custody.mapping.yaml", MAPPING)
    return SourceResult(NAME, (out.path, out_dir / "custody.mapping.yaml"), out.rows)
