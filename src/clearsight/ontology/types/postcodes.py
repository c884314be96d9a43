"""UK postcodes: one spelling (``LS1 4AP``) for however a source typed it (``ls14ap``).

A postcode is an outward code (area and district, ``LS1``) and an inward code (sector and
unit, ``4AP``). Cleaning removes white space, upper-cases, checks the whole against the
standard pattern and puts one space before the inward code.

The pattern is the one published for BS 7666, letter rules included:

* outward shapes ``A9``, ``A99``, ``A9A``, ``AA9``, ``AA99``, ``AA9A``;
* first letter never Q, V or X; second letter never I, J or Z;
* the letter in ``A9A`` is one of ``ABCDEFGHJKPSTUW``; in ``AA9A`` one of ``ABEHMNPRVWXY``;
* inward code ``9AA`` whose letters are never C, I, K, M, O or V;
* and the special ``GIR 0AA``.

Partial postcodes (an outward code alone) and the non-geographic overseas codes
(``ASCN 1ZZ``, ``BFPO 1234``) are refused. Letters are not guessed from digits (``LSI``
is not read as ``LS1``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clearsight.errors import InvalidValue
from clearsight.ontology.types.base import PropertyType

TYPE_NAME = "postcode"

_FIRST = "ABCDEFGHIJKLMNOPRSTUWYZ"
_SECOND = "ABCDEFGHKLMNOPQRSTUVWXY"
_THIRD = "ABCDEFGHJKPSTUW"
_FOURTH = "ABEHMNPRVWXY"
_INWARD = "ABDEFGHJLNPQRSTUWXYZ"

OUTWARD_PATTERN = (
    f"(?:[{_FIRST}][0-9]{{1,2}}"
    f"|[{_FIRST}][0-9][{_THIRD}]"
    f"|[{_FIRST}][{_SECOND}][0-9]{{1,2}}"
    f"|[{_FIRST}][{_SECOND}][0-9][{_FOURTH}])"
)
"""Regular expression (upper case, no anchors) for an outward code."""

INWARD_PATTERN = f"[0-9][{_INWARD}]{{2}}"
"""Regular expression (upper case, no anchors) for an inward code."""

POSTCODE_PATTERN = f"(?:(?P<outward>{OUTWARD_PATTERN}) ?(?P<inward>{INWARD_PATTERN})|GIR ?0AA)"
"""Regular expression (upper case, no anchors) for a whole postcode, space optional."""

_POSTCODE = re.compile(POSTCODE_PATTERN)
_SPACE = re.compile(r"\s+")


def clean_postcode(value: object, text: str) -> str:
    """Return ``text`` as a postcode in its standard spelling.

    Args:
        value: the raw value, quoted in any error.
        text: the value as text.

    Returns:
        The postcode, upper case, with one space: ``"LS1 4AP"``.

    Raises:
        InvalidValue: the text is not a full UK postcode.
    """
    compact = _SPACE.sub("", text)
    if not compact.isascii():
        raise InvalidValue(TYPE_NAME, value, "a postcode has only letters and digits")
    compact = compact.upper()
    if not 5 <= len(compact) <= 7:
        raise InvalidValue(TYPE_NAME, value, "a postcode has 5 to 7 letters and digits")
    if compact == "GIR0AA":
        return "GIR 0AA"
    match = _POSTCODE.fullmatch(compact)
    if match is None:
        reason = "not a UK postcode"
        if re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}", compact):
            reason = "uses letters never issued in that position of a UK postcode"
        raise InvalidValue(TYPE_NAME, value, reason)
    return f"{match['outward']} {match['inward']}"


def outward(cleaned: str) -> str:
    """Return the outward code (area and district) of a cleaned postcode.

    Examples:
        >>> outward("LS1 4AP")
        'LS1'
    """
    return cleaned.split(" ", 1)[0]


def inward(cleaned: str) -> str:
    """Return the inward code (sector and unit) of a cleaned postcode.

    Examples:
        >>> inward("LS1 4AP")
        '4AP'
    """
    return cleaned.rsplit(" ", 1)[-1]


def area(cleaned: str) -> str:
    """Return the postcode area, the leading letters (``LS`` for ``LS1 4AP``)."""
    match = re.match(r"[A-Z]+", cleaned)
    return match[0] if match else ""


class PostcodeType(PropertyType):
    """A full UK postcode; see the module docstring for the pattern."""

    name = TYPE_NAME

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        """Return the postcode in its standard spelling.

        Raises:
            InvalidValue: the value is not a full UK postcode.
        """
        return clean_postcode(value, self._text(value))

    def match_key(self, cleaned: str) -> str:
        """Return the cleaned postcode, which is already canonical."""
        return cleaned


POSTCODE = PostcodeType()

__all__ = [
    "INWARD_PATTERN",
    "OUTWARD_PATTERN",
    "POSTCODE",
    "POSTCODE_PATTERN",
    "PostcodeType",
    "area",
    "clean_postcode",
    "inward",
    "outward",
]

from clearsight.ontology.types import register  # noqa: E402

register(POSTCODE)
