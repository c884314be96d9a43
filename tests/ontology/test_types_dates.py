"""Dates, partial dates and date-times."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearsight.errors import InvalidValue
from clearsight.ontology.types import get_type
from clearsight.ontology.types.dates import (
    expand_two_digit_year,
    format_partial_date,
    parse_partial_date,
)

DATE = get_type("date")
DATETIME = get_type("datetime")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("2001-03-04", "2001-03-04"),
        ("2001/3/4", "2001-03-04"),
        ("20010304", "2001-03-04"),
        ("04/03/2001", "2001-03-04"),
        ("4/3/2001", "2001-03-04"),
        ("04-03-2001", "2001-03-04"),
        ("04.03.2001", "2001-03-04"),
        ("04 03 2001", "2001-03-04"),
        ("04/03/01", "2001-03-04"),
        ("4 Mar 2001", "2001-03-04"),
        ("4 MARCH 2001", "2001-03-04"),
        ("Sunday 4th March 2001", "2001-03-04"),
        ("March 4, 2001", "2001-03-04"),
        ("4-Sept-2001", "2001-09-04"),
        ("04-MAR-01", "2001-03-04"),
        ("March 2001", "2001-03"),
        ("Mar-2001", "2001-03"),
        ("2016-07", "2016-07"),
        ("07/2016", "2016-07"),
        ("2016", "2016"),
        ("2001-03-04 00:00:00", "2001-03-04"),
        ("2001-03-04T00:00:00Z", "2001-03-04"),
        ("29/02/2000", "2000-02-29"),
        (dt.date(2001, 3, 4), "2001-03-04"),
        (dt.datetime(2001, 3, 4, 15, 30), "2001-03-04"),
        (2016, "2016"),
    ],
)
def test_clean(raw: object, cleaned: str) -> None:
    assert DATE.clean(raw) == cleaned


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("31/02/2001", "February 2001 has 28 days, so day 31 does not exist"),
        ("29/02/2001", "day 29 does not exist"),
        ("31/04/2001", "April 2001 has 30 days"),
        ("04/13/2001", "month 13 does not exist"),
        ("00/03/2001", "day 0 does not exist"),
        ("2001-00", "month 0 does not exist"),
        ("2001-13-01", "month 13"),
        ("1066", "outside"),
        ("yesterday", "not a date"),
        ("4 Smarch 2001", "not a date"),
        ("12:30", "not a date"),
        ("2001-03-04 10:30", "not a date"),
        ("", "empty"),
    ],
)
def test_rejects_with_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        DATE.clean(raw)
    assert reason in caught.value.reason


def test_day_first_never_month_first() -> None:
    assert DATE.clean("04/03/2001") == "2001-03-04"
    assert DATE.clean("03/04/2001") == "2001-04-03"


def test_fmt_is_tried_first() -> None:
    assert DATE.clean("03/04/2001", fmt="%m/%d/%Y") == "2001-03-04"
    assert DATE.clean("04/03/2001", fmt="%d/%m/%Y") == "2001-03-04"
    assert DATE.clean("2016-07", fmt="%Y-%m") == "2016-07"
    assert DATE.clean("07/16", fmt="%m/%y") == "2016-07"
    assert DATE.clean("2016", fmt="%Y") == "2016"
    # a value that does not fit the format is read in the usual spellings
    assert DATE.clean("2001-03-04", fmt="%m/%d/%Y") == "2001-03-04"


def test_fmt_impossible_date_is_refused() -> None:
    with pytest.raises(InvalidValue, match="31"):
        DATE.clean("02/31/2001", fmt="%m/%d/%Y")


def test_fmt_without_year_is_refused() -> None:
    with pytest.raises(InvalidValue, match="no year"):
        DATE.clean("04/03", fmt="%d/%m")


def test_two_digit_year_pivot() -> None:
    today = dt.date(2026, 11, 22)
    assert expand_two_digit_year(0, today=today) == 2000
    assert expand_two_digit_year(26, today=today) == 2026
    assert expand_two_digit_year(27, today=today) == 1927
    assert expand_two_digit_year(99, today=today) == 1999
    this_year = dt.date.today().year % 100
    assert DATE.clean(f"01/01/{this_year:02d}").startswith("20")
    if this_year < 99:
        assert DATE.clean(f"01/01/{this_year + 1:02d}").startswith("19")


def test_parse_partial_date() -> None:
    assert parse_partial_date("04/03/2001") == (2001, 3, 4)
    assert parse_partial_date("07/2016") == (2016, 7, None)
    assert parse_partial_date("2016") == (2016, None, None)
    assert parse_partial_date("03/04/2001", fmt="%m/%d/%Y") == (2001, 3, 4)
    assert format_partial_date((2016, 7, None)) == "2016-07"
    with pytest.raises(InvalidValue):
        parse_partial_date("31/02/2001")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("2001-01-04T10:00:00", "2001-01-04T10:00:00Z"),
        ("2001-07-04T10:00:00", "2001-07-04T09:00:00Z"),
        ("2001-07-04 10:00", "2001-07-04T09:00:00Z"),
        ("2001-07-04T10:00:00Z", "2001-07-04T10:00:00Z"),
        ("2001-07-04T10:00:00+02:00", "2001-07-04T08:00:00Z"),
        ("2001-07-04T10:00:00.123456-0500", "2001-07-04T15:00:00Z"),
        ("04/07/2001 10:30", "2001-07-04T09:30:00Z"),
        ("04/07/2001 10:30:15", "2001-07-04T09:30:15Z"),
        ("04/07/2001 2:30 pm", "2001-07-04T13:30:00Z"),
        ("04/01/2001 12:05 am", "2001-01-04T00:05:00Z"),
        ("4 Jul 2001 10:30 GMT", "2001-07-04T10:30:00Z"),
        ("2001-07-04", "2001-07-04"),
        ("04/07/2001", "2001-07-04"),
        ("July 2001", "2001-07"),
        (dt.datetime(2001, 7, 4, 10, 0), "2001-07-04T09:00:00Z"),
        (dt.datetime(2001, 7, 4, 10, 0, tzinfo=dt.UTC), "2001-07-04T10:00:00Z"),
        (dt.date(2001, 7, 4), "2001-07-04"),
        # autumn repeated hour: the first (BST) occurrence
        ("2023-10-29T01:30:00", "2023-10-29T00:30:00Z"),
    ],
)
def test_datetime_clean(raw: object, cleaned: str) -> None:
    assert DATETIME.clean(raw) == cleaned


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("2001-07-04T25:00", "does not exist"),
        ("2001-07-04T10:61", "does not exist"),
        ("31/02/2001 10:00", "day 31 does not exist"),
        ("04/07/2001 13:00 pm", "12-hour"),
        ("2001-07 10:00", "whole date"),
        ("2001-07-04T10:00+25:00", "offset"),
        ("soon", "not a date and time"),
    ],
)
def test_datetime_rejects(raw: str, reason: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        DATETIME.clean(raw)
    assert reason in caught.value.reason


def test_datetime_fmt() -> None:
    assert DATETIME.clean("07/04/2001 10:00", fmt="%m/%d/%Y %H:%M") == "2001-07-04T09:00:00Z"
    assert DATETIME.clean("07/04/2001", fmt="%m/%d/%Y") == "2001-07-04"


_DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31))
_SPELLINGS = [
    "{d:%Y-%m-%d}",
    "{d:%d/%m/%Y}",
    "{d.day}/{d.month}/{d.year}",
    "{d:%d.%m.%Y}",
    "{d:%d-%m-%Y}",
    "{d:%d %b %Y}",
    "{d:%d %B %Y}",
    "{d:%A %d %B %Y}",
    "{d:%B %d, %Y}",
    "{d:%Y%m%d}",
]


@settings(max_examples=300, deadline=None)
@given(_DATES, st.sampled_from(_SPELLINGS), st.sampled_from([str.upper, str.lower, str]))
def test_spellings_agree_and_are_idempotent(day: dt.date, spelling: str, case: object) -> None:
    raw = case(spelling.format(d=day))  # type: ignore[operator]
    cleaned = DATE.clean(raw)
    assert cleaned == day.isoformat()
    assert DATE.clean(cleaned) == cleaned


@settings(max_examples=200, deadline=None)
@given(st.integers(1800, 2200), st.one_of(st.none(), st.integers(1, 12)))
def test_partial_dates_idempotent(year: int, month: int | None) -> None:
    raw = f"{year}" if month is None else f"{month:02d}/{year}"
    cleaned = DATE.clean(raw)
    assert cleaned == (f"{year}" if month is None else f"{year}-{month:02d}")
    assert DATE.clean(cleaned) == cleaned


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2199, 12, 30)),
    st.sampled_from(["{t:%Y-%m-%dT%H:%M:%S}", "{t:%d/%m/%Y %H:%M:%S}", "{t:%Y-%m-%d %H:%M:%S}"]),
)
def test_datetime_idempotent(moment: dt.datetime, spelling: str) -> None:
    cleaned = DATETIME.clean(spelling.format(t=moment))
    assert cleaned.endswith("Z")
    assert DATETIME.clean(cleaned) == cleaned
    assert DATETIME.clean(moment.replace(microsecond=0, fold=0)) == cleaned


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_text_is_cleaned_or_refused(text: str) -> None:
    for kind in (DATE, DATETIME):
        try:
            cleaned = kind.clean(text)
        except InvalidValue:
            continue
        assert kind.clean(cleaned) == cleaned
