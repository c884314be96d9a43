"""PNC identifiers."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.errors import InvalidValue
from clearsight.ontology.types import get_type
from clearsight.ontology.types.pnc import CHECK_LETTERS, check_letter, format_pnc

PNC = get_type("pnc")


def test_check_letters() -> None:
    assert len(CHECK_LETTERS) == 23
    assert check_letter(2001, 171310) == "W"
    assert check_letter(1981, 154257) == "C"
    # by hand: 010171310 % 23 == 20 -> W; 810154257 % 23 == 3 -> C
    assert 10171310 % 23 == 20 and CHECK_LETTERS[20] == "W"
    assert 810154257 % 23 == 3 and CHECK_LETTERS[3] == "C"


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("2001/0171310W", "2001/0171310W"),
        ("1981/0154257C", "1981/0154257C"),
        ("01/171310W", "2001/0171310W"),
        ("01/0171310W", "2001/0171310W"),
        ("81/154257c", "1981/0154257C"),
        ("2001/171310W", "2001/0171310W"),
        ("20010171310W", "2001/0171310W"),
        ("010171310W", "2001/0171310W"),
        (" 2001 / 0171310 w ", "2001/0171310W"),
    ],
)
def test_clean(raw: str, cleaned: str) -> None:
    assert PNC.clean(raw) == cleaned
    assert PNC.match_key(cleaned) == cleaned


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2001/0171310X", "check letter X is wrong"),
        ("1981/0154257D", "check letter D is wrong"),
        ("2001/0171311W", "check letter W is wrong"),  # one digit mistyped
        ("2001/0000000Z", "cannot be 0"),
        ("2001/01713100W", "not a PNC ID"),
        ("2001171310W", "not a PNC ID"),  # no slash and a short serial: ambiguous
        ("1899/0171310W", "outside"),
        ("ABC", "not a PNC ID"),
        ("２００１/0171310W", "only digits"),
    ],
)
def test_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        PNC.clean(raw)
    assert reason in caught.value.reason


def test_two_digit_year_pivot_matches_dates() -> None:
    this_year = dt.date.today().year % 100
    serial = 171310
    short = f"{this_year:02d}/{serial}{check_letter(this_year, serial)}"
    assert PNC.clean(short).startswith("20")
    if this_year < 99:
        later = this_year + 1
        short = f"{later:02d}/{serial}{check_letter(later, serial)}"
        assert PNC.clean(short).startswith("19")


_YEARS = st.integers(1900, 2099)
_SERIALS = st.integers(1, 9_999_999)


@settings(max_examples=500, deadline=None)
@given(_YEARS, _SERIALS)
def test_generated_ids_accepted_and_variants_agree(year: int, serial: int) -> None:
    cleaned = format_pnc(year, serial)
    assert PNC.clean(cleaned) == cleaned
    assert PNC.clean(cleaned.lower()) == cleaned
    assert PNC.clean(cleaned.replace("/", "")) == cleaned
    assert PNC.clean(cleaned.replace("/", " / ")) == cleaned
    assert PNC.clean(f"{year}/{serial}{cleaned[-1]}") == cleaned


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 99), _SERIALS)
def test_short_forms_expand_with_the_pivot(yy: int, serial: int) -> None:
    letter = check_letter(yy, serial)
    cleaned = PNC.clean(f"{yy:02d}/{serial}{letter}")
    assert cleaned[2:4] == f"{yy:02d}"
    assert PNC.clean(cleaned) == cleaned


@settings(max_examples=300, deadline=None)
@given(_YEARS, _SERIALS, st.sampled_from(CHECK_LETTERS))
def test_wrong_letters_refused(year: int, serial: int, letter: str) -> None:
    raw = f"{year}/{serial:07d}{letter}"
    if letter == check_letter(year, serial):
        assert PNC.clean(raw) == raw
    else:
        with pytest.raises(InvalidValue, match="check letter"):
            PNC.clean(raw)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_is_cleaned_or_refused(text: str) -> None:
    try:
        cleaned = PNC.clean(text)
    except InvalidValue:
        return
    assert PNC.clean(cleaned) == cleaned
