"""The contract every property type keeps, and the simple types that need no library."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from clearsight.errors import InvalidValue

_SPACE = re.compile(r"\s+")


def collapse_space(text: str) -> str:
    """Trim and fold runs of white space to one space."""
    return _SPACE.sub(" ", text).strip()


class PropertyType:
    """A kind of value: how to clean it, and the key under which equal values match.

    ``clean`` returns the normalised string stored in the store, or raises
    :class:`InvalidValue` saying what was wrong. ``match_key`` gives the form used for
    exact comparison and search (for example a name folded of case and diacritics).
    Both are pure functions with no I/O.
    """

    name: str = "string"
    #: values of this type identify a thing strongly enough to pivot on (phones, VRMs)
    pivot: bool = False

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        text = self._text(value)
        return text

    def match_key(self, cleaned: str) -> str:
        return cleaned.casefold()

    def _text(self, value: object) -> str:
        if value is None:
            raise InvalidValue(self.name, value, "no value")
        if isinstance(value, float) and math.isnan(value):
            raise InvalidValue(self.name, value, "no value")
        text = collapse_space(str(value))
        if not text:
            raise InvalidValue(self.name, value, "empty")
        return text


class StringType(PropertyType):
    name = "string"


class TextType(PropertyType):
    """Free text: kept as written apart from trimming; line breaks survive."""

    name = "text"

    def _text(self, value: object) -> str:
        if value is None:
            raise InvalidValue(self.name, value, "no value")
        text = str(value).strip()
        if not text:
            raise InvalidValue(self.name, value, "empty")
        return text


class IdentifierType(PropertyType):
    """A reference number: upper case, no spaces."""

    name = "identifier"
    pivot = True

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        return self._text(value).replace(" ", "").upper()

    def match_key(self, cleaned: str) -> str:
        return cleaned


class EnumType(PropertyType):
    """One of a fixed list of values, matched without regard to case."""

    name = "enum"

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        text = self._text(value)
        if not values:
            return text
        for allowed in values:
            if text.casefold() == allowed.casefold():
                return allowed
        raise InvalidValue(self.name, value, f"must be one of {', '.join(values)}")


class IntegerType(PropertyType):
    name = "integer"

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        text = self._text(value).replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise InvalidValue(self.name, value, "not a whole number") from None
        if not math.isfinite(number) or number != int(number):
            raise InvalidValue(self.name, value, "not a whole number")
        return str(int(number))


class NumberType(PropertyType):
    name = "number"
    low = -math.inf
    high = math.inf

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        text = self._text(value).replace(",", "")
        try:
            number = float(text)
        except ValueError:
            raise InvalidValue(self.name, value, "not a number") from None
        if not math.isfinite(number):
            raise InvalidValue(self.name, value, "not a finite number")
        if not self.low <= number <= self.high:
            raise InvalidValue(self.name, value, f"outside {self.low} to {self.high}")
        return repr(round(number, 6)) if number != int(number) else str(int(number))


class LatitudeType(NumberType):
    name = "latitude"
    low = -90.0
    high = 90.0


class LongitudeType(NumberType):
    name = "longitude"
    low = -180.0
    high = 180.0
