"""Planted structures with known truth: an organised crime group, a burglary series,
co-offending pairs and a prolific offender.

They are chosen before any source is written, so every source that touches them (custody,
crime, intelligence, phones, ANPR, keepers) tells the same story.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clearsight.synthetic.geography import LOCAL_AUTHORITIES
from clearsight.synthetic.world import HOURS_NIGHT, WINDOW_DAYS, WINDOW_START, World

BURGLARY_MO = (
    "Rear ground floor window forced with a flat-bladed instrument while occupants out; "
    "untidy search of bedrooms; jewellery, cash and car keys taken; vehicle left on drive."
)


@dataclass
class Structures:
    """The planted truth the accuracy tests and the demo look for."""

    ocg_members: np.ndarray  # person numbers, leader first
    ocg_subgroup: np.ndarray  # 0 leader, 1 and 2 the two sub-groups
    ocg_phones: np.ndarray  # national numbers
    ocg_phone_user: np.ndarray  # person number using each phone
    ocg_vehicles: np.ndarray  # vehicle numbers
    ocg_camera_points: np.ndarray  # map points of the cameras on the supply route
    burglary_victims: np.ndarray  # person numbers
    burglary_points: np.ndarray  # map points
    burglary_minutes: np.ndarray  # occurred-from, minutes since 1970
    burglary_offender: int  # the person responsible (charged for two of them)
    co_offenders: np.ndarray  # (k, 2) person pairs
    prolific: int  # person number

    @property
    def leader(self) -> int:
        """The OCG's leader, who brokers between the two sub-groups."""
        return int(self.ocg_members[0])


def _adults(world: World, low: int, high: int) -> np.ndarray:
    age = world.population.age()
    return (age >= low) & (age <= high)


def plant(world: World, rng: np.random.Generator) -> Structures:
    """Choose the people, phones, vehicles and events of every planted structure."""
    pop = world.population
    geo = world.geo
    offenders = pop.activity > 0
    # Planted people stay out of twins and common-name groups so each structure tests one thing.
    plain = np.ones(pop.count, dtype=bool)
    plain[pop.twins.ravel()] = False
    for _, group in pop.common_name_groups:
        plain[group] = False
    la = geo.lsoa_la[world.households.lsoa[pop.household]]

    # OCG: two sub-groups, one in Leeds and one in Bradford, and a leader.
    leeds, bradford = LOCAL_AUTHORITIES.index("Leeds"), LOCAL_AUTHORITIES.index("Bradford")
    pool_a = np.flatnonzero(
        offenders & plain & _adults(world, 18, 45) & (la == leeds) & (pop.gender == 0)
    )
    pool_b = np.flatnonzero(
        offenders & plain & _adults(world, 18, 45) & (la == bradford) & (pop.gender == 0)
    )
    size = int(rng.integers(9, 15))
    n_a = (size - 1) // 2
    n_b = size - 1 - n_a
    # Members come from different households so no family ties blur the structure.
    group_a = _distinct_households(rng, pool_a, n_a, pop.household)
    group_b = _distinct_households(
        rng, pool_b, n_b + 1, pop.household, exclude=pop.household[group_a]
    )
    leader, group_b = group_b[0], group_b[1:]
    members = np.concatenate([[leader], group_a, group_b]).astype(np.int64)
    subgroup = np.concatenate([[0], np.full(group_a.size, 1), np.full(group_b.size, 2)]).astype(
        np.int8
    )

    # Burner phones: one per member, two for the leader.
    users = np.concatenate([[leader], members]).astype(np.int64)
    phones = world.issue_phones(users.size)
    # Vehicles: two kept by members of each sub-group, one by the leader; all used by the group.
    keepers = np.array([members[1], members[-1], leader], dtype=np.int64)
    vehicles = world.add_vehicles(keepers, rng)
    # Cameras on the Leeds-Bradford route: points in both districts.
    route = np.flatnonzero(
        np.isin(
            geo.point_lsoa(np.arange(geo.point_lat.size)),
            np.flatnonzero(np.isin(geo.lsoa_la, [leeds, bradford])),
        )
    )
    cameras = np.sort(rng.choice(route, size=8, replace=False))

    # Burglary series: 8-14 homes within about 600 m, evenings, over about seven weeks.
    centre_home = int(rng.choice(np.flatnonzero(world.households.size >= 2)))
    centre = world.households.point[centre_home]
    near = geo.nearby_points(float(geo.point_lat[centre]), float(geo.point_lon[centre]), 600.0)
    n_burglaries = int(rng.integers(8, 15))
    points = rng.choice(near, size=n_burglaries, replace=near.size < n_burglaries)
    start_day = WINDOW_START + int(rng.integers(30, WINDOW_DAYS - 60))
    days = np.sort(start_day + rng.integers(0, 49, n_burglaries))
    hours = rng.choice(np.arange(17, 23), size=n_burglaries)
    minutes = days.astype(np.int64) * 1440 + hours * 60 + rng.integers(0, 60, n_burglaries)
    adults = np.flatnonzero(_adults(world, 25, 85) & plain)
    victims = np.sort(rng.choice(adults, size=n_burglaries, replace=False))
    burglar = int(rng.choice(np.flatnonzero(offenders & plain & _adults(world, 18, 35))))

    # Co-offending pairs and the prolific offender.
    taken = set(members.tolist()) | {burglar}
    candidates = np.array(
        [
            p
            for p in np.flatnonzero(offenders & plain & _adults(world, 16, 40)).tolist()
            if p not in taken
        ]
    )
    k = int(np.clip(pop.count // 4000, 3, 60))
    chosen = rng.choice(candidates, size=2 * k + 1, replace=False)
    pairs = np.sort(chosen[: 2 * k].reshape(k, 2), axis=1)
    prolific = int(chosen[-1])
    return Structures(
        ocg_members=members,
        ocg_subgroup=subgroup,
        ocg_phones=phones,
        ocg_phone_user=users,
        ocg_vehicles=vehicles,
        ocg_camera_points=cameras,
        burglary_victims=victims,
        burglary_points=points,
        burglary_minutes=minutes,
        burglary_offender=burglar,
        co_offenders=pairs,
        prolific=prolific,
    )


def _distinct_households(
    rng: np.random.Generator,
    pool: np.ndarray,
    count: int,
    household: np.ndarray,
    exclude: np.ndarray | None = None,
) -> np.ndarray:
    order = rng.permutation(pool)
    seen: set[int] = set() if exclude is None else set(exclude.tolist())
    out: list[int] = []
    for p in order.tolist():
        h = int(household[p])
        if h in seen:
            continue
        seen.add(h)
        out.append(p)
        if len(out) == count:
            break
    if len(out) < count:
        raise ValueError(
            "population too small to plant an organised crime group; use people >= 2000"
        )
    return np.array(out, dtype=np.int64)


def ocg_calls(
    structures: Structures, rng: np.random.Generator, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calls among the OCG's phones: within each sub-group and to and from the leader.

    Sub-groups never call each other directly; the leader's main phone is in about half of
    all calls, which makes it the broker a network analysis should find.
    Returns caller numbers, callee numbers and start minutes.
    """
    phones = structures.ocg_phones
    users = structures.ocg_phone_user
    group_of_user = {
        int(m): int(g) for m, g in zip(structures.ocg_members, structures.ocg_subgroup, strict=True)
    }
    group = np.array([group_of_user[int(u)] for u in users])
    leader_phones = np.flatnonzero(group == 0)
    caller = np.empty(count, dtype=np.int64)
    callee = np.empty(count, dtype=np.int64)
    via_leader = rng.random(count) < 0.5
    for i in range(count):
        if via_leader[i]:
            lp = leader_phones[0] if rng.random() < 0.85 else leader_phones[-1]
            other = int(rng.choice(np.flatnonzero(group != 0)))
            a, b = (lp, other) if rng.random() < 0.5 else (other, lp)
        else:
            g = 1 + int(rng.random() < 0.5)
            side = np.flatnonzero(group == g)
            a, b = rng.choice(side, size=2, replace=False)
        caller[i], callee[i] = phones[a], phones[b]
    day = WINDOW_START + rng.integers(0, WINDOW_DAYS, count)
    hour = rng.choice(24, size=count, p=HOURS_NIGHT / HOURS_NIGHT.sum())
    minutes = day.astype(np.int64) * 1440 + hour * 60 + rng.integers(0, 60, count)
    return caller, callee, minutes
