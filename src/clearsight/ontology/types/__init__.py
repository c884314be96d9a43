"""Property types: one normaliser per kind of value, registered by name.

Use :func:`get_type` (or :func:`normalise`) rather than the classes: the ontology names
types by these strings, and mappings refer to them the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from clearsight.errors import InvalidValue
from clearsight.ontology.types.base import (
    EnumType,
    IdentifierType,
    IntegerType,
    LatitudeType,
    LongitudeType,
    NumberType,
    PropertyType,
    StringType,
    TextType,
)

_BUILTIN: list[PropertyType] = [
    StringType(),
    TextType(),
    IdentifierType(),
    EnumType(),
    IntegerType(),
    NumberType(),
    LatitudeType(),
    LongitudeType(),
]

REGISTRY: dict[str, PropertyType] = {t.name: t for t in _BUILTIN}


def register(kind: PropertyType) -> PropertyType:
    """Add a property type to the registry (used by the type modules below)."""
    REGISTRY[kind.name] = kind
    return kind


def get_type(name: str) -> PropertyType:
    """Return the property type called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise InvalidValue("property type", name, f"unknown; known types: {', '.join(sorted(REGISTRY))}") from None


def normalise(type_name: str, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
    """Clean ``value`` as ``type_name``; raise :class:`InvalidValue` if it cannot be."""
    return get_type(type_name).clean(value, fmt=fmt, values=values)


# The library-backed types register themselves on import.
from clearsight.ontology.types import (  # noqa: E402
    addresses,
    dates,
    emails,
    names,
    phones,
    pnc,
    postcodes,
    vehicles,
)

_ = (addresses, dates, emails, names, phones, pnc, postcodes, vehicles)

__all__ = ["REGISTRY", "PropertyType", "get_type", "normalise", "register"]
