"""The true population: households at real West Yorkshire addresses, and the people in them.

Everything is columnar (numpy arrays indexed by person or household number) so a million
people cost a few tens of megabytes; strings are only made when a source writes a record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from clearsight.synthetic.geography import (
    LOCAL_AUTHORITIES,
    POSTCODE_AREAS,
    STREET_KIND_WEIGHTS,
    STREET_KINDS,
    STREET_STEMS,
    UNIT_LETTERS,
    Geography,
)
from clearsight.synthetic.identifiers import mobile_numbers
from clearsight.synthetic.names import (
    NICKNAMES,
    ORIGIN_GROUPS,
    ORIGIN_KEYS,
    ORIGIN_MIX,
    SELF_DEFINED_CODES,
    NameTables,
    zipf_weights,
)

EPOCH = np.datetime64("1970-01-01", "D")
#: Ages and dates of birth are reckoned at this day.
REFERENCE_DAY = int((np.datetime64("2024-07-01", "D") - EPOCH).astype(np.int64))

HOUSEHOLD_SIZES = np.array([1, 2, 3, 4, 5, 6])
HOUSEHOLD_SIZE_P = np.array([0.30, 0.33, 0.15, 0.13, 0.06, 0.03])

#: Common names planted several times over, each holder a different person.
COMMON_NAMES: tuple[tuple[str, str, str, int], ...] = (
    ("english", "John", "Smith", 0),
    ("english", "David", "Jones", 0),
    ("english", "Sarah", "Wilson", 1),
    ("english", "James", "Taylor", 0),
    ("english", "Michael", "Brown", 0),
    ("south_asian", "Mohammed", "Khan", 0),
    ("south_asian", "Mohammed", "Hussain", 0),
    ("south_asian", "Muhammad", "Ali", 0),
    ("south_asian", "Fatima", "Begum", 1),
    ("irish", "Sean", "Murphy", 0),
    ("eastern_european", "Anna", "Nowak", 1),
    ("west_african", "Emmanuel", "Owusu", 0),
)


@dataclass
class Households:
    """Addresses, one per household (index ``h``)."""

    lsoa: np.ndarray  # int32 LSOA index
    point: np.ndarray  # int64 map point index (coordinates of the home)
    house_number: np.ndarray  # int32
    street: np.ndarray  # object: street name
    town: np.ndarray  # object: post town
    postcode: np.ndarray  # object: canonical postcode
    size: np.ndarray  # int16 members

    @property
    def count(self) -> int:
        """Number of households."""
        return int(self.lsoa.shape[0])


@dataclass
class Population:
    """True attributes of every person (index ``p``); ``-1`` means none."""

    origin: np.ndarray  # int8 index into ORIGIN_GROUPS
    gender: np.ndarray  # int8 0 male, 1 female
    forename: np.ndarray  # int32 index into NameTables.forenames
    surname: np.ndarray  # int32 index into NameTables.surnames
    second_surname: np.ndarray  # int32: hyphenated surname "surname-second"
    previous_surname: np.ndarray  # int32: surname before marriage
    birth: np.ndarray  # int32 days since 1970-01-01
    household: np.ndarray  # int32
    position: np.ndarray  # int8 place in household: 0 householder, 1 partner, 2+ others
    ethnicity: np.ndarray  # int8 index into SELF_DEFINED_CODES
    phone: np.ndarray  # int64 national mobile number without the 0, or -1
    phone2: np.ndarray  # int64 second phone, or -1
    pnc_year: np.ndarray  # int16 year of PNC record, or -1
    pnc_serial: np.ndarray  # int32, or -1
    activity: np.ndarray  # float64 offending weight (0 for people with no record)
    twins: np.ndarray  # (k, 2) int64 person pairs
    common_name_groups: list[tuple[str, np.ndarray]]
    phone_salt: int  # the bijection salt of every number issued (see identifiers)
    phones_issued: int  # numbers issued so far; later numbers continue from here

    @property
    def count(self) -> int:
        """Number of people."""
        return int(self.origin.shape[0])

    def age(self, day: int = REFERENCE_DAY) -> np.ndarray:
        """Whole years of age of everybody at ``day``."""
        return ((day - self.birth) / 365.25).astype(np.int32)


def person_id(p: np.ndarray) -> list[str]:
    """Public ids of people, as written to the ground truth (``P0000001``)."""
    return [f"P{int(i) + 1:07d}" for i in p]


def _choose_ranges(
    rng: np.random.Generator,
    keys: np.ndarray,
    ranges: Mapping[Any, tuple[int, int]],
    key_of: Sequence[tuple[int, Any]],
) -> np.ndarray:
    """Draw a Zipf-weighted index from the range of each element's key."""
    out = np.full(keys.shape[0], -1, dtype=np.int32)
    for code, key in key_of:
        mask = keys == code
        n = int(mask.sum())
        if not n:
            continue
        start, stop = ranges[key]
        out[mask] = start + rng.choice(stop - start, size=n, p=zipf_weights(stop - start))
    return out


def build_households(n_people: int, geo: Geography, rng: np.random.Generator) -> Households:
    """Draw household sizes and homes until they hold ``n_people`` people."""
    estimate = int(n_people / float((HOUSEHOLD_SIZES * HOUSEHOLD_SIZE_P).sum())) + 16
    sizes = rng.choice(HOUSEHOLD_SIZES, size=estimate, p=HOUSEHOLD_SIZE_P)
    while int(sizes.sum()) < n_people:
        sizes = np.concatenate(
            [sizes, rng.choice(HOUSEHOLD_SIZES, size=estimate // 4 + 16, p=HOUSEHOLD_SIZE_P)]
        )
    cum = np.cumsum(sizes)
    h = int(np.searchsorted(cum, n_people)) + 1
    sizes = sizes[:h].copy()
    sizes[-1] -= int(cum[h - 1]) - n_people
    # Sorted LSOAs put neighbouring households next to each other in the id order, which
    # the phone contact model uses as a cheap notion of "knows people nearby".
    lsoa = np.sort(rng.choice(geo.size, size=h, p=geo.lsoa_population)).astype(np.int32)
    point = geo.sample_points(lsoa, rng)
    street_slot = rng.integers(0, 8, size=h)
    street_id = lsoa.astype(np.int64) * 8 + street_slot
    stems = np.array(STREET_STEMS, dtype=object)
    kinds = np.array(STREET_KINDS, dtype=object)
    stem = (street_id * 7919) % stems.size
    kind_cum = np.cumsum(STREET_KIND_WEIGHTS / STREET_KIND_WEIGHTS.sum())
    kind = np.minimum(
        np.searchsorted(kind_cum, ((street_id * 104_729) % 1000) / 1000.0), kinds.size - 1
    )
    street = stems[stem] + " " + kinds[kind]
    house_number = rng.integers(1, 160, size=h).astype(np.int32)
    la = geo.lsoa_la[lsoa]
    areas = np.array([POSTCODE_AREAS[name][0] for name in LOCAL_AUTHORITIES], dtype=object)
    towns = np.array([POSTCODE_AREAS[name][2] for name in LOCAL_AUTHORITIES], dtype=object)
    district = geo.lsoa_district[lsoa]
    sector = (street_id * 31) % 10
    unit_index = (street_id * 13 + house_number // 24) % (len(UNIT_LETTERS) ** 2)
    letters = np.array(list(UNIT_LETTERS), dtype=object)
    postcode = (
        areas[la]
        + district.astype(str).astype(object)
        + " "
        + sector.astype(str).astype(object)
        + letters[unit_index // len(UNIT_LETTERS)]
        + letters[unit_index % len(UNIT_LETTERS)]
    )
    return Households(
        lsoa=lsoa,
        point=point,
        house_number=house_number,
        street=street,
        town=towns[la],
        postcode=postcode,
        size=sizes.astype(np.int16),
    )


def _ages(rng: np.random.Generator, n: int, low: int, high: int, mode: float) -> np.ndarray:
    return np.clip(rng.triangular(low, mode, high, size=n), low, high)


def build_population(
    households: Households, geo: Geography, names: NameTables, rng: np.random.Generator
) -> Population:
    """Fill each household with a family or house-sharers, then plant twins and common names."""
    sizes = households.size.astype(np.int64)
    n = int(sizes.sum())
    hh = np.repeat(np.arange(households.count, dtype=np.int32), sizes)
    first = np.cumsum(sizes) - sizes
    position = (np.arange(n) - np.repeat(first, sizes)).astype(np.int8)

    # Origin group per household, by the local authority's mix.
    la = geo.lsoa_la[households.lsoa]
    u = rng.random(households.count)
    hh_origin = np.zeros(households.count, dtype=np.int8)
    for i, name in enumerate(LOCAL_AUTHORITIES):
        mask = la == i
        cum = np.cumsum(np.array(ORIGIN_MIX[name]))
        hh_origin[mask] = np.minimum(
            np.searchsorted(cum / cum[-1], u[mask]), len(ORIGIN_GROUPS) - 1
        )
    origin = hh_origin[hh].copy()

    # Partners (position 1) in 75% of multi-person households; the rest are sharers.
    partnered_hh = rng.random(households.count) < 0.75
    is_partner = (position == 1) & partnered_hh[hh]
    is_sharer = (position == 1) & ~partnered_hh[hh]
    sharer_origin = rng.choice(len(ORIGIN_GROUPS), size=n, p=np.array(ORIGIN_MIX["Leeds"]))
    origin[is_sharer] = sharer_origin[is_sharer]
    is_child = position >= 2

    head_gender = (rng.random(households.count) < 0.5).astype(np.int8)
    gender = (rng.random(n) < 0.5).astype(np.int8)
    gender[position == 0] = head_gender[hh[position == 0]]
    same_sex = rng.random(n) < 0.05
    gender[is_partner] = np.where(
        same_sex[is_partner], head_gender[hh[is_partner]], 1 - head_gender[hh[is_partner]]
    )

    # Ages: heads and partners adult; children 18 to 42 years younger than the head.
    head_age = _ages(rng, households.count, 18, 92, 38)
    head_age = np.where(sizes >= 3, np.clip(head_age, 24, 62), head_age)
    age = np.zeros(n)
    age[position == 0] = head_age[hh[position == 0]]
    age[is_partner] = np.clip(
        head_age[hh[is_partner]] + rng.normal(0, 3.5, int(is_partner.sum())), 17, 95
    )
    age[is_sharer] = _ages(rng, int(is_sharer.sum()), 18, 65, 26)
    child_age = head_age[hh[is_child]] - rng.uniform(18, 42, int(is_child.sum()))
    age[is_child] = np.where(child_age < 0, rng.uniform(0, 17, int(is_child.sum())), child_age)
    birth = (REFERENCE_DAY - age * 365.25 - rng.uniform(0, 365, n)).astype(np.int32)

    # Names.
    combos = [(g * 2 + s, (g, s)) for g in range(len(ORIGIN_GROUPS)) for s in (0, 1)]
    forename = _choose_ranges(
        rng, origin.astype(np.int64) * 2 + gender, names.forename_ranges, combos
    )
    groups = [(g, g) for g in range(len(ORIGIN_GROUPS))]
    own_surname = _choose_ranges(rng, origin.astype(np.int64), names.surname_ranges, groups)
    hh_surname = own_surname[first]
    surname = own_surname.copy()
    married = is_partner & (rng.random(n) < 0.65)
    family = (position == 0) | married | is_child
    surname[family] = hh_surname[hh[family]]
    previous = np.full(n, -1, dtype=np.int32)
    recent = married & (gender == 1) & (rng.random(n) < 0.25) & (own_surname != surname)
    previous[recent] = own_surname[recent]
    second = np.full(n, -1, dtype=np.int32)
    hyphen = (rng.random(n) < 0.015) & ~recent & ~is_child
    second[hyphen] = _choose_ranges(
        rng, origin[hyphen].astype(np.int64), names.surname_ranges, groups
    )
    second[second == surname] = -1
    # Children carry the householder's double-barrelled name, if any.
    second[is_child] = second[first[hh[is_child]]]

    ethnicity = np.zeros(n, dtype=np.int8)
    u = rng.random(n)
    for g, group in enumerate(ORIGIN_GROUPS):
        mask = origin == g
        codes = np.array([SELF_DEFINED_CODES.index(c) for c, _ in group.ethnicity], dtype=np.int8)
        cum = np.cumsum([w for _, w in group.ethnicity])
        ethnicity[mask] = codes[np.minimum(np.searchsorted(cum / cum[-1], u[mask]), codes.size - 1)]

    # Phones: most people over eleven have one mobile, a few have two.
    age_now = age.astype(np.int32)
    has_phone = (age_now >= 12) & (rng.random(n) < 0.9)
    has_second = has_phone & (rng.random(n) < 0.05)
    k = rng.permutation(int(has_phone.sum()) + int(has_second.sum())).astype(np.int64)
    phone_salt = int(rng.integers(0, 2**31))
    numbers = mobile_numbers(k, salt=phone_salt)
    phone = np.full(n, -1, dtype=np.int64)
    phone2 = np.full(n, -1, dtype=np.int64)
    n_first = int(has_phone.sum())
    phone[has_phone] = numbers[:n_first]
    phone2[has_second] = numbers[n_first:]

    # Offending: independent of origin group on purpose, so any disparity an analytic shows
    # on this data comes from the analytic, not from the generator.
    p_offend = np.where(gender == 0, 0.16, 0.06) * np.interp(
        age, [10, 14, 19, 30, 45, 70, 90], [0, 0.5, 1.0, 0.9, 0.45, 0.08, 0.0]
    )
    offender = rng.random(n) < p_offend
    activity = np.where(offender, rng.lognormal(0.0, 1.0, n), 0.0)
    pnc_year = np.full(n, -1, dtype=np.int16)
    pnc_serial = np.full(n, -1, dtype=np.int32)
    birth_year = 1970 + birth // 365.25
    first_year = np.clip(birth_year + 10 + rng.integers(0, 25, n), 1995, 2023).astype(np.int16)
    pnc_year[offender] = first_year[offender]
    serials = rng.permutation(max(int(offender.sum()) * 7, 10))[: int(offender.sum())] + 100_000
    pnc_serial[offender] = serials.astype(np.int32)

    twins = _plant_twins(rng, hh, position, sizes, first, birth, forename, gender, origin, names)
    common = _plant_common_names(
        rng, sizes, first, hh, origin, gender, forename, surname, second, previous, names
    )

    return Population(
        origin=origin,
        gender=gender,
        forename=forename,
        surname=surname,
        second_surname=second,
        previous_surname=previous,
        birth=birth,
        household=hh,
        position=position,
        ethnicity=ethnicity,
        phone=phone,
        phone2=phone2,
        pnc_year=pnc_year,
        pnc_serial=pnc_serial,
        activity=activity,
        twins=twins,
        common_name_groups=common,
        phone_salt=phone_salt,
        phones_issued=int(k.size),
    )


def _related(a: str, b: str) -> bool:
    """Whether two forenames could be taken for one another (same, or nickname-linked)."""
    if a == b or a[:3] == b[:3]:
        return True
    na, nb = set(NICKNAMES.get(a, ())), set(NICKNAMES.get(b, ()))
    return bool(na & nb) or a in nb or b in na


def _plant_twins(
    rng: np.random.Generator,
    hh: np.ndarray,
    position: np.ndarray,
    sizes: np.ndarray,
    first: np.ndarray,
    birth: np.ndarray,
    forename: np.ndarray,
    gender: np.ndarray,
    origin: np.ndarray,
    names: NameTables,
) -> np.ndarray:
    """Make the first two children of some families twins with clearly different forenames."""
    candidates = np.flatnonzero((sizes >= 4) & (rng.random(sizes.shape[0]) < 0.03))
    pairs: list[tuple[int, int]] = []
    for h in candidates:
        a, b = int(first[h]) + 2, int(first[h]) + 3
        birth[b] = birth[a]
        start, stop = names.forename_ranges[(int(origin[b]), int(gender[b]))]
        guess = int(forename[b])
        for _ in range(stop - start):
            if not _related(str(names.forenames[forename[a]]), str(names.forenames[guess])):
                break
            guess = start + (guess - start + 1) % (stop - start)
        forename[b] = guess
        pairs.append((a, b))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _plant_common_names(
    rng: np.random.Generator,
    sizes: np.ndarray,
    first: np.ndarray,
    hh: np.ndarray,
    origin: np.ndarray,
    gender: np.ndarray,
    forename: np.ndarray,
    surname: np.ndarray,
    second: np.ndarray,
    previous: np.ndarray,
    names: NameTables,
) -> list[tuple[str, np.ndarray]]:
    """Give several single-person households the same common name (different people)."""
    forename_index = {str(v): i for i, v in enumerate(names.forenames)}
    surname_index = {str(v): i for i, v in enumerate(names.surnames)}
    singles = first[sizes == 1]
    used = np.zeros(hh.shape[0], dtype=bool)
    out: list[tuple[str, np.ndarray]] = []
    per_group = int(np.clip(sizes.sum() // 3000, 3, 12))
    for group_key, fore, sur, sex in COMMON_NAMES:
        g = ORIGIN_KEYS.index(group_key)
        pool = singles[(origin[singles] == g) & (gender[singles] == sex) & ~used[singles]]
        if pool.size < 3:
            pool = singles[(gender[singles] == sex) & ~used[singles]]
        take = min(pool.size, per_group)
        if take < 2:
            continue
        chosen = np.sort(rng.choice(pool, size=take, replace=False))
        used[chosen] = True
        forename[chosen] = forename_index[fore]
        surname[chosen] = surname_index[sur]
        second[chosen] = -1
        previous[chosen] = -1
        out.append((f"{fore} {sur}", chosen.astype(np.int64)))
    return out
