"""The ground truth written beside the exports, in ``truth/``.

Files (all CSV):
- ``records.csv``: source, record_key, entity, person_id for every person-bearing entity
  (written while the sources stream, see :class:`~clearsight.synthetic.sources.common.TruthLog`).
- ``people.csv``: every true person with name, date of birth, gender, name-origin group
  (for bias reporting), household and address.
- ``twins.csv``: person_a, person_b (same surname, date of birth and address; never merge).
- ``common_names.csv``: name, person_id (distinct people sharing a common name).
- ``ocg.csv``: person_id, role (leader/member), subgroup.
- ``ocg_phones.csv``: number (E.164), person_id of the user.
- ``ocg_vehicles.csv``: vrm, keeper person_id.
- ``burglary_series.csv``: crime_ref; ``co_offending.csv``: person_a, person_b, crime_ref;
  ``prolific.csv``: person_id, crime_ref (empty crime_ref for custody-only appearances).
- ``vehicles.csv``: vrm, keeper person_id for every vehicle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clearsight.synthetic.names import ORIGIN_KEYS
from clearsight.synthetic.noise import format_dates
from clearsight.synthetic.people import person_id
from clearsight.synthetic.sources.common import CHUNK, CsvOut
from clearsight.synthetic.structures import Structures
from clearsight.synthetic.world import World


def write_people(world: World, folder: Path) -> None:
    """Write ``people.csv``: the true attributes of everybody."""
    pop, hh, names = world.population, world.households, world.names
    out = CsvOut(
        folder / "people.csv",
        (
            "person_id",
            "forename",
            "surname",
            "previous_surname",
            "birth_date",
            "gender",
            "name_origin",
            "household_id",
            "address",
            "postcode",
            "lsoa_code",
            "phone",
        ),
    )
    for start in range(0, pop.count, CHUNK):
        p = np.arange(start, min(start + CHUNK, pop.count))
        h = pop.household[p]
        surnames = names.surnames[pop.surname[p]].tolist()
        second = pop.second_surname[p]
        surnames = [
            s if second[i] < 0 else f"{s}-{names.surnames[second[i]]}"
            for i, s in enumerate(surnames)
        ]
        prev = pop.previous_surname[p]
        out.write(
            [
                person_id(p),
                names.forenames[pop.forename[p]].tolist(),
                surnames,
                [str(names.surnames[x]) if x >= 0 else "" for x in prev],
                format_dates(pop.birth[p].astype(np.int64), "%Y-%m-%d"),
                ["female" if g else "male" for g in pop.gender[p]],
                [ORIGIN_KEYS[o] for o in pop.origin[p]],
                [f"H{int(x) + 1:07d}" for x in h],
                [f"{hh.house_number[x]} {hh.street[x]}, {hh.town[x]}" for x in h],
                hh.postcode[h].tolist(),
                world.geo.lsoa_code[hh.lsoa[h]].tolist(),
                [f"+44{int(x)}" if x >= 0 else "" for x in pop.phone[p]],
            ]
        )
    out.close()


def write_structures(
    world: World, structures: Structures, planted: dict[str, list[str]], folder: Path
) -> None:
    """Write the twins, common names and planted structures."""
    pop, fleet = world.population, world.fleet
    twins = CsvOut(folder / "twins.csv", ("person_a", "person_b"))
    twins.write([person_id(pop.twins[:, 0]), person_id(pop.twins[:, 1])])
    twins.close()
    common = CsvOut(folder / "common_names.csv", ("name", "person_id"))
    for name, group in pop.common_name_groups:
        common.write([[name] * group.size, person_id(group)])
    common.close()
    ocg = CsvOut(folder / "ocg.csv", ("person_id", "role", "subgroup"))
    ocg.write(
        [
            person_id(structures.ocg_members),
            ["leader" if g == 0 else "member" for g in structures.ocg_subgroup],
            [("", "A", "B")[int(g)] for g in structures.ocg_subgroup],
        ]
    )
    ocg.close()
    phones = CsvOut(folder / "ocg_phones.csv", ("number", "person_id"))
    phones.write(
        [[f"+44{int(x)}" for x in structures.ocg_phones], person_id(structures.ocg_phone_user)]
    )
    phones.close()
    vehicles = CsvOut(folder / "ocg_vehicles.csv", ("vrm", "person_id"))
    vehicles.write(
        [
            fleet.vrm[structures.ocg_vehicles].tolist(),
            person_id(fleet.keeper[structures.ocg_vehicles]),
        ]
    )
    vehicles.close()
    series = CsvOut(folder / "burglary_series.csv", ("crime_ref",))
    series.write([planted["burglary_series"]])
    series.close()
    pairs = CsvOut(folder / "co_offending.csv", ("person_a", "person_b", "crime_ref"))
    for i, (a, b) in enumerate(structures.co_offenders):
        refs = planted[f"pair:{i}"]
        pairs.write([person_id(np.full(len(refs), a)), person_id(np.full(len(refs), b)), refs])
    pairs.close()
    prolific = CsvOut(folder / "prolific.csv", ("person_id", "crime_ref"))
    refs = planted["prolific"]
    prolific.write([person_id(np.full(len(refs), structures.prolific)), refs])
    prolific.close()
    all_vehicles = CsvOut(folder / "vehicles.csv", ("vrm", "person_id"))
    for start in range(0, fleet.count, CHUNK):
        sl = slice(start, start + CHUNK)
        all_vehicles.write([fleet.vrm[sl].tolist(), person_id(fleet.keeper[sl])])
    all_vehicles.close()
