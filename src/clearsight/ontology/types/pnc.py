"""Police National Computer (PNC) identifiers, stored in long form: ``2001/0171310W``.

A PNC ID is the year the record was created, a serial number and a check letter. Sources
write it short (``01/171310W``), without the slash (``20010171310W``) or with spaces;
cleaning writes the year with four digits, pads the serial to seven, and checks the letter.

Check letter: take the two-digit year followed by the seven-digit serial as one integer;
the letter is the one at that number modulo 23 in :data:`CHECK_LETTERS`
(``ZABCDEFGHJKLMNPQRTUVWXY``). A wrong letter usually means a mistyped digit, so it is
refused rather than corrected.

Two-digit years use the same pivot as dates (see
:func:`clearsight.ontology.types.dates.expand_two_digit_year`). Written without a slash,
the year and serial can only be told apart at full width: 4 + 7 or 2 + 7 digits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clearsight.errors import InvalidValue
from clearsight.ontology.types.base import PropertyType
from clearsight.ontology.types.dates import expand_two_digit_year

TYPE_NAME = "pnc"

CHECK_LETTERS = "ZABCDEFGHJKLMNPQRTUVWXY"
"""Check letters, indexed by the number modulo 23."""

MIN_YEAR = 1900
MAX_YEAR = 2099

_STRIP = re.compile(r"[\s\-.]+")
_WITH_SLASH = re.compile(r"(\d{2}|\d{4})/(\d{1,7})([A-Z])")
_WITHOUT_SLASH = re.compile(r"(\d{4}|\d{2})(\d{7})([A-Z])")


def check_letter(year: int, serial: int) -> str:
    """Return the check letter for a PNC year and serial number.

    Args:
        year: the year (only its last two digits count).
        serial: the serial number, 1 to 9,999,999.

    Returns:
        One letter of :data:`CHECK_LETTERS`.

    Examples:
        >>> check_letter(2001, 171310)
        'W'
        >>> check_letter(1981, 154257)
        'C'
    """
    return CHECK_LETTERS[int(f"{year % 100:02d}{serial:07d}") % 23]


def format_pnc(year: int, serial: int) -> str:
    """Write a PNC ID in long form with its check letter (``2001/0171310W``)."""
    return f"{year:04d}/{serial:07d}{check_letter(year, serial)}"


def clean_pnc(value: object, text: str) -> str:
    """Return the PNC ID in ``text`` in long form.

    Args:
        value: the raw value, quoted in any error.
        text: the identifier as written.

    Returns:
        ``YYYY/NNNNNNNL``, for example ``"2001/0171310W"``.

    Raises:
        InvalidValue: the text is not a PNC ID or its check letter is wrong.
    """
    compact = _STRIP.sub("", text)
    if not compact.isascii():
        raise InvalidValue(TYPE_NAME, value, "a PNC ID has only digits, a slash and a letter")
    compact = compact.upper()
    match = _WITH_SLASH.fullmatch(compact) or _WITHOUT_SLASH.fullmatch(compact)
    if match is None:
        raise InvalidValue(TYPE_NAME, value, "not a PNC ID (expected YYYY/NNNNNNNL or YY/NNNNNNNL)")
    year_digits, serial_digits, letter = match.groups()
    year = expand_two_digit_year(int(year_digits)) if len(year_digits) == 2 else int(year_digits)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidValue(TYPE_NAME, value, f"year {year} is outside {MIN_YEAR} to {MAX_YEAR}")
    serial = int(serial_digits)
    if serial == 0:
        raise InvalidValue(TYPE_NAME, value, "the serial number cannot be 0")
    expected = check_letter(year, serial)
    if letter != expected:
        raise InvalidValue(
            TYPE_NAME, value, f"check letter {letter} is wrong for {year:04d}/{serial:07d}"
        )
    return f"{year:04d}/{serial:07d}{letter}"


class PncType(PropertyType):
    """A PNC ID; see the module docstring."""

    name = TYPE_NAME
    pivot = True

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        """Return the PNC ID in long form.

        Raises:
            InvalidValue: the value is not a PNC ID or its check letter is wrong.
        """
        return clean_pnc(value, self._text(value))

    def match_key(self, cleaned: str) -> str:
        """Return the cleaned ID, which is already canonical."""
        return cleaned


PNC = PncType()

__all__ = ["CHECK_LETTERS", "PNC", "PncType", "check_letter", "clean_pnc", "format_pnc"]

from clearsight.ontology.types import register  # noqa: E402

register(PNC)
