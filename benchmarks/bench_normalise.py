"""Throughput of the property-type normalisers on realistic, messy values.

For each library-backed property type this generates N raw values as they arrive from
police systems (mixed case, stray spaces, different spellings, a few invalid values),
times ``clean`` over them, and times a bare compiled-regex ``fullmatch`` over the same
strings as a floor: the ratio says how much dearer real cleaning is than recognising the
shape. Generation uses a fixed seed, so runs are comparable.

    python benchmarks/bench_normalise.py --n 1000000
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import string
import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from clearsight.errors import InvalidValue
from clearsight.ontology.types import get_type
from clearsight.ontology.types import phones as phone_module
from clearsight.ontology.types.pnc import check_letter

FORENAMES = [
    "John", "Mary", "Mohammed", "Olivia", "Jack", "Amelia", "Oliver", "Isla", "Harry", "Ava",
    "José", "Zoë", "Siobhán", "Seán", "Aleksander", "Chloé", "Wojciech", "Priya", "Ian", "Anne",
    "Jean-Paul", "Mary-Jane", "Fitzwilliam", "Ngozi", "Darren", "Kerry",
]  # fmt: skip
SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "O'Brien", "McDonald", "MacLeod", "Smith-Jones", "van der Berg", "de Souza", "Nowak",
    "García", "Müller", "Ó Súilleabháin", "D'Arcy", "Khan", "Begum", "Evans", "Thomas",
]  # fmt: skip
TITLES = ["Mr", "Mrs", "Ms", "Miss", "Dr", "Mr.", "MRS"]
STREETS = [
    "High", "Station", "Church", "Park", "Victoria", "Mill", "Green", "Manor", "Kings",
    "Queens", "New", "School", "Oak", "St John's", "Stratford-upon-Avon", "Acacia",
]  # fmt: skip
STREET_TYPES = ["Street", "St", "Road", "Rd", "Lane", "Ln", "Avenue", "Ave", "Drive", "Close"]
TOWNS = [
    "Leeds", "Bradford", "London", "Manchester", "Newcastle upon Tyne", "St Albans",
    "Cardiff", "Glasgow", "Belfast", "Bishop's Stortford", "Sheffield", "York",
]  # fmt: skip
AREAS = ["LS", "BD", "M", "SW", "EC", "B", "G", "CF", "BT", "NE", "S", "YO", "AL", "CM", "W", "N"]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
DOMAINS = ["example.org", "Example.COM", "police.uk", "mail.co.uk", "gmail.com", "Yahoo.co.uk"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
LONG_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
TAG = "ABCDEFGHJKLMNOPRSTUVWXY"
RANDOM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"
YEAR_LETTERS = "ABCDEFGHJKLMNPRSTVWXY"
AREA_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"


def _messy_case(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.25:
        return text.upper()
    if roll < 0.4:
        return text.lower()
    return text


def _spaces(rng: random.Random, text: str) -> str:
    if rng.random() < 0.1:
        return f"  {text.replace(' ', '  ')} "
    return text


def gen_name(rng: random.Random) -> str:
    if rng.random() < 0.01:
        return rng.choice(["N/A", "unknown 123", "???", "-"])
    first = rng.choice(FORENAMES)
    if rng.random() < 0.3:
        first = f"{first} {rng.choice(FORENAMES)}"
    last = rng.choice(SURNAMES)
    roll = rng.random()
    if roll < 0.3:
        text = f"{last.upper()}, {first}"
    elif roll < 0.45:
        text = f"{rng.choice(TITLES)} {first} {last}"
    else:
        text = f"{first} {last}"
    return _spaces(rng, _messy_case(rng, text))


def _random_date(rng: random.Random) -> tuple[int, int, int]:
    year = rng.randint(1930, 2025)
    month = rng.randint(1, 12)
    return year, month, rng.randint(1, 28)


def gen_date(rng: random.Random) -> str:
    if rng.random() < 0.01:
        return rng.choice(["31/02/2001", "13/13/2013", "unknown", "00/00/0000"])
    y, m, d = _random_date(rng)
    roll = rng.random()
    if roll < 0.3:
        return f"{y:04d}-{m:02d}-{d:02d}"
    if roll < 0.6:
        return f"{d:02d}/{m:02d}/{y:04d}"
    if roll < 0.7:
        return f"{d}/{m}/{y % 100:02d}"
    if roll < 0.8:
        return f"{d} {rng.choice([MONTHS, LONG_MONTHS])[m - 1]} {y}"
    if roll < 0.85:
        return f"{d:02d}-{MONTHS[m - 1].upper()}-{y % 100:02d}"
    if roll < 0.9:
        return f"{LONG_MONTHS[m - 1]} {y}"
    if roll < 0.95:
        return f"{m:02d}/{y}"
    return f"{y}"


def gen_datetime(rng: random.Random) -> str:
    y, m, d = _random_date(rng)
    hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    roll = rng.random()
    if roll < 0.4:
        return f"{y:04d}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}"
    if roll < 0.55:
        return f"{y:04d}-{m:02d}-{d:02d}T{hh:02d}:{mm:02d}:{ss:02d}Z"
    if roll < 0.65:
        return f"{y:04d}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}+01:00"
    if roll < 0.95:
        return f"{d:02d}/{m:02d}/{y:04d} {hh:02d}:{mm:02d}"
    return f"{d:02d}/{m:02d}/{y:04d}"


def _uk_number(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.65:
        return "07" + rng.choice("4579") + "".join(rng.choices(string.digits, k=8))
    if roll < 0.8:
        return "0113" + rng.choice("23456789") + "".join(rng.choices(string.digits, k=6))
    if roll < 0.95:
        return "020" + rng.choice("378") + "".join(rng.choices(string.digits, k=7))
    return "07700900" + "".join(rng.choices(string.digits, k=3))


def _phone_shape(rng: random.Random, national: str) -> str:
    nsn = national[1:]
    roll = rng.random()
    if roll < 0.3:
        return f"{national[:5]} {national[5:]}"
    if roll < 0.5:
        return national
    if roll < 0.65:
        return f"+44{nsn}"
    if roll < 0.75:
        return f"+44 {nsn[:4]} {nsn[4:]}"
    if roll < 0.82:
        return f"+44 (0){nsn[:4]} {nsn[4:]}"
    if roll < 0.88:
        return f"0044 {nsn}"
    if roll < 0.94:
        return f"({national[:4]}) {national[4:7]} {national[7:]}"
    return f"{national[:5]}-{national[5:8]}-{national[8:]}"


def make_phone_generator(n: int) -> Callable[[random.Random], str]:
    """Draw from a pool of about n/5 distinct numbers: the same phones recur in police data."""
    pool_rng = random.Random(7)
    pool = [_uk_number(pool_rng) for _ in range(max(1, n // 5))]
    foreign = ["+33 6 12 34 56 78", "+1 (201) 555-0123", "+48 601 234 567", "+353 85 123 4567"]

    def gen_phone(rng: random.Random) -> str:
        roll = rng.random()
        if roll < 0.01:
            return rng.choice(["n/a", "0113", "07700 90012", "999"])
        if roll < 0.03:
            return rng.choice(foreign)
        return _phone_shape(rng, rng.choice(pool))

    return gen_phone


def _vrm(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.85:
        age = rng.choice([f"{y:02d}" for y in range(2, 26)] + [str(y) for y in range(51, 76)])
        return (
            "".join(rng.choices(TAG, k=2)) + age + " " + "".join(rng.choices(RANDOM_LETTERS, k=3))
        )
    if roll < 0.93:
        return (
            rng.choice(YEAR_LETTERS)
            + str(rng.randint(1, 999))
            + " "
            + "".join(rng.choices(AREA_LETTERS, k=3))
        )
    if roll < 0.98:
        return (
            "".join(rng.choices(AREA_LETTERS, k=3))
            + " "
            + str(rng.randint(1, 999))
            + rng.choice(YEAR_LETTERS)
        )
    return "".join(rng.choices(AREA_LETTERS, k=rng.randint(1, 3))) + " " + str(rng.randint(1, 9999))


def gen_vrm(rng: random.Random) -> str:
    if rng.random() < 0.01:
        return rng.choice(["AB12 CD", "IB12 CDE", "UNKNOWN", "AB12-C0E"])
    mark = _vrm(rng)
    roll = rng.random()
    if roll < 0.3:
        mark = mark.replace(" ", "")
    elif roll < 0.4:
        mark = mark.lower()
    elif roll < 0.45:
        mark = mark.replace(" ", "-")
    return mark


def _postcode(rng: random.Random) -> str:
    area = rng.choice(AREAS)
    district = str(rng.randint(1, 20 if len(area) == 2 else 9))
    if area in ("EC", "W", "SW") and rng.random() < 0.3:
        district = str(rng.randint(1, 9)) + "A"
    inward = str(rng.randint(0, 9)) + "".join(rng.choices(INWARD_LETTERS, k=2))
    return f"{area}{district} {inward}"


def gen_postcode(rng: random.Random) -> str:
    if rng.random() < 0.01:
        return rng.choice(["LS1", "LS1 4CP", "XYZ", "12345"])
    code = _postcode(rng)
    roll = rng.random()
    if roll < 0.3:
        code = code.lower().replace(" ", "")
    elif roll < 0.5:
        code = code.replace(" ", "")
    elif roll < 0.55:
        code = f" {code.lower()} "
    return code


def gen_email(rng: random.Random) -> str:
    if rng.random() < 0.01:
        return rng.choice(["john.smith", "a@b", "john smith@example.org", "@example.org"])
    first = rng.choice(FORENAMES).lower().replace("é", "e").replace("ë", "e").replace("á", "a")
    last = rng.choice(SURNAMES).lower().replace(" ", "").replace("'", "")
    local = rng.choice(
        [f"{first}.{last}", f"{first[0]}{last}{rng.randint(1, 99)}", f"{last}_{first}"]
    )
    local = "".join(c for c in local if c.isascii())
    text = f"{local}@{rng.choice(DOMAINS)}"
    if rng.random() < 0.2:
        text = text.upper()
    if rng.random() < 0.05:
        text = f" mailto:{text} "
    return text


def gen_pnc(rng: random.Random) -> str:
    year = rng.randint(1975, 2025)
    serial = rng.randint(1, 2_000_000)
    letter = check_letter(year, serial)
    if rng.random() < 0.01:
        letter = "Z" if letter != "Z" else "A"
    roll = rng.random()
    if roll < 0.5:
        return f"{year}/{serial:07d}{letter}"
    if roll < 0.75:
        return f"{year % 100:02d}/{serial}{letter}"
    if roll < 0.9:
        return f"{year}{serial:07d}{letter}".lower()
    return f"{year} / {serial:07d} {letter.lower()}"


def gen_address(rng: random.Random) -> str:
    if rng.random() < 0.01:
        return rng.choice([",", "N/A", "   ", "!!"])
    number = str(rng.randint(1, 300)) + (rng.choice("ab") if rng.random() < 0.1 else "")
    street = f"{rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
    parts = [f"{number} {street}", rng.choice(TOWNS)]
    if rng.random() < 0.15:
        parts.insert(0, f"Flat {rng.randint(1, 40)}")
    postcode = _postcode(rng) if rng.random() < 0.8 else ""
    sep = rng.choice([", ", ",", "\n", ",  ", " , "])
    text = sep.join(parts)
    if postcode:
        text += (" " if rng.random() < 0.5 else ", ") + (
            postcode.lower().replace(" ", "") if rng.random() < 0.3 else postcode
        )
    return _messy_case(rng, text)


@dataclass(frozen=True)
class Case:
    """One property type to time: how to make a raw value, and the reference pattern."""

    type_name: str
    make: Callable[[int], Callable[[random.Random], str]]
    reference: re.Pattern[str]


CASES = [
    Case("name", lambda n: gen_name, re.compile(r"[^\W\d_][\w '\-,.]*", re.UNICODE)),
    Case("date", lambda n: gen_date, re.compile(r"[0-9A-Za-z][0-9A-Za-z ./\-,]{3,30}")),
    Case("datetime", lambda n: gen_datetime, re.compile(r"\d[\d/\-T: +Z]{9,30}")),
    Case("phone", make_phone_generator, re.compile(r"\+?[\d ()\-]{6,25}")),
    Case("vrm", lambda n: gen_vrm, re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]{0,9}")),
    Case(
        "postcode",
        lambda n: gen_postcode,
        re.compile(r"\s*[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}\s*"),
    ),
    Case(
        "email", lambda n: gen_email, re.compile(r"\s*(?:mailto:)?[^@\s]+@[^@\s]+\.[A-Za-z]{2,}\s*")
    ),
    Case("pnc", lambda n: gen_pnc, re.compile(r"\d{2,4}\s*/?\s*\d{1,7}\s*[A-Za-z]")),
    Case("address", lambda n: gen_address, re.compile(r"[\w\s,'\-]+")),
]


@dataclass(frozen=True)
class Result:
    """Timings for one property type."""

    type_name: str
    count: int
    distinct: int
    accepted: int
    clean_seconds: float
    regex_seconds: float


def run_case(case: Case, n: int, seed: int) -> Result:
    """Generate ``n`` values for ``case`` and time cleaning and the reference regex."""
    rng = random.Random(f"{seed}:{case.type_name}")
    make = case.make(n)
    values = [make(rng) for _ in range(n)]
    kind = get_type(case.type_name)
    clean = kind.clean
    pattern = case.reference.fullmatch
    if case.type_name == "phone":
        phone_module._parse_general.cache_clear()

    gc.collect()
    gc.disable()
    try:
        accepted = 0
        start = time.perf_counter()
        for value in values:
            try:
                clean(value)
            except InvalidValue:
                continue
            accepted += 1
        clean_seconds = time.perf_counter() - start

        start = time.perf_counter()
        for value in values:
            pattern(value)
        regex_seconds = time.perf_counter() - start
    finally:
        gc.enable()
    return Result(case.type_name, n, len(set(values)), accepted, clean_seconds, regex_seconds)


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}" if seconds > 0 else "-"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a table of values per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100_000, help="values per property type")
    parser.add_argument("--seed", type=int, default=20240601, help="random seed")
    parser.add_argument(
        "--types", nargs="*", default=None, help="property types to run (default: all)"
    )
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 110))
    cases = [c for c in CASES if not args.types or c.type_name in args.types]

    results = []
    started = time.perf_counter()
    for case in cases:
        with console.status(f"{case.type_name}: generating and timing {args.n:,} values"):
            results.append(run_case(case, args.n, args.seed))
    elapsed = time.perf_counter() - started

    table = Table(
        title=f"Property-type normalisation, {args.n:,} values per type (seed {args.seed})"
    )
    table.add_column("type")
    table.add_column("distinct", justify="right")
    table.add_column("accepted", justify="right")
    table.add_column("clean values/s", justify="right")
    table.add_column("µs/value", justify="right")
    table.add_column("regex values/s", justify="right")
    table.add_column("clean ÷ regex time", justify="right")
    for r in results:
        table.add_row(
            r.type_name,
            f"{r.distinct:,}",
            f"{100 * r.accepted / r.count:.1f}%",
            _rate(r.count, r.clean_seconds),
            f"{1e6 * r.clean_seconds / r.count:.2f}",
            _rate(r.count, r.regex_seconds),
            f"{r.clean_seconds / r.regex_seconds:.1f}×" if r.regex_seconds > 0 else "-",
        )
    console.print(table)
    console.print(
        "Reference: one compiled regular expression, pattern.fullmatch(value), over the same "
        f"strings. Total wall time {elapsed:.1f} s including generation."
    )


if __name__ == "__main__":
    main()
