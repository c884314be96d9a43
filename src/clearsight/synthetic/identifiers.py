"""Identifiers as the systems write them: UK mobiles, registration marks, PNC IDs, postcodes.

Every identifier is drawn without repeats by an affine bijection over its number space
(``(a * k + b) mod m`` with ``a`` coprime to ``m``), so a million unique values cost no more
than a million random ones and need no set to check collisions.
"""

from __future__ import annotations

import math

import numpy as np

# Mobile prefixes (the four digits after the leading 0) that libphonenumber accepts as valid
# UK mobile ranges; 7700 (Ofcom's drama range) and 7911 are left out.
MOBILE_PREFIXES = np.array(
    [*range(7400, 7600), *range(7701, 7800), *range(7800, 7911), *range(7912, 8000)],
    dtype=np.int64,
)

#: Letters used in the last three characters of a current-format mark (no I or Q).
VRM_LETTERS = np.array(list("ABCDEFGHJKLMNOPRSTUVWXYZ"))
#: Memory tags of the Yorkshire (Y) and neighbouring (M, N, P) registration offices.
MEMORY_TAGS = np.array(
    [f"Y{c}" for c in "ABCDEFGHJKLMNPRSTUVWXY"] + ["MA", "MD", "NA", "NG", "PA", "PE"]
)
#: Age identifiers in use 2002..2024 (March "02".."24", September "52".."73").
AGE_IDS = np.array([f"{y:02d}" for y in range(2, 25)] + [f"{y:02d}" for y in range(52, 74)])

PNC_CHECK = "ZABCDEFGHJKLMNPQRTUVWXY"


def _bijection(k: np.ndarray, modulus: int, salt: int) -> np.ndarray:
    """Scatter ``k`` (distinct, < modulus) to distinct values in ``[0, modulus)``."""
    a = 2_654_435_761 % modulus or 1
    while math.gcd(a, modulus) != 1:
        a += 1
    return (k.astype(np.int64) * a + salt) % modulus


def mobile_numbers(k: np.ndarray, salt: int) -> np.ndarray:
    """Distinct national mobile numbers (as int64 without the leading 0) for indices ``k``."""
    space = MOBILE_PREFIXES.size * 1_000_000
    v = _bijection(k, space, salt)
    return MOBILE_PREFIXES[v // 1_000_000] * 1_000_000 + v % 1_000_000


def format_mobile(number: int, style: int) -> str:
    """Write a national mobile number the way one system or another does.

    Styles: 0 ``07412 345678``, 1 ``07412345678``, 2 ``+44 7412 345678``,
    3 ``447412345678``, 4 ``+447412345678``, 5 ``(07412) 345 678``.
    """
    digits = f"{number:010d}"
    if style == 0:
        return f"0{digits[:4]} {digits[4:]}"
    if style == 1:
        return f"0{digits}"
    if style == 2:
        return f"+44 {digits[:4]} {digits[4:]}"
    if style == 3:
        return f"44{digits}"
    if style == 4:
        return f"+44{digits}"
    return f"(0{digits[:4]}) {digits[4:7]} {digits[7:]}"


def registration_marks(k: np.ndarray, salt: int) -> np.ndarray:
    """Distinct current-format registration marks (``YA12BCD``) for indices ``k``."""
    n_letters = VRM_LETTERS.size
    space = MEMORY_TAGS.size * AGE_IDS.size * n_letters**3
    v = _bijection(k, space, salt)
    tail, v = v % n_letters**3, v // n_letters**3
    age, tag = v % AGE_IDS.size, v // AGE_IDS.size
    l1, rest = tail // (n_letters * n_letters), tail % (n_letters * n_letters)
    l2, l3 = rest // n_letters, rest % n_letters
    out = np.empty(k.shape[0], dtype=object)
    for i in range(k.shape[0]):
        out[i] = (
            f"{MEMORY_TAGS[tag[i]]}{AGE_IDS[age[i]]}"
            f"{VRM_LETTERS[l1[i]]}{VRM_LETTERS[l2[i]]}{VRM_LETTERS[l3[i]]}"
        )
    return out


def format_vrm(vrm: str, style: int) -> str:
    """Write a mark as read or typed: 0 ``YA12BCD``, 1 ``YA12 BCD``, 2 ``ya12bcd``, 3 ``ya12 bcd``."""
    if style == 1:
        return f"{vrm[:4]} {vrm[4:]}"
    if style == 2:
        return vrm.lower()
    if style == 3:
        return f"{vrm[:4]} {vrm[4:]}".lower()
    return vrm


def pnc_id(year: int, serial: int) -> str:
    """A PNC ID ``YY/NNNNNNNC`` with its check letter (year and serial, modulo 23)."""
    yy = year % 100
    check = PNC_CHECK[int(f"{yy:02d}{serial:07d}") % 23]
    return f"{yy:02d}/{serial:07d}{check}"


def format_postcode(code: str, style: int) -> str:
    """Write a postcode as systems do: 0 as is, 1 without the space, 2 lower case."""
    if style == 1:
        return code.replace(" ", "")
    if style == 2:
        return code.lower()
    return code
