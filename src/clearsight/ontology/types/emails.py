"""Email addresses: trimmed and checked for shape, domain in lower case.

The domain of an address is case-insensitive, so it is stored in lower case. The local
part (before ``@``) may in principle be case-sensitive, so the stored value keeps it as
written; the match key lower-cases everything, because in practice no mail provider
distinguishes ``John.Smith@`` from ``john.smith@``.

The check is structural, not a delivery test:

* a ``mailto:`` prefix and enclosing ``<...>`` are removed;
* exactly one ``@``, no white space anywhere;
* local part of 1 to 64 characters from the RFC 5322 "atext" set (letters, digits and
  ``!#$%&'*+/=?^_`{|}~-``) or non-ASCII letters, with dots only between characters;
* domain of at least two labels, each of 1 to 63 letters, digits or hyphens (not at
  either end), the last label alphabetic or an ``xn--`` label; a trailing dot is dropped;
* at most 254 characters in all.

Quoted local parts (``"john smith"@example.com``) and IP-literal domains are refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clearsight.errors import InvalidValue
from clearsight.ontology.types.base import PropertyType
from clearsight.ontology.types.names import lower_word

TYPE_NAME = "email"

_ATEXT = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-"
)
_LABEL_ASCII = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
_MAILTO = re.compile(r"mailto:", re.IGNORECASE)


def _local_ok(local: str) -> str | None:
    """Return why ``local`` is not a valid local part, or ``None`` if it is."""
    if not 1 <= len(local) <= 64:
        return "the part before @ must have 1 to 64 characters"
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "dots in the part before @ must sit between other characters"
    for char in local:
        if char != "." and char not in _ATEXT and not (not char.isascii() and char.isalnum()):
            return f"character {char!r} is not allowed before @"
    return None


def _domain_ok(domain: str) -> str | None:
    """Return why ``domain`` (already lower case) is not valid, or ``None`` if it is."""
    if len(domain) > 253:
        return "the domain is too long"
    labels = domain.split(".")
    if len(labels) < 2:
        return "the domain needs a dot"
    for label in labels:
        if not 1 <= len(label) <= 63:
            return "each part of the domain must have 1 to 63 characters"
        if label.startswith("-") or label.endswith("-"):
            return "a domain part cannot begin or end with a hyphen"
        for char in label:
            if char not in _LABEL_ASCII and not (not char.isascii() and char.isalnum()):
                return f"character {char!r} is not allowed in a domain"
    top = labels[-1]
    if not (top.isalpha() and len(top) >= 2) and not top.startswith("xn--"):
        return "the last part of the domain must be letters"
    return None


def clean_email(value: object, text: str) -> str:
    """Return the email address in ``text``, domain in lower case.

    Args:
        value: the raw value, quoted in any error.
        text: the address as written.

    Returns:
        The address, for example ``"John.Smith@example.org"``.

    Raises:
        InvalidValue: the text is not shaped like an email address.

    Examples:
        >>> clean_email("x", " mailto:John.Smith@Example.ORG ")
        'John.Smith@example.org'
    """
    text = text.strip()
    if _MAILTO.match(text):
        text = text[len("mailto:") :]
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    if any(c.isspace() for c in text):
        raise InvalidValue(TYPE_NAME, value, "an email address has no spaces")
    if text.count("@") != 1:
        raise InvalidValue(TYPE_NAME, value, "an email address has exactly one @")
    local, domain = text.split("@")
    domain = lower_word(domain[:-1] if domain.endswith(".") else domain)
    reason = _local_ok(local) or _domain_ok(domain)
    if reason:
        raise InvalidValue(TYPE_NAME, value, reason)
    address = f"{local}@{domain}"
    if len(address) > 254:
        raise InvalidValue(TYPE_NAME, value, "an email address has at most 254 characters")
    return address


def domain_of(cleaned: str) -> str:
    """Return the domain of a cleaned address (``example.org``)."""
    return cleaned.rsplit("@", 1)[-1]


class EmailType(PropertyType):
    """An email address; see the module docstring for what is checked."""

    name = TYPE_NAME
    pivot = True

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        """Return the address, trimmed, domain in lower case.

        Raises:
            InvalidValue: the value is not shaped like an email address.
        """
        return clean_email(value, self._text(value))

    def match_key(self, cleaned: str) -> str:
        """Return the address wholly in lower case."""
        return cleaned.lower()


EMAIL = EmailType()

__all__ = ["EMAIL", "EmailType", "clean_email", "domain_of"]

from clearsight.ontology.types import register  # noqa: E402

register(EMAIL)
