"""Jinja filters that word dates, quotes, counts and citations (all wording stays readable)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.knowledge.dates import SEASON_NAMES, Precision, When
from bot.knowledge.statuses import outcome
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


_ORDINALS = ["first", "second", "third", "fourth"]


def day_label(day: date) -> str:
    """28 July 2021."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def when_label(when: When) -> str:
    """A date at its precision: 28 July 2021, 18–23 October 2021, October 2021, 2022."""
    label = _when_label(when)
    return f"{label} (inferred from context)" if when.inferred else label


def _when_label(when: When) -> str:
    first, last = when.first, when.last
    if when.precision is Precision.UNKNOWN or first is None or last is None:
        return "date not given in the sources"
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
    if when.precision is Precision.SEASON:
        season = SEASON_NAMES[first.month]
        if first.year != last.year:
            return f"{season} {first.year}\u2013{str(last.year)[-2:]}"
        return f"{season} {first.year}"
    if when.precision is Precision.QUARTER:
        return f"{_ORDINALS[(first.month - 1) // 3]} quarter of {first.year}"
    return str(first.year)


def event_outcome(event: Any) -> str:
    """`held`, `cancelled` or `unreported`: what an event's status says became of it."""
    return outcome(event.status)


def shorten(text: str, limit: int = 220) -> str:
    """Cut a quote at a word boundary, marking the cut with an ellipsis."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + " \u2026"


def source_tag(citations: Iterable[Any], docs: Mapping[str, Any]) -> Mrkdwn:
    """`_(SCO Secretariat, 28 Jul 2021; China Military Online, 29 Jul 2021)_`: each cited
    document's label (unique in a digest), once."""
    labels = (
        escape_mrkdwn(docs[doc].citation_label + (" (partial copy)" if docs[doc].partial else ""))
        for doc in dict.fromkeys(c.doc for c in citations)
    )
    return Mrkdwn("_(" + "; ".join(labels) + ")_")


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 11th, 18th, 22nd."""
    suffixes = {1: "st", 2: "nd", 3: "rd"}
    suffix = "th" if 10 <= number % 100 <= 20 else suffixes.get(number % 10, "th")
    return f"{number}{suffix}"


def plural(count: int, singular: str, many: str | None = None) -> str:
    """`1 day`, `12 days`."""
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


# Restamping a cached answer needs its old minute's marks and the new minute's: both are asked
# for again and again within a minute, by every answer restamped in it.
@functools.lru_cache(maxsize=256)
def minute_marks(moment: datetime, zones: tuple[str, ...]) -> tuple[str, ...]:
    """Every form in which replies show the instant `moment` (to the minute): what changes in an
    answer from one minute to the next, and nothing else does within a day."""
    return (f"<!date^{int(moment.timestamp())}^", *(moment_in(moment, name) for name in zones))


def moment_in(moment: datetime, zone: str) -> str:
    """28 July 2021 09:00 CEST: an instant shown in the given IANA timezone."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{day_label(local)} {local.hour:02d}:{local.minute:02d} {local.tzname()}"


def slack_time(moment: datetime, zone: str) -> Mrkdwn:
    """An instant as Slack's date token: each reader sees it in their own timezone; the
    fallback (older clients, the terminal) names the given zone: 28 July 2021 09:00 CEST."""
    stamp = int(moment.timestamp())
    fallback = escape_mrkdwn(moment_in(moment, zone)).replace("|", " ")
    return Mrkdwn(f"<!date^{stamp}^{{date_short}} {{time}}|{fallback}>")


def pairs(items: Iterable[Any], value: str, label: str) -> list[list[str]]:
    """Menu options [[value, label], ...] from objects' attributes (a select's `options`)."""
    return [[str(getattr(i, value)), str(getattr(i, label))] for i in items]
