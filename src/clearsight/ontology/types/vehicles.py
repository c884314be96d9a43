"""UK vehicle registration marks (VRMs), stored without spaces: ``AB12CDE``.

A VRM is read from ANPR, statements and PNC extracts with varying spaces, dashes and
case. Cleaning removes everything but letters and digits, upper-cases, and accepts the
mark only if it fits one of the series the DVLA (and DVA in Northern Ireland) issue:

========== =========== ===================================================================
series     example     rule
========== =========== ===================================================================
current    ``AB12CDE`` memory tag of two letters without I, Q or Z; age identifier ``02``
                       to ``49`` (March) or ``51`` to ``99`` (September); three random
                       letters without I or Q. Issued since September 2001.
prefix     ``A123BCD`` year letter (A to Y without I, O, U or Z; Q for vehicles of
                       unknown age), serial 1 to 999, three letters without I, Q or Z.
                       1983 to 2001.
suffix     ``ABC123D`` three letters without I, Q or Z, serial 1 to 999, year letter A to
                       Y without I, O, Q, U or Z. 1963 to 1983.
dateless   ``ABC1``    one to three letters and a number 1 to 9999, either way round
           ``1234AB``  (``1A``, ``ABC1``, ``1234AB``). Letters exclude Q; I and Z occur
                       only in Northern Ireland marks and are allowed.
========== =========== ===================================================================

Numbers never start with 0 except the age identifier (``AB02CDE``). Letters are not
guessed from digits (``0`` is not read as ``O``): a misread mark is refused, not changed.
Diplomatic, trade and foreign marks are refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clearsight.errors import InvalidValue
from clearsight.ontology.types.base import PropertyType

TYPE_NAME = "vrm"

_TAG = "ABCDEFGHJKLMNOPRSTUVWXY"
_RANDOM = "ABCDEFGHJKLMNOPRSTUVWXYZ"
_YEAR = "ABCDEFGHJKLMNPRSTVWXY"
_AREA = "ABCDEFGHJKLMNOPRSTUVWXY"
_DATELESS = "ABCDEFGHIJKLMNOPRSTUVWXYZ"

CURRENT = re.compile(
    f"(?P<tag>[{_TAG}]{{2}})(?P<age>0[2-9]|[1-4][0-9]|5[1-9]|[6-9][0-9])(?P<random>[{_RANDOM}]{{3}})"
)
"""Current series since 2001: ``AB12CDE``."""
PREFIX = re.compile(f"(?P<year>[{_YEAR}Q])(?P<serial>[1-9][0-9]{{0,2}})(?P<letters>[{_AREA}]{{3}})")
"""Prefix series 1983 to 2001: ``A123BCD``."""
SUFFIX = re.compile(f"(?P<letters>[{_AREA}]{{3}})(?P<serial>[1-9][0-9]{{0,2}})(?P<year>[{_YEAR}])")
"""Suffix series 1963 to 1983: ``ABC123D``."""
DATELESS_LETTERS_FIRST = re.compile(
    f"(?P<letters>[{_DATELESS}]{{1,3}})(?P<serial>[1-9][0-9]{{0,3}})"
)
"""Dateless marks with letters first: ``ABC1``."""
DATELESS_DIGITS_FIRST = re.compile(
    f"(?P<serial>[1-9][0-9]{{0,3}})(?P<letters>[{_DATELESS}]{{1,3}})"
)
"""Dateless marks with digits first: ``1234AB``."""

SERIES = {
    "current": CURRENT,
    "prefix": PREFIX,
    "suffix": SUFFIX,
    "dateless": DATELESS_LETTERS_FIRST,
    "dateless-reversed": DATELESS_DIGITS_FIRST,
}
"""Each series and its pattern, tried in this order."""

_STRIP = re.compile(r"[\s\-_.,/\\'\"()]+")
_SHAPE = re.compile(r"[A-Z0-9]{2,7}")


def series(cleaned: str) -> str | None:
    """Name the series a cleaned VRM belongs to (a key of :data:`SERIES`), if any.

    Examples:
        >>> series("AB12CDE")
        'current'
    """
    for name, pattern in SERIES.items():
        if pattern.fullmatch(cleaned):
            return name
    return None


def clean_vrm(value: object, text: str) -> str:
    """Return the VRM in ``text`` with no spaces, in capitals.

    Args:
        value: the raw value, quoted in any error.
        text: the mark as written.

    Returns:
        The stored form, such as ``"AB12CDE"``.

    Raises:
        InvalidValue: the mark fits no series issued in the UK.
    """
    compact = _STRIP.sub("", text)
    if not compact.isascii() or not compact.isalnum():
        raise InvalidValue(TYPE_NAME, value, "a registration mark has only letters and digits")
    compact = compact.upper()
    if not _SHAPE.fullmatch(compact):
        raise InvalidValue(TYPE_NAME, value, "a registration mark has 2 to 7 letters and digits")
    if series(compact) is not None:
        return compact
    if re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z]{3}", compact):
        reason = "not issued in the current series (memory tag without I, Q, Z; age 02-49 or 51-99; no I or Q at the end)"
    elif re.fullmatch(r"[A-Z][0-9]{1,3}[A-Z]{3}", compact):
        reason = "not issued in the prefix series (year letter not I, O, U or Z; serial without a leading 0; no I, Q or Z in the last three)"
    elif re.fullmatch(r"[A-Z]{3}[0-9]{1,3}[A-Z]", compact):
        reason = "not issued in the suffix series (no I, Q or Z in the first three; serial without a leading 0; year letter not I, O, Q, U or Z)"
    else:
        reason = "not a UK registration mark"
    raise InvalidValue(TYPE_NAME, value, reason)


def format_vrm(cleaned: str) -> str:
    """Write a cleaned VRM with its conventional space, as on a number plate.

    Examples:
        >>> format_vrm("AB12CDE")
        'AB12 CDE'
        >>> format_vrm("A123BCD")
        'A123 BCD'
        >>> format_vrm("ABC123D")
        'ABC 123D'
        >>> format_vrm("1234AB")
        '1234 AB'
    """
    if CURRENT.fullmatch(cleaned):
        return f"{cleaned[:4]} {cleaned[4:]}"
    if PREFIX.fullmatch(cleaned):
        return f"{cleaned[:-3]} {cleaned[-3:]}"
    if SUFFIX.fullmatch(cleaned):
        return f"{cleaned[:3]} {cleaned[3:]}"
    for pattern in (DATELESS_LETTERS_FIRST, DATELESS_DIGITS_FIRST):
        match = pattern.fullmatch(cleaned)
        if match:
            cut = match.end(1)
            return f"{cleaned[:cut]} {cleaned[cut:]}"
    return cleaned


class VrmType(PropertyType):
    """A UK vehicle registration mark; see the module docstring for the series."""

    name = TYPE_NAME
    pivot = True

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        """Return the mark with no spaces, in capitals.

        Raises:
            InvalidValue: the mark fits no UK series.
        """
        return clean_vrm(value, self._text(value))

    def match_key(self, cleaned: str) -> str:
        """Return the cleaned mark, which is already canonical."""
        return cleaned


VRM = VrmType()

__all__ = [
    "CURRENT",
    "DATELESS_DIGITS_FIRST",
    "DATELESS_LETTERS_FIRST",
    "PREFIX",
    "SERIES",
    "SUFFIX",
    "VRM",
    "VrmType",
    "clean_vrm",
    "format_vrm",
    "series",
]

from clearsight.ontology.types import register  # noqa: E402

register(VRM)
