"""Generate a synthetic West Yorkshire force dataset with known truth."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from clearsight.errors import ClearsightError
from clearsight.synthetic import truth as truth_files
from clearsight.synthetic.geography import load_geography
from clearsight.synthetic.names import build_name_tables
from clearsight.synthetic.people import build_households, build_population
from clearsight.synthetic.sources import crime, custody, intel, phones, stopsearch, vehicles
from clearsight.synthetic.sources.common import SourceResult, TruthLog
from clearsight.synthetic.structures import plant
from clearsight.synthetic.world import World, build_fleet

MIN_PEOPLE = 2_000

#: Random streams of the world itself (sources use their own, see each source module).
STREAM_HOUSEHOLDS, STREAM_PEOPLE, STREAM_FLEET, STREAM_STRUCTURES = 1, 2, 3, 4


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate` wrote."""

    out_dir: Path
    people: int
    households: int
    vehicles: int
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    files: tuple[Path, ...] = ()
    truth_records: int = 0

    @property
    def total_rows(self) -> int:
        """Rows written across all source exports."""
        return sum(self.rows.values())


def _no_progress(source: str, rows: int) -> None:
    return None


def generate(
    out_dir: Path,
    *,
    people: int,
    seed: int,
    progress: Callable[[str, int], None] | None = None,
    geography_dir: Path | None = None,
    police_uk_dir: Path | None = None,
) -> GenerationSummary:
    """Write a force's exports for ``people`` synthetic people, with mappings and truth.

    Files written to ``out_dir``: ``custody.csv``, ``crime.csv``, ``stop_search.csv``,
    ``intelligence.jsonl``, ``anpr.csv``, ``vehicle_keepers.csv``, ``phone_subscribers.csv``,
    ``call_records.csv``, each beside its ``<name>.mapping.yaml``; and ``truth/`` (see
    :mod:`clearsight.synthetic.truth`). The same ``seed`` and ``people`` always give
    byte-identical files.

    Args:
        out_dir: folder to write into (created if missing).
        people: number of true people (at least 2,000, so every planted structure fits).
        seed: the random seed.
        progress: called as ``progress(source, rows)`` after each chunk written.
        geography_dir: folder with ``PoliceforceLSOA.csv`` (default: the shared data folder).
        police_uk_dir: folder of West Yorkshire police.uk street CSVs (default likewise).

    Raises:
        ClearsightError: ``people`` too small, or the geography data is missing.
    """
    if people < MIN_PEOPLE:
        raise ClearsightError(f"people must be at least {MIN_PEOPLE:,} (got {people:,})")
    report = progress or _no_progress
    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)

    geo = load_geography(geography_dir, police_uk_dir)
    names = build_name_tables()

    def stream(n: int) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, n])))

    households = build_households(people, geo, stream(STREAM_HOUSEHOLDS))
    population = build_population(households, geo, names, stream(STREAM_PEOPLE))
    fleet, vrm_salt = build_fleet(households, population, stream(STREAM_FLEET))
    world = World(
        seed=seed,
        geo=geo,
        names=names,
        households=households,
        population=population,
        fleet=fleet,
        vrm_salt=vrm_salt,
    )
    structures = plant(world, stream(STREAM_STRUCTURES))

    truth = TruthLog(out_dir / "truth" / "records.csv")
    results: list[SourceResult] = []
    results.append(custody.write(world, structures, out_dir, truth, report))
    crime_result, planted = crime.write(world, structures, out_dir, truth, report)
    results.append(crime_result)
    results.append(stopsearch.write(world, structures, out_dir, truth, report))
    results.append(intel.write(world, structures, out_dir, truth, report))
    results.append(vehicles.write_keepers(world, structures, out_dir, truth, report))
    results.append(vehicles.write_anpr(world, structures, out_dir, report))
    results.append(phones.write_subscribers(world, structures, out_dir, truth, report))
    results.append(phones.write_calls(world, structures, out_dir, report))
    truth.close()

    truth_files.write_people(world, out_dir / "truth")
    truth_files.write_structures(world, structures, planted, out_dir / "truth")
    files = tuple(path for result in results for path in result.files)
    return GenerationSummary(
        out_dir=out_dir,
        people=population.count,
        households=households.count,
        vehicles=world.fleet.count,
        seed=seed,
        rows={result.name: result.rows for result in results},
        files=files + tuple(sorted((out_dir / "truth").glob("*.csv"))),
        truth_records=truth.rows,
    )
