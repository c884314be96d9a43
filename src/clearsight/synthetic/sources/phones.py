"""Communications data: subscriber records and call detail records (CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from clearsight.synthetic.identifiers import format_mobile
from clearsight.synthetic.noise import RecordStyle, format_dates, render_people, swapped_births
from clearsight.synthetic.sources.common import (
    CHUNK,
    CsvOut,
    Progress,
    SourceResult,
    TruthLog,
    write_mapping,
)
from clearsight.synthetic.structures import Structures, ocg_calls
from clearsight.synthetic.world import HOURS_DAY, WINDOW_START, World, event_minutes

SUBSCRIBERS = "phone_subscribers"
CALLS = "call_records"
STREAM_SUBSCRIBERS = 16
STREAM_CALLS = 17
NETWORKS = ("EE", "Vodafone", "O2", "Three", "Tesco Mobile", "giffgaff")

SUBSCRIBER_HEADER = (
    "subscriber_id",
    "msisdn",
    "network",
    "title",
    "first_name",
    "last_name",
    "date_of_birth",
    "address",
    "town",
    "postcode",
    "activated",
)
CALL_HEADER = (
    "call_id",
    "caller",
    "callee",
    "start_time",
    "duration_seconds",
    "call_type",
    "cell_id",
)

STYLE = RecordStyle(
    nickname=0.05,
    typo_forename=0.02,
    typo_surname=0.02,
    birth_missing=0.15,
    birth_swapped=0.01,
    maiden_name=0.5,
    address_missing=0.04,
    stale_address=0.05,
    phone_missing=1.0,
    strip_accents=True,
    postcode_styles=(0.7, 0.2, 0.1),
)

SUBSCRIBER_MAPPING: dict[str, Any] = {
    "name": SUBSCRIBERS,
    "description": "Mobile network subscriber records, one row per number",
    "format": "csv",
    "options": {"delimiter": ",", "encoding": "utf-8"},
    "record_key": ["subscriber_id"],
    "marking": {"classification": "OFFICIAL-SENSITIVE", "descriptors": ["PERSONAL"]},
    "kind": "fact",
    "entities": [
        {
            "id": "phone",
            "schema": "Phone",
            "key": ["msisdn"],
            "properties": {
                "number": {"column": "msisdn", "required": True},
                "network": {"column": "network"},
            },
        },
        {
            "id": "subscriber",
            "schema": "Person",
            "key": ["subscriber_id"],
            "skip_if_empty": ["last_name"],
            "properties": {
                "forename": {"column": "first_name"},
                "surname": {"column": "last_name"},
                "birthDate": {"column": "date_of_birth", "format": "%Y%m%d"},
                "address": {"template": "{address}, {town}, {postcode}"},
                "postcode": {"column": "postcode"},
                "phone": {"column": "msisdn"},
            },
        },
    ],
    "links": [
        {
            "schema": "PhoneUse",
            "source": "subscriber",
            "target": "phone",
            "properties": {"role": {"constant": "subscriber"}},
            "valid_from": {"column": "activated", "format": "%Y-%m-%d"},
        },
    ],
}

CALL_MAPPING: dict[str, Any] = {
    "name": CALLS,
    "description": "Call detail records: voice calls and texts between numbers",
    "format": "csv",
    "options": {"delimiter": ",", "encoding": "utf-8"},
    "record_key": ["call_id"],
    "marking": {"classification": "OFFICIAL-SENSITIVE", "descriptors": ["PERSONAL"]},
    "kind": "fact",
    "entities": [
        {
            "id": "call",
            "schema": "Call",
            "properties": {
                "callReference": {"column": "call_id", "required": True},
                "occurredFrom": {"column": "start_time", "format": "%Y-%m-%d %H:%M:%S"},
                "durationSeconds": {"column": "duration_seconds"},
                "callType": {"column": "call_type"},
                "cellId": {"column": "cell_id"},
            },
        },
        {
            "id": "caller",
            "schema": "Phone",
            "key": ["caller"],
            "properties": {"number": {"column": "caller", "required": True}},
        },
        {
            "id": "callee",
            "schema": "Phone",
            "key": ["callee"],
            "properties": {"number": {"column": "callee", "required": True}},
        },
    ],
    "links": [
        {
            "schema": "Communication",
            "source": "caller",
            "target": "callee",
            "properties": {
                "callType": {"column": "call_type"},
                "durationSeconds": {"column": "duration_seconds"},
            },
            "valid_from": {"column": "start_time", "format": "%Y-%m-%d %H:%M:%S"},
        },
    ],
}


def subscriptions(world: World, structures: Structures) -> tuple[np.ndarray, np.ndarray]:
    """Every registered number and its subscriber (numbers, people).

    Half the OCG's burner phones are unregistered pay-as-you-go and have no subscriber.
    """
    pop = world.population
    first = np.flatnonzero(pop.phone >= 0)
    second = np.flatnonzero(pop.phone2 >= 0)
    rng = world.rng(STREAM_SUBSCRIBERS)
    registered = rng.random(structures.ocg_phones.size) < 0.5
    numbers = np.concatenate(
        [pop.phone[first], pop.phone2[second], structures.ocg_phones[registered]]
    )
    people = np.concatenate([first, second, structures.ocg_phone_user[registered]])
    order = np.argsort(numbers, kind="stable")
    return numbers[order], people[order]


def write_subscribers(
    world: World, structures: Structures, out_dir: Path, truth: TruthLog, progress: Progress
) -> SourceResult:
    """Write ``phone_subscribers.csv`` and its mapping."""
    numbers, people = subscriptions(world, structures)
    pop = world.population
    out = CsvOut(out_dir / "phone_subscribers.csv", SUBSCRIBER_HEADER)
    for c, start in enumerate(range(0, numbers.size, CHUNK)):
        rng = world.rng(STREAM_SUBSCRIBERS, c + 1)
        sl = slice(start, start + CHUNK)
        p = people[sl]
        n = p.size
        r = render_people(p, pop, world.households, world.names, STYLE, rng)
        dob = format_dates(r.birth_day, "%Y%m%d", swap=swapped_births(rng, n, STYLE))
        style = rng.choice(6, size=n, p=[0.1, 0.1, 0.1, 0.5, 0.2, 0.0])
        activated = np.datetime_as_string(
            (WINDOW_START - rng.integers(10, 3000, n)).astype("datetime64[D]")
        )
        network = rng.integers(0, len(NETWORKS), n)
        keys = [f"SUB{start + i + 1:09d}" for i in range(n)]
        titles = ["Mr" if g == 0 else "Ms" for g in pop.gender[p]]
        out.write(
            [
                keys,
                [format_mobile(int(x), int(s)) for x, s in zip(numbers[sl], style, strict=True)],
                [NETWORKS[x] for x in network],
                titles,
                r.forename,
                r.surname,
                dob,
                r.address_line,
                r.town,
                r.postcode,
                activated.tolist(),
            ]
        )
        truth.add(SUBSCRIBERS, keys, "subscriber", p.tolist())
        progress(SUBSCRIBERS, n)
    out.close()
    write_mapping(out_dir / "phone_subscribers.mapping.yaml", SUBSCRIBER_MAPPING)
    return SourceResult(
        SUBSCRIBERS, (out.path, out_dir / "phone_subscribers.mapping.yaml"), out.rows
    )


def _callees(world: World, callers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whom each caller rings: family at home, or someone living nearby (by id order)."""
    pop = world.population
    n = callers.size
    hh_size = world.households.size.astype(np.int64)[pop.household[callers]]
    first = callers - pop.position[callers].astype(np.int64)
    family = first + (rng.random(n) * hh_size).astype(np.int64)
    step = rng.geometric(0.02, n) * np.where(rng.random(n) < 0.5, -1, 1)
    nearby = np.clip(callers + step, 0, pop.count - 1)
    return np.where((rng.random(n) < 0.35) & (hh_size > 1), family, nearby)


def write_calls(
    world: World, structures: Structures, out_dir: Path, progress: Progress
) -> SourceResult:
    """Write ``call_records.csv`` and its mapping: everyday calls and the OCG's calls."""
    rng = world.rng(STREAM_CALLS)
    pop = world.population
    holders = np.flatnonzero(pop.phone >= 0)
    sociability = rng.lognormal(0, 0.8, holders.size)
    n = int(pop.count * 1.5)
    callers = rng.choice(holders, size=n, p=sociability / sociability.sum())
    callees = _callees(world, callers, rng)
    ok = (callees != callers) & (pop.phone[callees] >= 0)
    callers, callees = callers[ok], callees[ok]
    a = np.where(
        (pop.phone2[callers] >= 0) & (rng.random(callers.size) < 0.3),
        pop.phone2[callers],
        pop.phone[callers],
    )
    b = pop.phone[callees]
    minutes = event_minutes(rng, a.size, HOURS_DAY)
    cell_lsoa = world.households.lsoa[pop.household[callers]]
    ocg_a, ocg_b, ocg_minutes = ocg_calls(structures, rng, 600 + structures.ocg_members.size * 40)
    leader_lsoa = world.households.lsoa[pop.household[structures.leader]]
    a = np.concatenate([a, ocg_a])
    b = np.concatenate([b, ocg_b])
    minutes = np.concatenate([minutes, ocg_minutes])
    cell_lsoa = np.concatenate([cell_lsoa, np.full(ocg_a.size, leader_lsoa)])
    seconds = minutes * 60 + rng.integers(0, 60, minutes.size)
    order = np.argsort(seconds, kind="stable")
    a, b, seconds, cell_lsoa = a[order], b[order], seconds[order], cell_lsoa[order]
    sms = rng.random(a.size) < 0.35
    duration = np.where(sms, 0, np.clip(rng.lognormal(4.3, 1.0, a.size), 3, 7200).astype(np.int64))
    stamps = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    out = CsvOut(out_dir / "call_records.csv", CALL_HEADER)
    for c, start in enumerate(range(0, a.size, CHUNK)):
        crng = world.rng(STREAM_CALLS, c + 1)
        sl = slice(start, start + CHUNK)
        m = a[sl].size
        style = crng.choice(6, size=2 * m, p=[0.0, 0.3, 0.0, 0.7, 0.0, 0.0])
        out.write(
            [
                [f"CDR{start + i + 1:010d}" for i in range(m)],
                [format_mobile(int(x), int(s)) for x, s in zip(a[sl], style[:m], strict=True)],
                [format_mobile(int(x), int(s)) for x, s in zip(b[sl], style[m:], strict=True)],
                [s.replace("T", " ") for s in stamps[sl]],
                [str(int(d)) for d in duration[sl]],
                ["sms" if x else "voice" for x in sms[sl]],
                [f"{world.geo.lsoa_code[x][1:]}-{int(x) % 7 + 1}" for x in cell_lsoa[sl]],
            ]
        )
        progress(CALLS, m)
    out.close()
    write_mapping(out_dir / "call_records.mapping.yaml", CALL_MAPPING)
    return SourceResult(CALLS, (out.path, out_dir / "call_records.mapping.yaml"), out.rows)
