"""How stored values and typed queries become search keys. Pure functions, no I/O.

Both sides go through the same functions, so a value and a query written differently
meet on the same key: names fold to tokens (``SMITH, Mr John`` gives ``john``, ``smith``)
with a phonetic code (Metaphone) and an initial per token; identifiers go through their
property type's normaliser (``07700 900123`` and ``+44 7700 900123`` both give
``+447700900123``; ``AB12 CDE`` gives ``AB12CDE``); postcodes also give their district;
dates give a day key for range filters; everything else that is text is searchable as
folded free text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from clearsight.errors import InvalidValue
from clearsight.ontology import load_model
from clearsight.ontology.types import get_type
from clearsight.ontology.types.addresses import extract_postcode
from clearsight.ontology.types.names import fold, name_key, phonetic
from clearsight.ontology.types.postcodes import outward
from clearsight.store.search_index import Derived

#: property types whose values are identifiers matched exactly after normalisation
IDENT_TYPES = frozenset({"phone", "vrm", "pnc", "postcode", "email", "identifier"})
#: property types matched as names (tokens, phonetic, initials, fuzzy)
NAME_TYPES = frozenset({"name"})
#: property types searched as free text
TEXT_TYPES = frozenset({"text", "string", "address"})
#: identifier types a typed query is tried as, in order
QUERY_IDENT_TYPES = ("phone", "vrm", "pnc", "postcode", "email", "identifier")
#: properties whose value dates an entity for range filters
DATE_PROPS = ("occurredFrom", "month", "reportedAt", "openedAt")
#: string properties that name a thing and are matched like names
NAME_LIKE_PROPS = frozenset({("Organisation", "name"), ("Account", "username")})

_OUTWARD = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
_DAY = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def name_tokens(value: str) -> list[str]:
    """Folded tokens of a name, in order (``O'Brien-Smith, Jo`` gives obrien, smith, jo)."""
    return [tok for tok in fold(value).replace("-", " ").split() if tok]


def query_name_tokens(query: str) -> list[str]:
    """Folded name words of a query, read the way a stored name is cleaned.

    ``SMITH, Mr John`` gives john, smith: titles and honours dropped, comma form swapped.
    """
    return [tok for tok in name_key(query).replace("-", " ").split() if tok]


def day_key(value: str) -> str | None:
    """A sortable ``YYYY-MM-DD`` key for a (partial) date or date-time: its first day."""
    m = _DAY.match(value.strip())
    if not m:
        return None
    return f"{m[1]}-{m[2] or '01'}-{m[3] or '01'}"


@lru_cache(maxsize=1)
def _prop_types() -> dict[tuple[str, str], str]:
    model = load_model()
    return {(s.name, p.name): p.type_name for s in model.entities for p in s.properties.values()}


def _ident_key(type_name: str, value: str) -> str | None:
    kind = get_type(type_name)
    try:
        cleaned = kind.clean(value)
    except InvalidValue:
        cleaned = value
    key = kind.match_key(cleaned)
    return key or None


def derive(schema: str, prop: str, value: str) -> Derived:
    """What the stored value ``value`` of ``schema.prop`` contributes to the index."""
    type_name = _prop_types().get((schema, prop), "string")
    keys: list[tuple[str, str]] = []
    texts: list[str] = []
    terms: list[str] = []
    spellings: list[tuple[str, str]] = []
    if type_name in NAME_TYPES or (schema, prop) in NAME_LIKE_PROPS:
        for tok in name_tokens(value):
            keys.append(("name", tok))
            keys.append(("initial", tok[0]))
            code = phonetic(tok)
            if code:
                keys.append(("phonetic", code))
                spellings.append((code, tok))
            terms.append(tok)
    if type_name in IDENT_TYPES:
        key = _ident_key(type_name, value)
        if key:
            keys.append(("ident", key))
        if type_name == "postcode" and key:
            keys.append(("district", outward(key)))
    if type_name == "address":
        keys.append(("ident", get_type("address").match_key(value)))
        postcode = extract_postcode(value)
        if postcode:
            keys.append(("ident", postcode))
            keys.append(("district", outward(postcode)))
    if prop == "lsoaCode":
        keys.append(("lsoa", value.strip().upper()))
    if prop in DATE_PROPS:
        day = day_key(value)
        if day:
            keys.append(("date", day))
    if type_name in TEXT_TYPES and type_name not in NAME_TYPES and (schema, prop) not in NAME_LIKE_PROPS:
        body = fold(value)
        if body:
            texts.append(body)
    return Derived(keys=keys, texts=texts, terms=terms, spellings=spellings)


def query_identifiers(query: str) -> list[tuple[str, str, str]]:
    """(kind, key, type) pairs the whole query stands for as an identifier or district."""
    out: list[tuple[str, str, str]] = []
    text = query.strip()
    if not text:
        return out
    has_digit = any(c.isdigit() for c in text)
    for type_name in QUERY_IDENT_TYPES:
        if type_name in ("phone", "vrm", "pnc", "identifier") and not has_digit:
            continue
        if type_name == "email" and "@" not in text:
            continue
        try:
            cleaned = get_type(type_name).clean(text)
        except InvalidValue:
            continue
        key = get_type(type_name).match_key(cleaned)
        if key and ("ident", key, type_name) not in out:
            out.append(("ident", key, type_name))
    compact = text.replace(" ", "").upper()
    if _OUTWARD.match(compact):
        out.append(("district", compact, "postcode district"))
    address = get_type("address").match_key(text)
    if has_digit and " " in text and ("ident", address, "address") not in out:
        out.append(("ident", address, "address"))
    return out


__all__ = [
    "DATE_PROPS",
    "IDENT_TYPES",
    "NAME_TYPES",
    "TEXT_TYPES",
    "day_key",
    "derive",
    "name_tokens",
    "phonetic",
    "query_identifiers",
    "query_name_tokens",
]
