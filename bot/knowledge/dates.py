"""Dates that carry their precision: a day, a day range, a month, a season, a quarter, a year,
or unknown."""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo


class Precision(StrEnum):
    """How precisely a source dates something."""

    DAY = "day"
    RANGE = "range"
    MONTH = "month"
    SEASON = "season"
    QUARTER = "quarter"
    YEAR = "year"
    UNKNOWN = "unknown"


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTERVAL = re.compile(r"^(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_SEASON = re.compile(r"^(\d{4})-(spring|summer|autumn|fall|winter)$", re.IGNORECASE)
# Northern-hemisphere meteorological seasons; winter YYYY runs from December YYYY into YYYY+1.
SEASON_MONTHS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
SEASON_NAMES = {3: "spring", 6: "summer", 9: "autumn", 12: "winter"}


@dataclass(frozen=True)
class When:
    """A date at its precision; `first` and `last` are the first and last days it may mean."""

    precision: Precision
    first: date | None = None
    last: date | None = None
    inferred: bool = False  # the curator inferred it from context (a day without a year)

    @property
    def has_day(self) -> bool:
        """True when the source gives the day (or days) itself."""
        return self.precision in (Precision.DAY, Precision.RANGE)

    def start(self, tz: tzinfo) -> datetime | None:
        """The instant the period begins: local midnight of its first day in `tz`."""
        if self.first is None:
            return None
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=tz)

    def end(self, tz: tzinfo) -> datetime | None:
        """The instant the period is over: local midnight after its last day in `tz`."""
        if self.last is None:
            return None
        after = self.last + timedelta(days=1)
        return datetime(after.year, after.month, after.day, tzinfo=tz)

    def iso(self) -> str:
        """The ISO 8601 form used in the digest."""
        if self.precision is Precision.UNKNOWN or self.first is None or self.last is None:
            return "unknown"
        if self.precision is Precision.DAY:
            return self.first.isoformat()
        if self.precision is Precision.RANGE:
            return f"{self.first.isoformat()}/{self.last.isoformat()}"
        if self.precision is Precision.MONTH:
            return f"{self.first.year:04d}-{self.first.month:02d}"
        if self.precision is Precision.SEASON:
            return f"{self.first.year:04d}-{SEASON_NAMES[self.first.month]}"
        if self.precision is Precision.QUARTER:
            return f"{self.first.year:04d}-Q{(self.first.month - 1) // 3 + 1}"
        return f"{self.first.year:04d}"


def zone_name(tz: tzinfo) -> str:
    """The IANA name of a zone (or its description when it has none, e.g. a fixed offset)."""
    return str(getattr(tz, "key", tz))


@functools.cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone `name`, kept (zoneinfo's own cache holds only a few strongly). Unbounded:
    a name that is not a zone raises and is not kept, so the IANA database bounds it."""
    return ZoneInfo(name)


def _day(text: str) -> date:
    if not _DAY.match(text):
        raise ValueError(f"{text!r} is not an ISO date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date that exists ({exc})") from None


FORMS = (
    "YYYY-MM-DD, START/END, {start, end}, YYYY-MM, YYYY-Q1..Q4, YYYY-spring..winter, YYYY"
    " or unknown"
)


def parse_when(value: Any) -> When:
    """Parse the digest's date forms: 2021-10-18, {start, end} or START/END, 2021-10, 2022-Q3,
    2022-autumn, 2022, unknown."""
    if isinstance(value, When):
        return value
    if value is None or (isinstance(value, str) and value.strip().lower() == "unknown"):
        return When(Precision.UNKNOWN)
    if isinstance(value, bool):
        raise ValueError(f"a date must be {FORMS}")
    if isinstance(value, int):
        value = str(value)
    if isinstance(value, dict):
        return _mapping(value)
    if isinstance(value, str):
        found = _parse_text(value.strip())
        if found is not None:
            return found
    raise ValueError(f"{value!r} is not a date: use {FORMS}")


def _mapping(value: dict[Any, Any]) -> When:
    """{start, end} (a range), or {date} (any form), each with `inferred: true` allowed."""
    keys = set(value) - {"inferred"}
    inferred = value.get("inferred", False)
    if not isinstance(inferred, bool):
        raise ValueError("'inferred' is true or false")
    if keys == {"start", "end"}:
        found = _range(str(value["start"]), str(value["end"]))
    elif keys == {"date"} and not isinstance(value["date"], dict):
        found = parse_when(value["date"])
    else:
        raise ValueError(
            "a date mapping has the keys 'start' and 'end' (a range) or 'date', and 'inferred'"
        )
    return replace(found, inferred=inferred) if inferred else found


def _range(start: str, end: str) -> When:
    first, last = _day(start), _day(end)
    if last < first:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    return When(Precision.DAY if last == first else Precision.RANGE, first, last)


def _parse_text(text: str) -> When | None:
    if _DAY.match(text):
        day = _day(text)
        return When(Precision.DAY, day, day)
    if m := _INTERVAL.match(text):
        return _range(m.group(1), m.group(2))
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r} has no month {month}")
        return When(Precision.MONTH, date(year, month, 1), _month_end(year, month))
    if m := _QUARTER.match(text):
        year, first_month = int(m.group(1)), (int(m.group(2)) - 1) * 3 + 1
        return When(
            Precision.QUARTER, date(year, first_month, 1), _month_end(year, first_month + 2)
        )
    if m := _SEASON.match(text):
        year, start = int(m.group(1)), SEASON_MONTHS[m.group(2).lower()]
        end_year, end_month = (year + 1, 2) if start == 12 else (year, start + 2)
        return When(Precision.SEASON, date(year, start, 1), _month_end(end_year, end_month))
    if m := _YEAR.match(text):
        year = int(m.group(1))
        return When(Precision.YEAR, date(year, 1, 1), date(year, 12, 31))
    return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
