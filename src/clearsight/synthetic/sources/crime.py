"""Crime recording system export: one row per person involved in a crime.

Crimes repeat on each of their rows (suspects, victims, witnesses), which keeps the mapping
plain: every row yields the crime, one person and the involvement between them. Dates are
``yyyy-mm-dd`` and names ``SURNAME, Forename``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

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
from clearsight.synthetic.structures import BURGLARY_MO, Structures
from clearsight.synthetic.world import HOURS_CRIME, World, event_minutes, iso_minutes

NAME = "crime"
STREAM = 12
ROLES = ("suspect", "victim", "witness")

#: police.uk crime type, weight, sub-types, MO texts, needs a victim
CRIME_TYPES: tuple[tuple[str, float, tuple[str, ...], tuple[str, ...], bool], ...] = (
    (
        "Violence and sexual offences",
        34,
        ("Assault with injury", "Assault without injury", "Harassment"),
        (
            "Victim punched to the face during an argument outside licensed premises.",
            "Offender known to victim; pushed victim to the ground at the home address.",
            "Repeated unwanted messages and calls after the relationship ended.",
            "Victim struck with a bottle in the street; offender left on foot.",
        ),
        True,
    ),
    (
        "Criminal damage and arson",
        10,
        ("Criminal damage to a vehicle", "Criminal damage to a dwelling"),
        (
            "Vehicle windscreen smashed overnight while parked on the street.",
            "Front window of the dwelling broken with a thrown brick.",
            "Paint thrown over the front door; no entry gained.",
        ),
        True,
    ),
    (
        "Burglary",
        8,
        ("Residential burglary - home", "Business and community burglary"),
        (
            "Front door lock snapped; electrical items taken while occupants asleep.",
            "Insecure rear door; handbag and purse taken from the kitchen.",
            "Shed broken into and pedal cycles and tools taken.",
            "Entry through a first floor window; laptop and jewellery taken.",
        ),
        True,
    ),
    (
        "Vehicle crime",
        8,
        ("Theft from a motor vehicle", "Theft of a motor vehicle"),
        (
            "Nearside window smashed and a bag taken from the rear seat.",
            "Keyless vehicle taken from the drive overnight using a relay device.",
            "Catalytic converter cut from the underside of the vehicle.",
        ),
        True,
    ),
    (
        "Shoplifting",
        8,
        ("Theft from a shop or stall",),
        (
            "Offender concealed meat and alcohol in a bag and left without paying.",
            "Offender selected high-value cosmetics and ran from the store.",
        ),
        True,
    ),
    (
        "Other theft",
        8,
        ("Theft not classified elsewhere",),
        (
            "Parcel taken from the doorstep after delivery.",
            "Mobile phone left on a table taken by an unknown offender.",
        ),
        True,
    ),
    (
        "Public order",
        9,
        ("Public fear, alarm or distress",),
        (
            "Offender shouting and swearing in the street, causing distress to passers-by.",
            "Threats made towards neighbours during a dispute over parking.",
        ),
        True,
    ),
    (
        "Drugs",
        4,
        ("Possession of drugs", "Trafficking of drugs"),
        (
            "Found in possession of a quantity of cannabis when searched.",
            "Found with wraps of a white powder believed to be cocaine and a quantity of cash.",
        ),
        False,
    ),
    (
        "Robbery",
        2,
        ("Robbery of personal property",),
        (
            "Victim threatened with a knife and made to hand over a mobile phone.",
            "Two offenders on pedal cycles snatched the victim's phone and bag.",
        ),
        True,
    ),
    (
        "Theft from the person",
        2,
        ("Theft from the person",),
        ("Wallet taken from a jacket pocket on a busy bus.",),
        True,
    ),
    (
        "Possession of weapons",
        2,
        ("Possession of an article with a blade or point",),
        ("Found in possession of a lock knife in a public place.",),
        False,
    ),
    (
        "Bicycle theft",
        2,
        ("Theft of a pedal cycle",),
        ("Pedal cycle taken after the lock was cut outside the railway station.",),
        True,
    ),
    (
        "Other crime",
        3,
        ("Fraud and forgery", "Other offences"),
        ("Victim's bank card used for contactless payments after it was lost.",),
        True,
    ),
)
BURGLARY = 2
DRUGS = 7
OUTCOMES = (
    "Investigation complete; no suspect identified",
    "Under investigation",
    "Unable to prosecute suspect",
    "Offender given a caution",
    "Court result unavailable",
    "Local resolution",
    "Awaiting court outcome",
)

HEADER = (
    "crime_ref",
    "involvement_no",
    "role",
    "person_name",
    "date_of_birth",
    "gender",
    "address",
    "postcode",
    "phone",
    "crime_type",
    "crime_subtype",
    "mo",
    "occurred_date",
    "occurred_time",
    "occurred_to_date",
    "occurred_to_time",
    "reported_at",
    "latitude",
    "longitude",
    "lsoa_code",
    "lsoa_name",
    "location",
    "discovery",
    "outcome",
)

STYLE = RecordStyle(
    nickname=0.05,
    typo_forename=0.02,
    typo_surname=0.02,
    birth_missing=0.06,
    birth_swapped=0.01,
    maiden_name=0.3,
    address_missing=0.06,
    stale_address=0.02,
    phone_missing=0.45,
    phone_styles=(0.7, 0.25, 0.0, 0.0, 0.0, 0.05),
    postcode_styles=(0.9, 0.07, 0.03),
)

MAPPING: dict[str, Any] = {
    "name": NAME,
    "description": "Crime recording system export, one row per person involved in a crime",
    "format": "csv",
    "options": {"delimiter": ",", "encoding": "utf-8"},
    "record_key": ["crime_ref", "involvement_no"],
    "marking": {"classification": "OFFICIAL-SENSITIVE", "descriptors": ["PERSONAL"]},
    "kind": "fact",
    "entities": [
        {
            "id": "crime",
            "schema": "Crime",
            "key": ["crime_ref"],
            "properties": {
                "crimeReference": {"column": "crime_ref", "required": True},
                "crimeType": {"column": "crime_type"},
                "subType": {"column": "crime_subtype"},
                "modusOperandi": {"column": "mo"},
                "occurredFrom": {
                    "template": "{occurred_date} {occurred_time}",
                    "format": "%Y-%m-%d %H:%M",
                },
                "occurredTo": {
                    "template": "{occurred_to_date} {occurred_to_time}",
                    "format": "%Y-%m-%d %H:%M",
                },
                "reportedAt": {"column": "reported_at", "format": "%Y-%m-%d %H:%M"},
                "latitude": {"column": "latitude"},
                "longitude": {"column": "longitude"},
                "lsoaCode": {"column": "lsoa_code"},
                "lsoaName": {"column": "lsoa_name"},
                "locationDescription": {"column": "location"},
                "discovery": {"column": "discovery"},
                "outcome": {"column": "outcome"},
                "force": {"constant": "West Yorkshire Police"},
            },
        },
        {
            "id": "person",
            "schema": "Person",
            "key": ["crime_ref", "involvement_no"],
            "skip_if_empty": ["person_name"],
            "properties": {
                "name": {"column": "person_name"},
                "birthDate": {"column": "date_of_birth", "format": "%Y-%m-%d"},
                "gender": {"column": "gender"},
                "address": {"template": "{address}, {postcode}"},
                "postcode": {"column": "postcode"},
                "phone": {"column": "phone"},
            },
        },
    ],
    "links": [
        {
            "schema": "Involvement",
            "source": "person",
            "target": "crime",
            "properties": {
                "category": {"column": "role", "required": True},
                "role": {"column": "role"},
            },
        },
    ],
}


class _Crimes:
    """Crimes and involvements gathered before sorting into time order."""

    def __init__(self) -> None:
        self.kind: list[np.ndarray] = []
        self.sub: list[np.ndarray] = []
        self.mo: list[np.ndarray] = []  # index into the type's MO list, -1 for the series MO
        self.point: list[np.ndarray] = []
        self.minutes: list[np.ndarray] = []
        self.inv_crime: list[np.ndarray] = []
        self.inv_role: list[np.ndarray] = []
        self.inv_person: list[np.ndarray] = []
        self.count = 0

    def add(
        self,
        kind: np.ndarray,
        sub: np.ndarray,
        mo: np.ndarray,
        point: np.ndarray,
        minutes: np.ndarray,
    ) -> np.ndarray:
        idx = np.arange(self.count, self.count + kind.size)
        self.kind.append(kind)
        self.sub.append(sub)
        self.mo.append(mo)
        self.point.append(point)
        self.minutes.append(minutes)
        self.count += kind.size
        return idx

    def involve(self, crimes: np.ndarray, role: int, people: np.ndarray) -> None:
        self.inv_crime.append(crimes.astype(np.int64))
        self.inv_role.append(np.full(crimes.size, role, dtype=np.int8))
        self.inv_person.append(people.astype(np.int64))


def _draw_subtype_and_mo(
    rng: np.random.Generator, kind: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    n_sub = np.array([len(t[2]) for t in CRIME_TYPES])[kind]
    n_mo = np.array([len(t[3]) for t in CRIME_TYPES])[kind]
    return (rng.random(kind.size) * n_sub).astype(np.int64), (rng.random(kind.size) * n_mo).astype(
        np.int64
    )


def build(
    world: World, structures: Structures, rng: np.random.Generator
) -> tuple[_Crimes, dict[str, np.ndarray]]:
    """Draw ordinary crimes and add the planted ones; return them and the planted indices."""
    pop, geo, hh = world.population, world.geo, world.households
    crimes = _Crimes()
    offenders = np.flatnonzero(pop.activity > 0)
    w_off = pop.activity[offenders] / pop.activity[offenders].sum()
    over_ten = np.flatnonzero(pop.age() >= 10)

    n = max(int(pop.count * 0.12), 20)
    weights = np.array([t[1] for t in CRIME_TYPES], dtype=np.float64)
    kind = rng.choice(len(CRIME_TYPES), size=n, p=weights / weights.sum())
    sub, mo = _draw_subtype_and_mo(rng, kind)
    lsoa = rng.choice(geo.size, size=n, p=geo.lsoa_crime_weight)
    point = geo.sample_points(lsoa, rng)
    victim = rng.choice(over_ten, size=n)
    # A home burglary happens at the victim's home.
    home_burglary = (kind == BURGLARY) & (sub == 0)
    point[home_burglary] = hh.point[pop.household[victim[home_burglary]]]
    idx = crimes.add(kind, sub, mo, point, event_minutes(rng, n, HOURS_CRIME))
    needs_victim = np.array([t[4] for t in CRIME_TYPES])[kind]
    crimes.involve(idx[needs_victim], 1, victim[needs_victim])
    second = needs_victim & (rng.random(n) < 0.08)
    crimes.involve(idx[second], 1, rng.choice(over_ten, size=int(second.sum())))
    n_suspects = np.where(
        needs_victim, rng.choice(3, size=n, p=[0.45, 0.4, 0.15]), 1 + (rng.random(n) < 0.1)
    )
    for k in (1, 2):
        has = n_suspects >= k
        crimes.involve(idx[has], 0, rng.choice(offenders, size=int(has.sum()), p=w_off))
    n_wit = np.minimum(rng.poisson(0.35, n), 2)
    for k in (1, 2):
        has = n_wit >= k
        crimes.involve(idx[has], 2, rng.choice(over_ten, size=int(has.sum())))

    planted: dict[str, np.ndarray] = {}
    # The burglary series: same MO, near each other, evenings over a few weeks.
    m = structures.burglary_victims.size
    kind = np.full(m, BURGLARY)
    idx = crimes.add(
        kind,
        np.zeros(m, dtype=np.int64),
        np.full(m, -1),
        structures.burglary_points,
        structures.burglary_minutes,
    )
    crimes.involve(idx, 1, structures.burglary_victims)
    crimes.involve(idx[-2:], 0, np.full(2, structures.burglary_offender))
    planted["burglary_series"] = idx

    # Co-offending pairs: three to six crimes each with both as suspects.
    for pair, (a, b) in enumerate(structures.co_offenders):
        k = int(rng.integers(3, 7))
        kind = rng.choice(np.array([2, 3, 4, 8]), size=k)
        sub, mo = _draw_subtype_and_mo(rng, kind)
        point = geo.sample_points(rng.choice(geo.size, size=k, p=geo.lsoa_crime_weight), rng)
        idx = crimes.add(kind, sub, mo, point, event_minutes(rng, k, HOURS_CRIME))
        crimes.involve(idx, 0, np.full(k, a))
        crimes.involve(idx, 0, np.full(k, b))
        crimes.involve(idx, 1, rng.choice(over_ten, size=k))
        planted[f"pair:{pair}"] = idx

    # The prolific offender: dozens of crimes as suspect.
    k = int(rng.integers(35, 50))
    kind = rng.choice(np.array([0, 1, 2, 3, 4, 5, 6]), size=k)
    sub, mo = _draw_subtype_and_mo(rng, kind)
    home_lsoa = hh.lsoa[pop.household[structures.prolific]]
    point = geo.sample_points(np.full(k, home_lsoa), rng)
    idx = crimes.add(kind, sub, mo, point, event_minutes(rng, k, HOURS_CRIME))
    crimes.involve(idx, 0, np.full(k, structures.prolific))
    crimes.involve(idx, 1, rng.choice(over_ten, size=k))
    planted["prolific"] = idx

    # The OCG's drug supply: members found together with drugs.
    k = structures.ocg_members.size
    kind = np.full(k, DRUGS)
    sub = np.ones(k, dtype=np.int64)
    mo = np.ones(k, dtype=np.int64)
    point = geo.sample_points(hh.lsoa[pop.household[structures.ocg_members]], rng)
    idx = crimes.add(kind, sub, mo, point, event_minutes(rng, k, HOURS_CRIME))
    crimes.involve(idx, 0, structures.ocg_members)
    partner = np.roll(structures.ocg_members[1:], 1)
    crimes.involve(idx[1:], 0, partner)
    planted["ocg"] = idx
    return crimes, planted


def write(
    world: World, structures: Structures, out_dir: Path, truth: TruthLog, progress: Progress
) -> tuple[SourceResult, dict[str, list[str]]]:
    """Write ``crime.csv`` and its mapping; return the planted crimes' references too."""
    rng = world.rng(STREAM)
    crimes, planted = build(world, structures, rng)
    kind = np.concatenate(crimes.kind)
    sub = np.concatenate(crimes.sub)
    mo = np.concatenate(crimes.mo)
    point = np.concatenate(crimes.point)
    minutes = np.concatenate(crimes.minutes)
    order = np.argsort(minutes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    years = iso_minutes(minutes)
    refs = np.array(
        [f"13/{int(rank[i]) + 1:07d}/{years[i][2:4]}" for i in range(order.size)], dtype=object
    )
    duration = np.where(
        kind == BURGLARY,
        rng.integers(30, 300, kind.size),
        np.where(kind == 3, rng.integers(60, 600, kind.size), 0),
    )
    delay = rng.exponential(180, kind.size).astype(np.int64) + duration
    discovered = (kind == DRUGS) | (kind == 10) | ((kind == 6) & (rng.random(kind.size) < 0.3))
    outcome = rng.integers(0, len(OUTCOMES), kind.size)

    inv_crime = np.concatenate(crimes.inv_crime)
    inv_role = np.concatenate(crimes.inv_role)
    inv_person = np.concatenate(crimes.inv_person)
    rows = np.lexsort((inv_role, rank[inv_crime]))
    inv_crime, inv_role, inv_person = inv_crime[rows], inv_role[rows], inv_person[rows]
    # Number involvements 1, 2, ... within each crime.
    starts = np.r_[0, np.flatnonzero(np.diff(inv_crime) != 0) + 1]
    seq = np.arange(inv_crime.size) - np.repeat(starts, np.diff(np.r_[starts, inv_crime.size]))

    pop, geo = world.population, world.geo
    out = CsvOut(out_dir / "crime.csv", HEADER)
    from_iso = iso_minutes(minutes)
    to_iso = iso_minutes(minutes + duration)
    rep_iso = iso_minutes(minutes + delay)
    lsoa = geo.point_lsoa(point)
    for c, start in enumerate(range(0, inv_crime.size, CHUNK)):
        crng = world.rng(STREAM, c + 1)
        ci = inv_crime[start : start + CHUNK]
        p = inv_person[start : start + CHUNK]
        n = p.size
        r = render_people(p, pop, world.households, world.names, STYLE, crng)
        dob = format_dates(r.birth_day, "%Y-%m-%d", swap=swapped_births(crng, n, STYLE))
        names = [f"{s.upper()}, {f}" for f, s in zip(r.forename, r.surname, strict=True)]
        address = [f"{a}, {t}" if a else "" for a, t in zip(r.address_line, r.town, strict=True)]
        mo_text = [BURGLARY_MO if mo[i] < 0 else CRIME_TYPES[kind[i]][3][mo[i]] for i in ci]
        keys = refs[ci].tolist()
        seq_text = [str(int(s) + 1) for s in seq[start : start + n]]
        out.write(
            [
                keys,
                seq_text,
                [ROLES[int(x)] for x in inv_role[start : start + n]],
                names,
                dob,
                [gender_word(int(g)) for g in pop.gender[p]],
                address,
                r.postcode,
                r.phone,
                [CRIME_TYPES[kind[i]][0] for i in ci],
                [CRIME_TYPES[kind[i]][2][sub[i]] for i in ci],
                mo_text,
                [from_iso[i][:10] for i in ci],
                [from_iso[i][11:16] for i in ci],
                [to_iso[i][:10] if duration[i] else "" for i in ci],
                [to_iso[i][11:16] if duration[i] else "" for i in ci],
                [rep_iso[i].replace("T", " ") for i in ci],
                [coordinate(geo.point_lat[point[i]]) for i in ci],
                [coordinate(geo.point_lon[point[i]]) for i in ci],
                [geo.lsoa_code[lsoa[i]] for i in ci],
                [geo.lsoa_name[lsoa[i]] for i in ci],
                [geo.point_street[point[i]] for i in ci],
                ["discovered" if discovered[i] else "reported" for i in ci],
                [OUTCOMES[outcome[i]] for i in ci],
            ]
        )
        truth.add(
            NAME, [f"{k}|{s}" for k, s in zip(keys, seq_text, strict=True)], "person", p.tolist()
        )
        progress(NAME, n)
    out.close()
    write_mapping(out_dir / "crime.mapping.yaml", MAPPING)
    planted_refs = {name: sorted(refs[idx].tolist()) for name, idx in planted.items()}
    return SourceResult(NAME, (out.path, out_dir / "crime.mapping.yaml"), out.rows), planted_refs
