"""The world every source describes: people, homes, vehicles, the time window, randomness.

Each source draws from its own random stream (``World.rng(stream, chunk)``), derived from
the seed with :class:`numpy.random.SeedSequence`, so sources and chunks are independent and
the output for a seed never depends on the order or size of anything else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clearsight.synthetic.geography import Geography
from clearsight.synthetic.identifiers import mobile_numbers, registration_marks
from clearsight.synthetic.names import NameTables
from clearsight.synthetic.people import EPOCH, Households, Population

#: Events happen in these two years.
WINDOW_START = int((np.datetime64("2023-01-01", "D") - EPOCH).astype(np.int64))
WINDOW_DAYS = 731

#: Share of events starting in each hour of the day, by kind of event.
HOURS_CRIME = np.array(
    [4, 3, 3, 2, 1, 1, 1, 2, 3, 4, 4, 4, 5, 5, 5, 6, 7, 7, 7, 7, 6, 6, 5, 5], dtype=np.float64
)
HOURS_DAY = np.array(
    [1, 1, 1, 1, 1, 2, 4, 7, 8, 7, 6, 6, 6, 6, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2], dtype=np.float64
)
HOURS_NIGHT = np.array(
    [6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 7, 8, 8, 8, 7, 7], dtype=np.float64
)

VEHICLE_MODELS: tuple[tuple[str, str], ...] = (
    ("Ford", "Fiesta"),
    ("Ford", "Focus"),
    ("Vauxhall", "Corsa"),
    ("Vauxhall", "Astra"),
    ("Volkswagen", "Golf"),
    ("Volkswagen", "Polo"),
    ("Nissan", "Qashqai"),
    ("Toyota", "Yaris"),
    ("BMW", "3 Series"),
    ("Audi", "A3"),
    ("Mercedes-Benz", "C Class"),
    ("Kia", "Sportage"),
    ("Peugeot", "208"),
    ("Renault", "Clio"),
    ("Honda", "Civic"),
    ("Toyota", "Prius"),
    ("Skoda", "Octavia"),
    ("Hyundai", "Tucson"),
    ("Ford", "Transit"),
    ("Seat", "Leon"),
)
COLOURS: tuple[str, ...] = ("Black", "Silver", "Grey", "White", "Blue", "Red", "Green", "Orange")


@dataclass
class Fleet:
    """Vehicles (index ``v``): mark, keeper and description."""

    vrm: np.ndarray  # object, canonical AB12CDE
    keeper: np.ndarray  # int64 person number
    model: np.ndarray  # int16 index into VEHICLE_MODELS
    colour: np.ndarray  # int8 index into COLOURS
    since: np.ndarray  # int32 day keepership began

    @property
    def count(self) -> int:
        """Number of vehicles."""
        return int(self.vrm.shape[0])


@dataclass
class World:
    """Everything the sources draw on."""

    seed: int
    geo: Geography
    names: NameTables
    households: Households
    population: Population
    fleet: Fleet
    vrm_salt: int

    def rng(self, *stream: int) -> np.random.Generator:
        """An independent random generator for one source (and chunk) of this world."""
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence([self.seed, *stream])))

    def issue_phones(self, count: int) -> np.ndarray:
        """New mobile numbers never used by anyone else in this world."""
        k = np.arange(self.population.phones_issued, self.population.phones_issued + count)
        self.population.phones_issued += count
        return mobile_numbers(k, self.population.phone_salt)

    def add_vehicles(self, keepers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Register new vehicles to ``keepers``; return their vehicle numbers."""
        start = self.fleet.count
        vrm = registration_marks(np.arange(start, start + keepers.size), self.vrm_salt)
        self.fleet = Fleet(
            vrm=np.concatenate([self.fleet.vrm, vrm]),
            keeper=np.concatenate([self.fleet.keeper, keepers.astype(np.int64)]),
            model=np.concatenate(
                [
                    self.fleet.model,
                    rng.integers(0, len(VEHICLE_MODELS), keepers.size).astype(np.int16),
                ]
            ),
            colour=np.concatenate(
                [self.fleet.colour, rng.integers(0, len(COLOURS), keepers.size).astype(np.int8)]
            ),
            since=np.concatenate(
                [
                    self.fleet.since,
                    (WINDOW_START - rng.integers(30, 2000, keepers.size)).astype(np.int32),
                ]
            ),
        )
        return np.arange(start, start + keepers.size)


def build_fleet(
    households: Households, population: Population, rng: np.random.Generator
) -> tuple[Fleet, int]:
    """Give about half the households a car (a few two), kept by an adult who lives there."""
    h = households.count
    cars = (rng.random(h) < 0.45).astype(np.int64) + (rng.random(h) < 0.1).astype(np.int64)
    owner_hh = np.repeat(np.arange(h), cars)
    sizes = households.size.astype(np.int64)
    first = np.cumsum(sizes) - sizes
    # The householder keeps the first car, the partner (when there is one) the second.
    nth = np.arange(owner_hh.size) - np.repeat(np.cumsum(cars) - cars, cars)
    offset = np.minimum(nth, sizes[owner_hh] - 1)
    keeper = first[owner_hh] + offset
    adult = population.age()[keeper] >= 17
    keeper = keeper[adult]
    n = keeper.size
    salt = int(rng.integers(0, 2**31))
    order = rng.permutation(n).astype(np.int64)
    fleet = Fleet(
        vrm=registration_marks(order, salt),
        keeper=keeper.astype(np.int64),
        model=rng.integers(0, len(VEHICLE_MODELS), n).astype(np.int16),
        colour=rng.integers(0, len(COLOURS), n).astype(np.int8),
        since=(WINDOW_START - rng.integers(30, 4000, n)).astype(np.int32),
    )
    return fleet, salt


def event_minutes(rng: np.random.Generator, n: int, hours: np.ndarray) -> np.ndarray:
    """Start times (minutes since 1970) of ``n`` events in the window, by hour-of-day profile."""
    day = WINDOW_START + rng.integers(0, WINDOW_DAYS, n)
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    return day.astype(np.int64) * 1440 + hour * 60 + rng.integers(0, 60, n)


def iso_minutes(minutes: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM`` strings for minutes since 1970."""
    return np.datetime_as_string(minutes.astype("datetime64[m]"), unit="m")
