"""Email addresses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.errors import InvalidValue
from clearsight.ontology.types import get_type
from clearsight.ontology.types.emails import domain_of

EMAIL = get_type("email")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("john.smith@example.org", "john.smith@example.org"),
        ("  John.Smith@Example.ORG ", "John.Smith@example.org"),
        ("mailto:J.Smith@EXAMPLE.co.uk", "J.Smith@example.co.uk"),
        ("<j.smith@example.org>", "j.smith@example.org"),
        ("j.smith+tag@example.org.", "j.smith+tag@example.org"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("josé@Exämple.de", "josé@exämple.de"),
        ("a@xn--bcher-kva.example", "a@xn--bcher-kva.example"),
        ("a@b.xn--p1ai", "a@b.xn--p1ai"),
    ],
)
def test_clean(raw: str, cleaned: str) -> None:
    assert EMAIL.clean(raw) == cleaned


def test_match_key_lowercases_everything() -> None:
    assert EMAIL.match_key(EMAIL.clean("John.Smith@Example.ORG")) == "john.smith@example.org"
    assert domain_of("John.Smith@example.org") == "example.org"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("john.smith", "exactly one @"),
        ("a@@example.org", "exactly one @"),
        ("a@b@example.org", "exactly one @"),
        ("john smith@example.org", "no spaces"),
        ("a@example", "needs a dot"),
        ("@example.org", "1 to 64"),
        ("a@.example.org", "1 to 63"),
        ("a@example..org", "1 to 63"),
        (".a@example.org", "dots"),
        ("a.@example.org", "dots"),
        ("a..b@example.org", "dots"),
        ("a@-example.org", "hyphen"),
        ("a@example.c0m", "letters"),
        ("a@example.c", "letters"),
        ('"a b"@example.org', "no spaces"),
        ("a(b)@example.org", "not allowed"),
        ("a@exam_ple.org", "not allowed"),
        ("a@[192.168.0.1]", "not allowed"),
        ("x" * 65 + "@example.org", "1 to 64"),
    ],
)
def test_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        EMAIL.clean(raw)
    assert reason in caught.value.reason


_LOCAL = st.from_regex(r"[A-Za-z0-9_%+-]{1,12}(\.[A-Za-z0-9_%+-]{1,12}){0,2}", fullmatch=True)
_DOMAIN = st.from_regex(
    r"([A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?\.){1,3}[A-Za-z]{2,6}", fullmatch=True
)


@settings(max_examples=300, deadline=None)
@given(_LOCAL, _DOMAIN)
def test_generated_addresses_accepted_and_idempotent(local: str, domain: str) -> None:
    cleaned = EMAIL.clean(f" {local}@{domain} ")
    assert cleaned == f"{local}@{domain.lower()}"
    assert EMAIL.clean(cleaned) == cleaned
    assert EMAIL.clean(f"{local}@{domain.upper()}") == cleaned


@settings(max_examples=200, deadline=None)
@given(st.emails())
def test_hypothesis_emails_idempotent(address: str) -> None:
    try:
        cleaned = EMAIL.clean(address)
    except InvalidValue:
        return
    assert EMAIL.clean(cleaned) == cleaned


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_is_cleaned_or_refused(text: str) -> None:
    try:
        cleaned = EMAIL.clean(text)
    except InvalidValue:
        return
    assert EMAIL.clean(cleaned) == cleaned
