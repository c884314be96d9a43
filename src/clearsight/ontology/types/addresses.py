"""Free-text UK addresses: a tidy display form and a key that forgives abbreviations.

Addresses arrive as one line, several lines, in capitals, with stray commas. Cleaning
changes only layout and case, never words: lines become comma-separated parts, white
space and commas are collapsed, words are title-cased (``12a HIGH ST`` becomes
``12A High St``), and a postcode at the end (or just before a closing ``UK``,
``England`` ...) is written in its standard form. Nothing is
expanded or removed in the display value, so what the source said is still visible.

The match key is for comparison only: lower case, no diacritics or punctuation, and the
common abbreviations expanded (``rd`` to ``road``, ``st`` to ``street`` ...) so that
``12 High St`` and ``12 HIGH STREET`` share a key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from clearsight.errors import InvalidValue
from clearsight.ontology.types.base import PropertyType, collapse_space
from clearsight.ontology.types.names import fold, lower_word, title_case_word
from clearsight.ontology.types.postcodes import clean_postcode

TYPE_NAME = "address"

SMALL_WORDS = frozenset(
    {"upon", "on", "under", "in", "by", "the", "of", "and", "at", "le", "en", "cum"}
)
"""Words kept in lower case after another word (``Newcastle upon Tyne``), but not at the
start of a part or after a house number (``1 The Green``)."""

UPPER_WORDS = {"uk": "UK", "gb": "GB", "po": "PO", "bfpo": "BFPO", "nhs": "NHS", "usa": "USA"}
"""Words always written in capitals."""

ABBREVIATIONS = {
    "rd": "road", "st": "street", "str": "street", "ave": "avenue", "av": "avenue",
    "ln": "lane", "dr": "drive", "drv": "drive", "cl": "close", "ct": "court", "crt": "court",
    "cres": "crescent", "cresc": "crescent", "gdns": "gardens", "gdn": "garden", "gr": "grove",
    "gro": "grove", "pl": "place", "sq": "square", "ter": "terrace", "terr": "terrace",
    "tce": "terrace", "pk": "park", "pde": "parade", "wy": "way", "wlk": "walk", "hse": "house",
    "ho": "house", "bldg": "building", "bldgs": "buildings", "blvd": "boulevard",
    "hwy": "highway", "mt": "mount", "est": "estate", "ind": "industrial", "apt": "apartment",
    "flt": "flat", "cott": "cottage", "cotts": "cottages", "mws": "mews", "nth": "north",
    "sth": "south", "gt": "great", "lt": "little", "upr": "upper", "lwr": "lower",
}  # fmt: skip
"""Abbreviations expanded in the match key. ``st`` is read as ``saint`` where it begins
a part or follows a number (``St Albans``, ``12 St John's Road``) and as ``street``
elsewhere."""

COUNTRIES = frozenset(
    {
        "uk", "gb", "great britain", "united kingdom", "england", "scotland", "wales",
        "northern ireland", "cymru",
    }
)  # fmt: skip
"""Final parts that name the country; a postcode just before them is still found."""

_LINE_BREAK = re.compile(r"[\r\n;]+")
_ORDINAL = re.compile(r"([0-9]+)(st|nd|rd|th)", re.IGNORECASE)
_POSTCODE_AT_END = re.compile(r"(?:^|(?<=\s))([A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s?[0-9][A-Za-z]{2})$")
_POSTCODE_ANYWHERE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})(?![A-Za-z0-9])"
)


def _upper(word: str) -> str:
    return "".join(c.upper() if len(c.upper()) == 1 else c for c in word)


@lru_cache(maxsize=1 << 16)
def _case_word(word: str, first: bool) -> str:
    """Case one word of an address; ``first`` says whether it follows no other word."""
    start = 0
    while start < len(word) and not word[start].isalnum():
        start += 1
    lead, body = word[:start], word[start:]
    if not body:
        return word
    bare = lower_word(body.strip(".,)'\""))
    if bare in UPPER_WORDS and body.isascii():
        return lead + _upper(body)
    if any(c.isdigit() for c in body):
        ordinal = _ORDINAL.fullmatch(body)
        if ordinal:
            return lead + ordinal[1] + lower_word(ordinal[2])
        return lead + _upper(body)
    if not first and bare in SMALL_WORDS and (body.islower() or body.isupper()):
        return lead + lower_word(body)
    pieces = body.split("-")
    cased = [title_case_word(pieces[0])]
    for piece in pieces[1:]:
        if lower_word(piece) in SMALL_WORDS and (piece.islower() or piece.isupper()):
            cased.append(lower_word(piece))
        else:
            cased.append(title_case_word(piece))
    return lead + "-".join(cased)


def _case_part(part: str) -> str:
    words = part.split(" ")
    # a small word keeps its capital at the start of a part or after a number (1 The Green)
    return " ".join(
        _case_word(word, i == 0 or not any(c.isalpha() for c in words[i - 1]))
        for i, word in enumerate(words)
    )


def _parts(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", _LINE_BREAK.sub(",", text))
    return [p for p in (collapse_space(p) for p in text.split(",")) if p]


def extract_postcode(text: str) -> str | None:
    """Find the last valid UK postcode in ``text``, in its standard spelling.

    Args:
        text: an address or any text.

    Returns:
        The postcode (``"LS1 4AP"``), or ``None`` when there is none.

    Examples:
        >>> extract_postcode("1 Park Row, Leeds ls14ap, UK")
        'LS1 4AP'
    """
    for match in reversed(list(_POSTCODE_ANYWHERE.finditer(text))):
        try:
            return clean_postcode(text, match[1] + match[2])
        except InvalidValue:
            continue
    return None


def clean_address(value: object, text: str) -> str:
    """Return the display form of the address ``text``.

    Args:
        value: the raw value, quoted in any error.
        text: the value as text, line breaks included.

    Returns:
        The address as comma-separated, title-cased parts, with a trailing postcode in its
        standard spelling.

    Raises:
        InvalidValue: the text has no letters or digits.
    """
    parts = _parts(text)
    if not any(c.isalnum() for p in parts for c in p):
        raise InvalidValue(TYPE_NAME, value, "an address needs letters or digits")
    end = len(parts)
    while end > 1 and parts[end - 1].lower().replace(".", "") in COUNTRIES:
        end -= 1
    last = parts[end - 1]
    tail: list[str] = []
    found = _POSTCODE_AT_END.search(last)
    if found:
        try:
            tail = [clean_postcode(value, found[1])]
        except InvalidValue:
            tail = []
        else:
            last = last[: found.start(1)].rstrip()
    cased = [_case_part(p) for p in parts[: end - 1]]
    cased.append(" ".join([_case_part(last), *tail] if last else tail))
    cased.extend(_case_part(p) for p in parts[end:])
    return ", ".join(cased)


def address_key(text: str) -> str:
    """Give the comparison key of an address: folded, abbreviations expanded.

    Args:
        text: a cleaned address, or any address text.

    Returns:
        A lower-case key; for example ``"12 high street leeds ls1 4ap"``.
    """
    words: list[str] = []
    for part in _parts(text.replace("&", " and ")):
        tokens = fold(part).split()
        for i, token in enumerate(tokens):
            if token == "st" and (i == 0 or tokens[i - 1][:1].isdigit()):
                words.append("saint")
            else:
                words.append(ABBREVIATIONS.get(token, token))
    return " ".join(words)


class AddressType(PropertyType):
    """A free-text UK address; see the module docstring."""

    name = TYPE_NAME

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        """Return the tidied address.

        Raises:
            InvalidValue: the value is empty or has no letters or digits.
        """
        if value is None:
            raise InvalidValue(self.name, value, "no value")
        self._text(value)
        return clean_address(value, str(value))

    def match_key(self, cleaned: str) -> str:
        """Return the comparison key of a cleaned address."""
        return address_key(cleaned)


ADDRESS = AddressType()

__all__ = [
    "ABBREVIATIONS",
    "ADDRESS",
    "AddressType",
    "address_key",
    "clean_address",
    "extract_postcode",
]

from clearsight.ontology.types import register  # noqa: E402

register(ADDRESS)
