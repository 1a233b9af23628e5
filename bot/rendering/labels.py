"""Jinja filters that word dates, quotes, counts and citations (all wording stays readable)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.knowledge.dates import Precision, When
from bot.rendering.mrkdwn import Mrkdwn, escape_mrkdwn

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def day_label(day: date) -> str:
    """28 July 2021."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def when_label(when: When) -> str:
    """A date at its precision: 28 July 2021, 18–23 October 2021, October 2021, 2022."""
    first, last = when.first, when.last
    if when.precision is Precision.UNKNOWN or first is None or last is None:
        return "date not yet announced"
    if when.precision is Precision.DAY:
        return day_label(first)
    if when.precision is Precision.RANGE:
        if (first.year, first.month) == (last.year, last.month):
            return f"{first.day}\u2013{last.day} {_MONTHS[last.month - 1]} {last.year}"
        if first.year == last.year:
            return (
                f"{first.day} {_MONTHS[first.month - 1]} \u2013 "
                f"{last.day} {_MONTHS[last.month - 1]} {last.year}"
            )
        return f"{day_label(first)} \u2013 {day_label(last)}"
    if when.precision is Precision.MONTH:
        return f"{_MONTHS[first.month - 1]} {first.year}"
    return str(first.year)


def shorten(text: str, limit: int = 220) -> str:
    """Cut a quote at a word boundary, marking the cut with an ellipsis."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + " \u2026"


def source_tag(citations: Iterable[Any], docs: Mapping[str, Any]) -> Mrkdwn:
    """`_(SCO Secretariat; China Military Online)_`: each cited document's short name, once."""
    shorts = (escape_mrkdwn(docs[doc].short) for doc in dict.fromkeys(c.doc for c in citations))
    return Mrkdwn("_(" + "; ".join(shorts) + ")_")


def plural(count: int, singular: str, many: str | None = None) -> str:
    """`1 day`, `12 days`."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def moment_in(moment: datetime, zone: str) -> str:
    """28 July 2021 09:00 CEST: an instant shown in the given IANA timezone."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{day_label(local.date())} {local:%H:%M} {local.tzname()}"
