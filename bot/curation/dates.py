"""Date mentions of a sentence, resolved against the document's publication date with the
precision the words give: "in December this year" in a text of 24 August 2022 is `2022-12`.

dateparser finds and resolves them; what it also takes for dates ("the 18th", "20 years", "now")
is dropped unless the words name a month, a weekday, a year or a day relative to publication."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_WORDS = re.compile(
    rf"\b(?:{_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|today|yesterday|tomorrow|(?:19|20)\d\d"
    r"|(?:this|next|last|coming|past)\s+(?:year|month|week))\b",
    re.I,
)
_RANGE = re.compile(
    rf"\b(\d{{1,2}})\s*[-–—]\s*(\d{{1,2}})\s+((?:{_MONTHS})\.?)\s+((?:19|20)\d\d)\b", re.I
)
_JOIN = re.compile(r"^\s*,?\s*(?:of\s+)?$", re.I)
# dateparser's search can run two mentions together ("on 5 October, and the 2023"): its hits
# are cut at commas and "and", and the pieces joined again where a year follows a day.
_CUT = re.compile(r"\s*(?:[,;]|\band\b)\s*", re.I)
_EDGE = re.compile(r"^(?:(?:in|on|at|of|the|and|by)\s+)+|(?:\s+(?:in|on|at|of|the|and|by))+$", re.I)
_SHOWN = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "time": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}


@dataclass(frozen=True)
class DateMention:
    """Words of a sentence that give a date, and that date at its precision (ISO 8601)."""

    said: str
    when: str  # `2022-12-05`, `2022-12`, `2022`, or a day range `2021-10-18/2021-10-23`
    precision: str  # day, month, year or range


@lru_cache(maxsize=64)  # one parser a publication date: a draft's sources share a few
def _parser(base: date) -> DateDataParser:
    from dateparser.date import DateDataParser

    settings = {
        "RELATIVE_BASE": datetime(base.year, base.month, base.day),
        "RETURN_TIME_AS_PERIOD": True,
        "PREFER_DAY_OF_MONTH": "first",
    }
    return DateDataParser(languages=["en"], settings=settings)


def _resolve(words: str, base: date) -> tuple[datetime, str] | None:
    found = _parser(base).get_date_data(words)
    if found.date_obj is None:
        return None
    return found.date_obj, found.period or "day"


def might_date(sentence: str) -> bool:
    """Whether a sentence has words that can give a date (a cheap test before dateparser)."""
    return bool(_DATE_WORDS.search(sentence))


def date_mentions(sentence: str, published: date) -> list[DateMention]:
    """The date mentions of a sentence, resolved against the publication date."""
    if not might_date(sentence):
        return []
    from dateparser.search import search_dates

    settings = {"RELATIVE_BASE": datetime(published.year, published.month, published.day)}
    # dateparser's search misses mentions in a long sentence of several: it searches each
    # clause (cut at commas, semicolons and "and") that has date words.
    hits = [
        hit
        for clause in _CUT.split(sentence)
        if _DATE_WORDS.search(clause)
        for hit, _ in search_dates(clause, languages=["en"], settings=settings) or []
    ]
    resolved: list[tuple[str, int, int, datetime, str]] = []
    cursor = 0
    pieces = [p for hit in hits for p in _CUT.split(hit)]
    for piece in pieces:
        said = _EDGE.sub("", piece.strip())
        start = sentence.find(said, cursor)
        if not said or start < 0 or not _DATE_WORDS.search(said):
            continue
        cursor = start + len(said)
        parsed = _resolve(said, published)
        if parsed is not None:
            resolved.append((said, start, cursor, *parsed))
    return _mentions(sentence, _joined(sentence, resolved))


def _joined(
    sentence: str, found: list[tuple[str, int, int, datetime, str]]
) -> list[tuple[str, int, int, datetime, str]]:
    """A month or day followed by the year it is in ("in December" + "this year") as one."""
    out: list[tuple[str, int, int, datetime, str]] = []
    for item in found:
        if out and item[4] == "year" and out[-1][4] in ("day", "month"):
            _, start, end, when, period = out[-1]
            if _JOIN.match(sentence[end : item[1]]):
                out[-1] = (
                    sentence[start : item[2]],
                    start,
                    item[2],
                    when.replace(year=item[3].year),
                    period,
                )
                continue
        out.append(item)
    return out


def _mentions(sentence: str, found: list[tuple[str, int, int, datetime, str]]) -> list[DateMention]:
    ranges = list(_RANGE.finditer(sentence))
    mentions: list[DateMention] = []
    for said, start, end, when, period in found:
        span = next((r for r in ranges if r.start() <= end and start <= r.end()), None)
        if span is not None and period == "day":
            first = when.replace(day=int(span.group(1)))
            last = when.replace(day=int(span.group(2)))
            shown = f"{first:%Y-%m-%d}/{last:%Y-%m-%d}"
            mentions.append(DateMention(span.group(0), shown, "range"))
            continue
        precision = period if period in ("month", "year") else "day"
        mentions.append(
            DateMention(said.strip(), when.strftime(_SHOWN.get(period, "%Y-%m-%d")), precision)
        )
    return mentions
