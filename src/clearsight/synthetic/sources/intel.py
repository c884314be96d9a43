"""Intelligence reports (JSON Lines), graded 3x5x2, naming people, phones, vehicles and places.

Each report carries the free text an officer wrote and structured lists of what it
mentions (``subjects``, ``phones``, ``vehicles``, ``locations``) so a mapping can create
Mention links. Sources are referred to by a reference into the source store, never named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from clearsight.synthetic.identifiers import format_mobile, format_vrm
from clearsight.synthetic.noise import RecordStyle, format_dates, render_people
from clearsight.synthetic.sources.common import (
    CHUNK,
    JsonLinesOut,
    Progress,
    SourceResult,
    TruthLog,
    write_mapping,
)
from clearsight.synthetic.structures import Structures
from clearsight.synthetic.world import (
    COLOURS,
    HOURS_DAY,
    VEHICLE_MODELS,
    World,
    event_minutes,
    iso_minutes,
)

NAME = "intelligence"
STREAM = 18
MAX_SUBJECTS = 3

STYLE = RecordStyle(
    nickname=0.12,
    typo_forename=0.03,
    typo_surname=0.03,
    birth_missing=0.35,
    birth_swapped=0.01,
    maiden_name=0.2,
    address_missing=0.4,
    stale_address=0.05,
    phone_missing=1.0,
)
CONDITIONS = (
    "Not to be disseminated outside the OCG investigation team without reference to the FIB.",
    "Do not action without prior consultation with the originating officer.",
    "Source protection: not to be used in evidence or disclosed to partner agencies.",
)
LEGACY = ("B2 4", "C3 3", "B3 1", "A2 2", "C4 5", "E4 4")
ACTIVITIES = (
    "is dealing cannabis from the address",
    "is storing stolen goods in a garage",
    "is involved in the supply of class A drugs",
    "has been carrying a knife when out at night",
    "is organising the theft of catalytic converters",
    "is handling stolen power tools",
)
PLACES_TEXT = (
    "They are frequently seen {place}",
    "They meet associates {place}",
    "They are known to frequent an address {place}",
)

MAPPING: dict[str, Any] = {
    "name": NAME,
    "description": "Intelligence reports graded 3x5x2, with their structured mentions",
    "format": "jsonl",
    "record_key": ["reference"],
    "marking": {"classification": "OFFICIAL-SENSITIVE", "descriptors": ["PERSONAL"]},
    "kind": "assessment",
    "entities": [
        {
            "id": "report",
            "schema": "IntelligenceReport",
            "properties": {
                "reference": {"column": "reference", "required": True},
                "reportedAt": {"column": "reportedAt", "format": "%Y-%m-%dT%H:%M:%S"},
                "sourceEvaluation": {"column": "sourceEvaluation"},
                "intelligenceAssessment": {"column": "intelligenceAssessment"},
                "handlingCode": {"column": "handlingCode"},
                "handlingConditions": {"column": "handlingConditions"},
                "legacyGrading": {"column": "legacyGrading"},
                "sourceReference": {"column": "sourceReference"},
                "body": {"column": "body"},
            },
        },
        *[
            {
                "id": f"subject{i}",
                "schema": "Person",
                "key": [f"subjects.{i}.mentionId"],
                "skip_if_empty": [f"subjects.{i}.surname"],
                "properties": {
                    "forename": {"column": f"subjects.{i}.forename"},
                    "surname": {"column": f"subjects.{i}.surname"},
                    "birthDate": {"column": f"subjects.{i}.dateOfBirth", "format": "%Y-%m-%d"},
                    "address": {"column": f"subjects.{i}.address"},
                    "postcode": {"column": f"subjects.{i}.postcode"},
                },
            }
            for i in range(MAX_SUBJECTS)
        ],
        {
            "id": "phone0",
            "schema": "Phone",
            "key": ["phones.0.number"],
            "skip_if_empty": ["phones.0.number"],
            "properties": {"number": {"column": "phones.0.number"}},
        },
        {
            "id": "vehicle0",
            "schema": "Vehicle",
            "key": ["vehicles.0.vrm"],
            "skip_if_empty": ["vehicles.0.vrm"],
            "properties": {
                "registration": {"column": "vehicles.0.vrm"},
                "make": {"column": "vehicles.0.make"},
                "colour": {"column": "vehicles.0.colour"},
            },
        },
        {
            "id": "place0",
            "schema": "Address",
            "key": ["reference"],
            "skip_if_empty": ["locations.0.description"],
            "properties": {
                "locationDescription": {"column": "locations.0.description"},
                "latitude": {"column": "locations.0.latitude"},
                "longitude": {"column": "locations.0.longitude"},
            },
        },
    ],
    "links": [
        *[
            {
                "schema": "Mention",
                "source": "report",
                "target": target,
                "properties": {"context": {"constant": context}},
            }
            for target, context in (
                *((f"subject{i}", "subject") for i in range(MAX_SUBJECTS)),
                ("phone0", "phone"),
                ("vehicle0", "vehicle"),
                ("place0", "location"),
            )
        ],
    ],
}


def _reports(
    world: World, structures: Structures, rng: np.random.Generator
) -> tuple[list[np.ndarray], np.ndarray]:
    """Subjects of every report (a list of person arrays) and report times, in time order."""
    pop = world.population
    offenders = np.flatnonzero(pop.activity > 0)
    w = pop.activity[offenders] / pop.activity[offenders].sum()
    n = max(int(pop.count * 0.012), 10)
    counts = rng.choice(np.arange(1, MAX_SUBJECTS + 1), size=n, p=[0.6, 0.3, 0.1])
    subjects = [rng.choice(offenders, size=int(k), replace=False, p=w) for k in counts]
    members = structures.ocg_members
    for _ in range(20 + members.size):
        # Reports on the group name the leader with one or two members, or two members.
        pick = rng.choice(members[1:], size=int(rng.integers(1, 3)), replace=False)
        subjects.append(np.concatenate([[structures.leader], pick]) if rng.random() < 0.5 else pick)
    for _ in range(3):
        subjects.append(np.array([structures.burglary_offender]))
    minutes = event_minutes(rng, len(subjects), HOURS_DAY)
    order = np.argsort(minutes, kind="stable")
    return [subjects[i] for i in order], minutes[order]


def write(
    world: World, structures: Structures, out_dir: Path, truth: TruthLog, progress: Progress
) -> SourceResult:
    """Write ``intelligence.jsonl`` and its mapping."""
    rng = world.rng(STREAM)
    subjects, minutes = _reports(world, structures, rng)
    pop, geo, fleet = world.population, world.geo, world.fleet
    ocg_phone = {
        int(u): int(p)
        for u, p in zip(structures.ocg_phone_user[::-1], structures.ocg_phones[::-1], strict=True)
    }
    vehicle_of = {int(k): int(v) for v, k in enumerate(fleet.keeper)}
    for i, m in enumerate(structures.ocg_members):
        vehicle_of[int(m)] = int(structures.ocg_vehicles[i % structures.ocg_vehicles.size])
    iso = iso_minutes(minutes)
    out = JsonLinesOut(out_dir / "intelligence.jsonl")
    for c, start in enumerate(range(0, len(subjects), CHUNK)):
        crng = world.rng(STREAM, c + 1)
        batch = subjects[start : start + CHUNK]
        flat = np.concatenate(batch)
        r = render_people(flat, pop, world.households, world.names, STYLE, crng)
        dob = format_dates(r.birth_day, "%Y-%m-%d")
        records: list[dict[str, Any]] = []
        keys: list[str] = []
        entities: list[str] = []
        who: list[int] = []
        at = 0
        for j, people in enumerate(batch):
            i = start + j
            reference = f"IR/{iso[i][:4]}/{i + 1:07d}"
            legacy = crng.random() < 0.03
            handling = "C" if crng.random() < 0.15 else "P"
            mentions: list[dict[str, str]] = []
            text: list[str] = []
            for s, person in enumerate(people):
                k = at + s
                mention_id = f"{reference}#{s + 1}"
                mentions.append(
                    {
                        "mentionId": mention_id,
                        "forename": r.forename[k],
                        "surname": r.surname[k],
                        "dateOfBirth": dob[k],
                        "address": f"{r.address_line[k]}, {r.town[k]}" if r.address_line[k] else "",
                        "postcode": r.postcode[k],
                    }
                )
                born = f" (born {dob[k]})" if dob[k] else ""
                text.append(
                    f"{r.forename[k]} {r.surname[k].upper()}{born} {ACTIVITIES[int(crng.integers(0, len(ACTIVITIES)))]}."
                )
                keys.append(mention_id)
                entities.append(f"subject{s}")
                who.append(int(person))
            at += len(people)
            lead = int(people[0])
            phones: list[dict[str, str]] = []
            number = ocg_phone.get(lead, int(pop.phone[lead]))
            if number >= 0 and crng.random() < 0.5:
                written = format_mobile(number, int(crng.integers(0, 6)))
                phones.append({"number": written})
                text.append(f"{r.forename[at - len(people)]} uses mobile {written}.")
            vehicles: list[dict[str, str]] = []
            if lead in vehicle_of and crng.random() < 0.5:
                v = vehicle_of[lead]
                make, model = VEHICLE_MODELS[int(fleet.model[v])]
                colour = COLOURS[int(fleet.colour[v])]
                vrm = format_vrm(str(fleet.vrm[v]), int(crng.integers(0, 2)))
                vehicles.append({"vrm": vrm, "make": make, "colour": colour})
                text.append(f"They drive a {colour.lower()} {make} {model}, {vrm}.")
            locations: list[dict[str, str]] = []
            if crng.random() < 0.6:
                point = int(
                    geo.sample_points(np.array([world.households.lsoa[pop.household[lead]]]), crng)[
                        0
                    ]
                )
                place = str(geo.point_street[point]).replace("On or near ", "")
                locations.append(
                    {
                        "description": place,
                        "latitude": f"{geo.point_lat[point]:.6f}",
                        "longitude": f"{geo.point_lon[point]:.6f}",
                    }
                )
                text.append(
                    PLACES_TEXT[int(crng.integers(0, len(PLACES_TEXT)))].format(place=f"on {place}")
                    + "."
                )
            record: dict[str, Any] = {
                "reference": reference,
                "reportedAt": f"{iso[i]}:00",
                "sourceEvaluation": ""
                if legacy
                else str(int(crng.choice(3, p=[0.2, 0.6, 0.2])) + 1),
                "intelligenceAssessment": ""
                if legacy
                else "ABCDE"[int(crng.choice(5, p=[0.1, 0.35, 0.35, 0.15, 0.05]))],
                "handlingCode": "" if legacy else handling,
                "handlingConditions": CONDITIONS[int(crng.integers(0, len(CONDITIONS)))]
                if handling == "C" and not legacy
                else "",
                "legacyGrading": LEGACY[int(crng.integers(0, len(LEGACY)))] if legacy else "",
                "sourceReference": f"SRC-{int(crng.integers(0, 16**6)):06X}",
                "body": " ".join(text),
                "subjects": mentions,
                "phones": phones,
                "vehicles": vehicles,
                "locations": locations,
            }
            records.append(record)
        out.write(records)
        truth.add(NAME, keys, entities, who)
        progress(NAME, len(batch))
    out.close()
    write_mapping(out_dir / "intelligence.mapping.yaml", MAPPING)
    return SourceResult(NAME, (out.path, out_dir / "intelligence.mapping.yaml"), out.rows)
