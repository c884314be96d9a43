"""Telephone numbers in E.164 (``+447700900123``), the form on which records are linked.

Numbers are read with the `phonenumbers` library (Google's libphonenumber metadata), with
GB as the region for numbers written without a country code, and must be valid numbers
for their country, not merely the right length.

Most numbers in British police data are UK numbers written in a handful of shapes
(``07700 900123``, ``+44 (0)113 496 0000``, ``0044 ...``). Those take a fast path: the
number is taken apart with one regular expression and checked against the same
libphonenumber patterns that :func:`phonenumbers.is_valid_number` uses for the +44
regions (GB, Guernsey, Isle of Man, Jersey), compiled once. Everything else goes through
:func:`phonenumbers.parse`, with results cached by the number's digits.

Ofcom's ranges reserved for drama and examples (07700 900000 to 07700 900999 and
01632 960000 to 01632 960999) are accepted although libphonenumber treats them as
unassigned: test data and training material should use exactly those numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat

from clearsight.errors import InvalidValue
from clearsight.ontology.types.base import PropertyType

TYPE_NAME = "phone"

DEFAULT_REGION = "GB"
"""Region assumed for numbers written without a country code."""

DRAMA_PATTERN = re.compile(r"7700900\d{3}|1632960\d{3}")
"""Ofcom drama ranges, as national significant numbers after +44."""

_PUNCTUATION = re.compile(r"[\s\-./()\[\]]+")
_UK_SHAPE = re.compile(r"(?:\+44|0044)0?|0")
_ERROR_CODE = re.compile(r"^\(\d+\)\s*")
_UK_DIGITS = re.compile(r"[1-9][0-9]{6,9}")
_TYPES = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
    "voicemail", "fixed_line", "mobile",
)  # fmt: skip


@dataclass(frozen=True)
class _Region:
    code: str
    leading: Callable[[str], object] | None
    valid: Callable[[str], object]


def _desc_pattern(desc: object) -> str | None:
    """Turn a libphonenumber number description into one regular expression.

    The description matches when the number has one of its possible lengths (if it lists
    any) and fully matches its national number pattern.
    """
    pattern = getattr(desc, "national_number_pattern", None)
    if desc is None or pattern is None:
        return None
    lengths = sorted(getattr(desc, "possible_length", ()) or ())
    if lengths:
        alternatives = "|".join(f"[0-9]{{{n}}}" for n in lengths)
        return f"(?=(?:{alternatives})\\Z)(?:{pattern})\\Z"
    return f"(?:{pattern})\\Z"


@cache
def _regions(country_code: int) -> tuple[_Region, ...]:
    """Compile the libphonenumber validation patterns of every region sharing a code.

    Each region's rule (the general description, and then any one of the number types)
    becomes one regular expression, so a number is checked with one match per region.
    """
    regions = []
    for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        meta = PhoneMetadata.metadata_for_region(code)
        if meta is None:
            continue
        general = _desc_pattern(meta.general_desc)
        types = [p for p in (_desc_pattern(getattr(meta, t)) for t in _TYPES) if p is not None]
        if general is None or not types:
            continue
        union = "|".join(f"(?:{t})" for t in types)
        valid = re.compile(f"(?=(?:{general}))(?:{union})").match
        leading = re.compile(meta.leading_digits).match if meta.leading_digits else None
        regions.append(_Region(code, leading, valid))
    return tuple(regions)


def is_valid_national(country_code: int, nsn: str) -> bool:
    """Say whether ``nsn`` is a valid number under ``country_code``.

    Gives the answer :func:`phonenumbers.is_valid_number` gives, region by region in the
    library's order, with the patterns compiled once.

    Args:
        country_code: the calling code, such as 44.
        nsn: the national significant number (no trunk ``0``), digits only.
    """
    if not nsn.isascii() or not nsn.isdigit():
        return False
    for region in _regions(country_code):
        if region.leading is not None:
            if region.leading(nsn):
                return region.valid(nsn) is not None
        elif region.valid(nsn) is not None:
            return True
    return False


def _uk_nsn(compact: str) -> str | None:
    """Return the national significant number of a compact UK-shaped number, else ``None``."""
    prefix = _UK_SHAPE.match(compact)
    if prefix is None:
        return None
    rest = compact[prefix.end() :]
    return rest if _UK_DIGITS.fullmatch(rest) else None


@lru_cache(maxsize=1 << 16)
def _parse_general(compact: str) -> tuple[str | None, str]:
    """Parse with phonenumbers; return ``(E.164 or None, reason)``."""
    try:
        number = phonenumbers.parse(compact, DEFAULT_REGION)
    except NumberParseException as error:
        return None, "not a phone number: " + _ERROR_CODE.sub("", str(error))
    nsn = phonenumbers.national_significant_number(number)
    if number.country_code == 44 and DRAMA_PATTERN.fullmatch(nsn):
        return f"+44{nsn}", ""
    if not phonenumbers.is_valid_number(number):
        return None, "not a valid number for its country"
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), ""


def to_e164(value: object, text: str) -> str:
    """Return the phone number in ``text`` in E.164 form.

    Args:
        value: the raw value, quoted in any error.
        text: the number as written.

    Returns:
        The number as ``+`` country code and national number: ``"+447700900123"``.

    Raises:
        InvalidValue: the text is not a valid phone number.

    Examples:
        >>> to_e164("07700 900123", "07700 900123")
        '+447700900123'
    """
    compact = _PUNCTUATION.sub("", text)
    nsn = _uk_nsn(compact)
    if nsn is not None:
        if DRAMA_PATTERN.fullmatch(nsn) or is_valid_national(44, nsn):
            return f"+44{nsn}"
        raise InvalidValue(TYPE_NAME, value, "not a valid UK number")
    if len(compact) > 64:
        raise InvalidValue(TYPE_NAME, value, "too long for a phone number")
    e164, reason = _parse_general(compact)
    if e164 is None:
        raise InvalidValue(TYPE_NAME, value, reason)
    return e164


class PhoneType(PropertyType):
    """A telephone number in E.164; see the module docstring."""

    name = TYPE_NAME
    pivot = True

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        """Return the number in E.164 form.

        Whole numbers given as ``int`` or integral ``float`` (a spreadsheet that dropped the
        leading zero) are read as digits.

        Raises:
            InvalidValue: the value is not a valid phone number.
        """
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        return to_e164(value, self._text(value))

    def match_key(self, cleaned: str) -> str:
        """Return the E.164 string itself."""
        return cleaned


PHONE = PhoneType()

__all__ = ["DEFAULT_REGION", "DRAMA_PATTERN", "PHONE", "PhoneType", "is_valid_national", "to_e164"]

from clearsight.ontology.types import register  # noqa: E402

register(PHONE)
