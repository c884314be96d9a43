"""Telephone numbers in E.164."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clearsight.errors import InvalidValue
from clearsight.ontology.types import get_type
from clearsight.ontology.types.phones import is_valid_national, to_e164

PHONE = get_type("phone")


def test_is_a_pivot() -> None:
    assert PHONE.pivot is True


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("+44 (0)7700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("07700-900-123", "+447700900123"),
        ("(0113) 496 0000", "+441134960000"),
        ("+44 (0) 113 496 0000", "+441134960000"),
        ("020 7946 0000", "+442079460000"),
        ("01632 960123", "+441632960123"),
        ("7700900123", "+447700900123"),
        (7700900123, "+447700900123"),
        (7700900123.0, "+447700900123"),
        ("07624 123456", "+447624123456"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("00 33 6 12 34 56 78", "+33612345678"),
        ("+1 (201) 555-0123", "+12015550123"),
        ("07700 900123 ext. 12", "+447700900123"),
    ],
)
def test_clean(raw: object, cleaned: str) -> None:
    assert PHONE.clean(raw) == cleaned
    assert PHONE.match_key(cleaned) == cleaned


@pytest.mark.parametrize(
    "raw",
    [
        "01234",
        "07700 90012",
        "07700 9001234",
        "+44 20 1234",
        "call me",
        "+44",
        "0000000000",
        "123",
        "+999 1234 5678",
    ],
)
def test_rejects(raw: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        PHONE.clean(raw)
    assert caught.value.type_name == "phone"


def _library(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_UK_NSN = st.from_regex(r"[1-9][0-9]{6,9}", fullmatch=True)


@settings(max_examples=1000, deadline=None)
@given(_UK_NSN)
def test_fast_validation_agrees_with_phonenumbers(nsn: str) -> None:
    number = phonenumbers.PhoneNumber(country_code=44, national_number=int(nsn))
    assert is_valid_national(44, nsn) == phonenumbers.is_valid_number(number)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["1", "2", "3", "7", "8"]), st.from_regex(r"[0-9]{9}", fullmatch=True))
def test_fast_path_agrees_with_phonenumbers_on_likely_numbers(lead: str, rest: str) -> None:
    nsn = lead + rest
    expected = _library("0" + nsn)
    assume(not nsn.startswith(("7700900", "1632960")))
    try:
        got: str | None = to_e164(nsn, "0" + nsn)
    except InvalidValue:
        got = None
    assert got == expected


_VALID_UK = st.builds(
    lambda nsn: nsn,
    st.one_of(
        st.from_regex(r"7[4-9][0-9]{8}", fullmatch=True),
        st.from_regex(r"1[1-9]1[0-9]{7}", fullmatch=True),
        st.from_regex(r"20[378][0-9]{7}", fullmatch=True),
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    _VALID_UK,
    st.sampled_from(
        ["0{n}", "+44{n}", "0044 {n}", "+44 (0){n}", "0{a} {b}", "(0{a}) {b}", "+44-{a}-{b}"]
    ),
)
def test_formatted_variants_normalise_alike(nsn: str, shape: str) -> None:
    assume(_library("0" + nsn) is not None)
    raw = shape.format(n=nsn, a=nsn[:4], b=nsn[4:])
    cleaned = PHONE.clean(raw)
    assert cleaned == "+44" + nsn
    assert PHONE.clean(cleaned) == cleaned


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet="0123456789+()- ")))
def test_any_text_is_cleaned_or_refused(text: str) -> None:
    try:
        cleaned = PHONE.clean(text)
    except InvalidValue:
        return
    assert cleaned.startswith("+")
    assert PHONE.clean(cleaned) == cleaned
