"""Discrepancies real records have, applied at realistic rates when a person is written.

A :class:`RecordStyle` says how one source system records people: which errors its
operators make and how often, and how it spells phones and postcodes. :func:`render_people`
turns true people into the strings such a system would hold. The errors are the ones
resolution has to live with (one-edit typos, day and month swapped, nicknames, maiden
names, hyphenated names cut short, stale addresses, missing fields), never adversarial noise.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np

from clearsight.synthetic.identifiers import format_mobile, format_postcode
from clearsight.synthetic.names import NameTables
from clearsight.synthetic.people import EPOCH, Households, Population

KEYBOARD_NEIGHBOURS: dict[str, str] = {
    "a": "sq",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "q": "w",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "x",
}


@dataclass(frozen=True)
class RecordStyle:
    """How often one source system gets each detail of a person wrong or leaves it out."""

    nickname: float = 0.03
    typo_forename: float = 0.015
    typo_surname: float = 0.015
    birth_missing: float = 0.02
    birth_swapped: float = 0.01
    maiden_name: float = 0.35
    hyphen_variant: float = 0.3
    address_missing: float = 0.03
    stale_address: float = 0.02
    phone_missing: float = 0.2
    strip_accents: bool = False
    phone_styles: tuple[float, ...] = (0.5, 0.3, 0.1, 0.0, 0.1, 0.0)
    postcode_styles: tuple[float, ...] = (0.85, 0.1, 0.05)


@dataclass
class RenderedPeople:
    """Column strings for a batch of person mentions, as one source wrote them."""

    forename: list[str]
    surname: list[str]
    birth_day: np.ndarray  # int64 days since 1970, -1 when not recorded
    address_line: list[str]
    town: list[str]
    postcode: list[str]
    phone: list[str]


def strip_accents(text: str) -> str:
    """Drop diacritics, as systems limited to ASCII do (Łukasz -> Lukasz)."""
    text = text.replace("Ł", "L").replace("ł", "l")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def typo(word: str, u: np.ndarray) -> str:
    """One edit to ``word`` (never its first letter), chosen by four uniform numbers ``u``."""
    if len(word) < 3:
        return word
    pos = 1 + int(u[1] * (len(word) - 1))
    op = int(u[0] * 4)
    if op == 0:  # substitute a neighbouring key
        c = word[pos]
        options = KEYBOARD_NEIGHBOURS.get(c.lower(), "")
        if not options:
            return word[:pos] + word[pos] + word[pos:]
        new = options[int(u[2] * len(options))]
        return word[:pos] + (new.upper() if c.isupper() else new) + word[pos + 1 :]
    if op == 1:  # drop a letter
        return word[:pos] + word[pos + 1 :]
    if op == 2:  # double a letter
        return word[:pos] + word[pos] + word[pos:]
    if pos + 1 < len(word):  # swap two neighbours
        return word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
    return word[:pos]


def birth_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of days-since-1970 (vectorised)."""
    dates = EPOCH + days.astype("timedelta64[D]")
    months = dates.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def format_dates(days: np.ndarray, fmt: str, *, swap: np.ndarray | None = None) -> list[str]:
    """Write days-since-1970 with a strftime-like pattern; ``-1`` gives an empty string.

    Supports ``%d %m %Y %b``. ``swap`` marks dates written with day and month exchanged
    (only where the swapped date is still a real date, as clerks' slips are).
    """
    year, month, day = birth_parts(np.where(days < 0, 0, days))
    if swap is not None:
        ok = swap & (day <= 12) & (day != month)
        month, day = np.where(ok, day, month), np.where(ok, month, day)
    abbr = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    out: list[str] = []
    for i in range(days.shape[0]):
        if days[i] < 0:
            out.append("")
            continue
        y, m, d = int(year[i]), int(month[i]), int(day[i])
        out.append(
            fmt.replace("%d", f"{d:02d}")
            .replace("%m", f"{m:02d}")
            .replace("%Y", f"{y:04d}")
            .replace("%b", abbr[m - 1])
        )
    return out


def _styles(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> np.ndarray:
    w = np.array(weights, dtype=np.float64)
    return rng.choice(w.size, size=n, p=w / w.sum())


def render_people(
    people: np.ndarray,
    population: Population,
    households: Households,
    names: NameTables,
    style: RecordStyle,
    rng: np.random.Generator,
) -> RenderedPeople:
    """Write the people ``people`` (person numbers) as one source would, errors and all."""
    n = people.shape[0]
    u = rng.random((n, 12))

    # Forenames: formal name, a nickname, a one-letter slip; accents lost on ASCII systems.
    fore_idx = population.forename[people]
    forenames = names.forenames[fore_idx].tolist()
    for i in np.flatnonzero(u[:, 0] < style.nickname):
        options = names.nickname_of.get(int(fore_idx[i]))
        if options:
            forenames[i] = options[int(u[i, 1] * len(options))]
    for i in np.flatnonzero(u[:, 2] < style.typo_forename):
        forenames[i] = typo(forenames[i], u[i, 8:12])

    # Surnames: maiden names in older systems, hyphenated names written short or spaced.
    sur_idx = population.surname[people]
    previous = population.previous_surname[people]
    use_previous = (previous >= 0) & (u[:, 3] < style.maiden_name)
    surnames = names.surnames[np.where(use_previous, previous, sur_idx)].tolist()
    second = population.second_surname[people]
    for i in np.flatnonzero(second >= 0):
        other = str(names.surnames[second[i]])
        r = u[i, 4] / max(style.hyphen_variant, 1e-9)
        if u[i, 4] >= style.hyphen_variant:
            surnames[i] = f"{surnames[i]}-{other}"
        elif r < 0.5:
            surnames[i] = f"{surnames[i]} {other}"
        # else: the second part is dropped
    for i in np.flatnonzero(u[:, 5] < style.typo_surname):
        surnames[i] = typo(surnames[i], u[i, 8:12][::-1])
    if style.strip_accents:
        forenames = [strip_accents(s) for s in forenames]
        surnames = [strip_accents(s) for s in surnames]

    birth = population.birth[people].astype(np.int64)
    birth = np.where(u[:, 6] < style.birth_missing, -1, birth)

    # Addresses: the person's home, sometimes a previous one, sometimes not given.
    home = population.household[people].astype(np.int64)
    stale = u[:, 7] < style.stale_address
    home = np.where(stale, (home * 7_919 + 13) % households.count, home)
    missing_address = np.asarray(rng.random(n) < style.address_missing)
    numbers = households.house_number[home]
    streets = households.street[home]
    towns = households.town[home]
    codes = households.postcode[home]
    pc_style = _styles(rng, n, style.postcode_styles)
    address_line: list[str] = []
    town: list[str] = []
    postcode: list[str] = []
    for j in range(n):
        if missing_address[j]:
            address_line.append("")
            town.append("")
            postcode.append("")
        else:
            address_line.append(f"{numbers[j]} {streets[j]}")
            town.append(str(towns[j]))
            postcode.append(format_postcode(str(codes[j]), int(pc_style[j])))

    phones = population.phone[people]
    second_phone = population.phone2[people]
    use_second = (second_phone >= 0) & (rng.random(n) < 0.3)
    phones = np.where(use_second, second_phone, phones)
    phones = np.where(rng.random(n) < style.phone_missing, -1, phones)
    ph_style = _styles(rng, n, style.phone_styles)
    phone = [
        format_mobile(int(p), int(s)) if p >= 0 else ""
        for p, s in zip(phones, ph_style, strict=True)
    ]

    return RenderedPeople(
        forename=forenames,
        surname=surnames,
        birth_day=birth,
        address_line=address_line,
        town=town,
        postcode=postcode,
        phone=phone,
    )


def swapped_births(rng: np.random.Generator, n: int, style: RecordStyle) -> np.ndarray:
    """Which of ``n`` dates of birth this source writes with day and month exchanged."""
    return rng.random(n) < style.birth_swapped
