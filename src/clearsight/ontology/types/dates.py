"""Dates (whole or partial) and date-times, read the way British sources write them.

Stored forms sort as text and say how precise the source was:

* ``date``: ``YYYY-MM-DD``, ``YYYY-MM`` (month known, day not) or ``YYYY`` (year only);
* ``datetime``: ``YYYY-MM-DDTHH:MM:SSZ`` in UTC, or a date form when the value has no
  time of day.

Accepted spellings of a date:

* ISO ``2001-03-04``, ``2001/03/04``, compact ``20010304``, partial ``2001-03``, ``2001``;
* day/month/year with ``/``, ``-``, ``.`` or space between: ``04/03/2001`` is 4 March
  (never read month-first unless a ``fmt`` says so);
* month/year: ``03/2001``;
* month names or their three-letter abbreviations, with or without a weekday or an
  ordinal: ``4 Mar 2001``, ``Sunday 4th March 2001``, ``March 4, 2001``, ``04-MAR-01``,
  ``March 2001``.

Two-digit years are expanded with a pivot on the current year: a two-digit year greater
than this year's last two digits is in the 1900s, otherwise in the 2000s. In 2026, ``26``
is 2026 and ``27`` is 1927. Years must lie between :data:`MIN_YEAR` and :data:`MAX_YEAR`.

A ``fmt`` (a :func:`datetime.strptime` format such as ``%m/%d/%Y``) is tried first; a
format without ``%d`` gives a month (``%Y-%m`` gives ``YYYY-MM``) and one without a month
gives a year. If the value does not fit the format, the spellings above are tried. For a
datetime, a format with no time directive gives a date form.

Naive times are Europe/London wall-clock time and are converted to UTC; a time that
falls in the autumn repeated hour is read as the first (summer-time) occurrence.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from functools import cache
from zoneinfo import ZoneInfo

from clearsight.errors import InvalidValue
from clearsight.ontology.types.base import PropertyType

DATE = "date"
DATETIME = "datetime"

MIN_YEAR = 1800
"""Earliest year accepted."""
MAX_YEAR = 2200
"""Latest year accepted."""

LOCAL_ZONE = "Europe/London"
"""Zone in which naive times are read."""

MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (
        calendar.month_name[number].lower(),
        calendar.month_abbr[number].lower(),
    )
}
MONTHS["sept"] = 9
_WEEKDAYS = frozenset(
    [d.lower() for d in calendar.day_name]
    + [d.lower() for d in calendar.day_abbr]
    + ["tues", "thur", "thurs"]
)

_ISO = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_COMPACT = re.compile(r"((?:18|19|20|21)\d{2})(\d{2})(\d{2})")
_YEAR_MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})")
_YEAR = re.compile(r"\d{4}")
_DMY = re.compile(r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4}|\d{2})")
_MY = re.compile(r"(\d{1,2})[-/. ](\d{4})")
_MIDNIGHT = re.compile(r"(.+?)[T ]0{1,2}:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?", re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[\s,/.\-]+")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)", re.IGNORECASE)
_TIME_TAIL = re.compile(
    r"(?P<date>.+?)(?:\s*T\s*|\s+|,\s*)(?:at\s+)?"
    r"(?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r"(?:\s*(?P<ampm>[ap])\.?m\.?)?"
    r"(?:\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?))?",
    re.IGNORECASE,
)
_ISO_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)
_DIRECTIVE = re.compile(r"%.")
_TIME_DIRECTIVES = frozenset({"%H", "%I", "%M", "%S", "%X", "%c"})

PartialDate = tuple[int, int | None, int | None]
"""``(year, month or None, day or None)``."""


@cache
def _zone() -> ZoneInfo:
    return ZoneInfo(LOCAL_ZONE)


def expand_two_digit_year(yy: int, *, today: dt.date | None = None) -> int:
    """Expand a two-digit year with the pivot on the current year.

    A year greater than the current year's last two digits is taken as 19xx, any other as
    20xx.

    Args:
        yy: a year from 0 to 99.
        today: the date to pivot on; the current date when omitted.

    Returns:
        The four-digit year.

    Examples:
        >>> expand_two_digit_year(26, today=dt.date(2026, 1, 1))
        2026
        >>> expand_two_digit_year(27, today=dt.date(2026, 1, 1))
        1927
    """
    current = (today or dt.date.today()).year % 100
    return 1900 + yy if yy > current else 2000 + yy


def _year(value: object, digits: str, type_name: str) -> int:
    year = expand_two_digit_year(int(digits)) if len(digits) == 2 else int(digits)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidValue(type_name, value, f"year {year} is outside {MIN_YEAR} to {MAX_YEAR}")
    return year


def check_date(
    value: object, year: int, month: int | None, day: int | None, type_name: str = DATE
) -> PartialDate:
    """Check that a (possibly partial) date exists.

    Raises:
        InvalidValue: naming the impossible part, such as month 13 or 31 February.
    """
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidValue(type_name, value, f"year {year} is outside {MIN_YEAR} to {MAX_YEAR}")
    if month is None:
        return year, None, None
    if not 1 <= month <= 12:
        raise InvalidValue(
            type_name, value, f"month {month} does not exist (dates are read day/month/year)"
        )
    if day is None:
        return year, month, None
    last = calendar.monthrange(year, month)[1]
    if day < 1:
        raise InvalidValue(type_name, value, f"day {day} does not exist")
    if day > last:
        raise InvalidValue(
            type_name,
            value,
            f"{calendar.month_name[month]} {year} has {last} days, so day {day} does not exist",
        )
    return year, month, day


def _with_month_name(value: object, text: str, type_name: str) -> PartialDate | None:
    """Read a date written with a month name; ``None`` if there is no month name."""
    tokens = [t for t in _WORD_SPLIT.split(text.lower()) if t]
    tokens = [t for t in tokens if t not in _WEEKDAYS]
    months = [t for t in tokens if t in MONTHS]
    if len(months) != 1:
        return None
    month = MONTHS[months[0]]
    numbers = []
    for token in tokens:
        if token in MONTHS:
            continue
        ordinal = _ORDINAL.fullmatch(token)
        if ordinal:
            numbers.append(ordinal[1])
        elif token.isdigit() and token.isascii():
            numbers.append(token)
        else:
            return None
    if len(numbers) == 1 and len(numbers[0]) == 4:
        return check_date(value, _year(value, numbers[0], type_name), month, None, type_name)
    if len(numbers) == 2:
        first, second = numbers
        if len(first) == 4 and len(second) <= 2:
            first, second = second, first
        if len(first) <= 2 and len(second) in (2, 4):
            return check_date(value, _year(value, second, type_name), month, int(first), type_name)
    return None


def _auto(value: object, text: str, type_name: str) -> PartialDate:
    """Read ``text`` in the accepted spellings (see the module docstring)."""
    midnight = _MIDNIGHT.fullmatch(text)
    if midnight:
        text = midnight[1]
    if text.isascii():
        if m := _ISO.fullmatch(text):
            return check_date(value, int(m[1]), int(m[3]), int(m[4]), type_name)
        if m := _COMPACT.fullmatch(text):
            return check_date(value, int(m[1]), int(m[2]), int(m[3]), type_name)
        if m := _YEAR_MONTH.fullmatch(text):
            return check_date(value, int(m[1]), int(m[2]), None, type_name)
        if _YEAR.fullmatch(text):
            return check_date(value, int(text), None, None, type_name)
        if m := _DMY.fullmatch(text):
            year = _year(value, m[3], type_name)
            return check_date(value, year, int(m[2]), int(m[1]), type_name)
        if m := _MY.fullmatch(text):
            return check_date(value, int(m[2]), int(m[1]), None, type_name)
    named = _with_month_name(value, text, type_name)
    if named is not None:
        return named
    raise InvalidValue(
        type_name, value, "not a date in a recognised form (such as 04/03/2001 or 2001-03-04)"
    )


def _with_format(value: object, text: str, fmt: str, type_name: str) -> PartialDate | None:
    """Read ``text`` with the strptime format ``fmt``; ``None`` if it does not fit."""
    directives = set(_DIRECTIVE.findall(fmt))
    if not directives & {"%Y", "%y", "%G"}:
        raise InvalidValue(type_name, value, f"format {fmt!r} has no year")
    try:
        parsed = dt.datetime.strptime(text, fmt)
    except ValueError:
        return None
    if directives & {"%d", "%j", "%A", "%a", "%u", "%w", "%U", "%W", "%V"}:
        return check_date(value, parsed.year, parsed.month, parsed.day, type_name)
    if directives & {"%m", "%b", "%B"}:
        return check_date(value, parsed.year, parsed.month, None, type_name)
    return check_date(value, parsed.year, None, None, type_name)


def parse_partial_date(text: str, fmt: str | None = None) -> PartialDate:
    """Read a whole or partial date.

    Args:
        text: the date as written (see the module docstring for the spellings).
        fmt: a strptime format to try first.

    Returns:
        ``(year, month, day)``, with ``None`` for the parts the text does not give.

    Raises:
        InvalidValue: the text is not a date, or names one that does not exist.

    Examples:
        >>> parse_partial_date("04/03/2001")
        (2001, 3, 4)
        >>> parse_partial_date("07/2016")
        (2016, 7, None)
    """
    text = " ".join(str(text).split())
    if not text:
        raise InvalidValue(DATE, text, "empty")
    if fmt:
        parsed = _with_format(text, text, fmt, DATE)
        if parsed is not None:
            return parsed
    return _auto(text, text, DATE)


def format_partial_date(parts: PartialDate) -> str:
    """Write ``(year, month, day)`` as ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``."""
    year, month, day = parts
    if month is None:
        return f"{year:04d}"
    if day is None:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _date_value(value: object, text: str, fmt: str | None, type_name: str) -> str:
    if fmt:
        parsed = _with_format(value, text, fmt, type_name)
        if parsed is not None:
            return format_partial_date(parsed)
    return format_partial_date(_auto(value, text, type_name))


def to_utc(moment: dt.datetime) -> dt.datetime:
    """Convert ``moment`` to UTC, reading a naive value as Europe/London time."""
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        moment = moment.replace(tzinfo=_zone())
    return moment.astimezone(dt.UTC)


def format_utc(moment: dt.datetime) -> str:
    """Write an instant as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC (fractions of a second dropped)."""
    utc = to_utc(moment)
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"


def _zone_of(value: object, tz: str | None) -> dt.tzinfo | None:
    if tz is None:
        return None
    if tz.upper() in ("Z", "UTC", "GMT"):
        return dt.UTC
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 14 or minutes > 59:
        raise InvalidValue(DATETIME, value, f"time zone offset {tz} does not exist")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def _datetime_value(value: object, text: str, fmt: str | None) -> str:
    if fmt:
        if not set(_DIRECTIVE.findall(fmt)) & _TIME_DIRECTIVES:
            partial = _with_format(value, text, fmt, DATETIME)
            if partial is not None:
                return format_partial_date(partial)
        else:
            try:
                parsed = dt.datetime.strptime(text, fmt)
            except ValueError:
                pass
            else:
                check_date(value, parsed.year, parsed.month, parsed.day, DATETIME)
                return format_utc(parsed)
    iso = _ISO_DATETIME.fullmatch(text)
    if iso is not None:
        parts = [int(iso[i] or 0) for i in range(1, 7)]
        check_date(value, parts[0], parts[1], parts[2], DATETIME)
        if parts[3] > 23 or parts[4] > 59 or parts[5] > 59:
            raise InvalidValue(DATETIME, value, f"time {iso[4]}:{iso[5]} does not exist")
        year, month, day, hour, minute, second = parts
        moment = dt.datetime(year, month, day, hour, minute, second, tzinfo=_zone_of(value, iso[7]))
        return format_utc(moment)
    match = _TIME_TAIL.fullmatch(text)
    if match is None:
        try:
            return _date_value(value, text, None, DATETIME)
        except InvalidValue:
            pass
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidValue(
                DATETIME,
                value,
                "not a date and time in a recognised form (such as 04/03/2001 14:30)",
            ) from None
        check_date(value, parsed.year, parsed.month, parsed.day, DATETIME)
        return format_utc(parsed)
    found_year, found_month, found_day = _auto(value, match["date"], DATETIME)
    if found_month is None or found_day is None:
        raise InvalidValue(DATETIME, value, "a time needs a whole date")
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            raise InvalidValue(DATETIME, value, f"hour {hour} does not exist on a 12-hour clock")
        hour = hour % 12 + (12 if match["ampm"].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidValue(DATETIME, value, f"time {match['h']}:{match['m']} does not exist")
    zone = _zone_of(value, match["tz"])
    moment = dt.datetime(found_year, found_month, found_day, hour, minute, second, tzinfo=zone)
    return format_utc(moment)


class DateType(PropertyType):
    """A calendar date, possibly partial; see the module docstring."""

    name = DATE

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        """Return the date as ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.

        ``datetime.date`` and ``datetime.datetime`` objects are accepted as they are (a
        datetime gives its own calendar date).

        Raises:
            InvalidValue: the value is not a date or names one that does not exist.
        """
        if isinstance(value, dt.datetime | dt.date):
            return format_partial_date(check_date(value, value.year, value.month, value.day))
        return _date_value(value, self._text(value), fmt, DATE)

    def match_key(self, cleaned: str) -> str:
        """Return the cleaned date, which is already canonical."""
        return cleaned


class DateTimeType(PropertyType):
    """An instant, stored in UTC; a value without a time is stored as a date."""

    name = DATETIME

    def clean(self, value: object, *, fmt: str | None = None, values: Sequence[str] = ()) -> str:
        """Return ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), or a date form for a date alone.

        Raises:
            InvalidValue: the value is not a date and time, or names one that does not exist.
        """
        if isinstance(value, dt.datetime):
            check_date(value, value.year, value.month, value.day, DATETIME)
            return format_utc(value)
        if isinstance(value, dt.date):
            return format_partial_date(
                check_date(value, value.year, value.month, value.day, DATETIME)
            )
        return _datetime_value(value, self._text(value), fmt)

    def match_key(self, cleaned: str) -> str:
        """Return the cleaned value, which is already canonical."""
        return cleaned


DATE_TYPE = DateType()
DATETIME_TYPE = DateTimeType()

__all__ = [
    "DATETIME_TYPE",
    "DATE_TYPE",
    "MAX_YEAR",
    "MIN_YEAR",
    "DateTimeType",
    "DateType",
    "PartialDate",
    "check_date",
    "expand_two_digit_year",
    "format_partial_date",
    "format_utc",
    "parse_partial_date",
    "to_utc",
]

from clearsight.ontology.types import register  # noqa: E402

register(DATE_TYPE)
register(DATETIME_TYPE)
