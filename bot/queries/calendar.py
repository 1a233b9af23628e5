"""Events in time: their zone, their status relative to `now`, what lies ahead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum

from bot.knowledge.dates import When, zone, zone_name
from bot.knowledge.digest import Digest
from bot.knowledge.schema import Event, Meeting

RECENT_PAST_EVENTS = 5
# What one Slack message comfortably holds; the reply says how many more there are.
UPCOMING_SHOWN = 20


class Status(StrEnum):
    """Where an event stands relative to now."""

    UPCOMING = "upcoming"  # starts after now, its day known
    ONGOING = "ongoing"  # started, not over
    EXPECTED = "expected"  # the month or year it is dated to is under way; day not announced
    UNDATED = "undated"  # no date announced at all
    PAST = "past"


@dataclass(frozen=True)
class Timing:
    """An event's status relative to now, in whole calendar days where the day is known."""

    status: Status
    days: int | None = None  # until it starts (upcoming), until it ends (ongoing), since (past)

    @property
    def is_ahead(self) -> bool:
        """True when the event has not (certainly) finished yet."""
        return self.status is not Status.PAST


@dataclass(frozen=True)
class Dated:
    """An event with the timezone it is dated in and its timing relative to now, and what it
    became (a later event superseding it) or what it replaces (the placeholder it supersedes)."""

    event: Event
    meeting: Meeting
    timezone: str
    timing: Timing
    became: Event | None = None
    replaces: Event | None = None


def event_zone(event: Event, default: tzinfo) -> tzinfo:
    """The timezone an event's dates are local to."""
    return zone(event.timezone) if event.timezone else default


def timing(when: When, tz: tzinfo, now: datetime) -> Timing:
    """Where a dated thing stands relative to `now`, judged in its own timezone."""
    start, end = when.start(tz), when.end(tz)
    if start is None or end is None or when.first is None or when.last is None:
        return Timing(Status.UNDATED)
    today = now.astimezone(tz).date()
    if now >= end:
        return Timing(Status.PAST, (today - when.last).days)
    if now < start:
        return Timing(Status.UPCOMING, (when.first - today).days)
    if when.has_day:
        return Timing(Status.ONGOING, (when.last - today).days)
    return Timing(Status.EXPECTED, (when.last - today).days)


def _sort_key(event: Event) -> tuple[int, date, date]:
    when = event.date
    if when.first is None or when.last is None:
        return (1, date.max, date.max)
    return (0, when.first, when.last)


@dataclass(frozen=True)
class _Slot:
    """An event placed in time once per digest and display timezone."""

    event: Event
    meeting: Meeting
    timezone: str
    tz: tzinfo
    end: datetime | None  # None when undated: never over
    became: Event | None = None
    replaces: Event | None = None


def event_slots(digest: Digest, default_tz: tzinfo) -> list[_Slot]:
    """Every event (each id once) with its zone and end instant, soonest first.

    It depends only on the digest and the zone, so it is worked out once per digest (a digest
    is immutable; a reload brings a new one) instead of on every command."""
    key = ("calendar", zone_name(default_tz))
    cached: list[_Slot] | None = digest.memo.get(key)
    if cached is None:
        # A superseded placeholder is shown as what it became, never beside it.
        slots = _slots(digest, digest.meetings, default_tz)
        cached = [slot for slot in slots if slot.became is None]
        digest.memo[key] = cached
    return cached


def _slots(digest: Digest, meetings: Iterable[Meeting], default_tz: tzinfo) -> list[_Slot]:
    seen: set[str] = set()
    slots = []
    default_name = zone_name(default_tz)
    for meeting in meetings:
        for event in meeting.events:
            if event.id in seen:
                continue
            seen.add(event.id)
            tz = event_zone(event, default_tz)
            became = digest.current_event(event)
            replaces = digest.events_by_id.get(event.supersedes or "")
            slots.append(
                _Slot(
                    event,
                    meeting,
                    event.timezone or default_name,
                    tz,
                    event.date.end(tz),
                    became if became.id != event.id else None,
                    replaces,
                )
            )
    slots.sort(key=lambda slot: _sort_key(slot.event))
    return slots


def _dated(slot: _Slot, now: datetime) -> Dated:
    when = timing(slot.event.date, slot.tz, now)
    return Dated(slot.event, slot.meeting, slot.timezone, when, slot.became, slot.replaces)


def timed_events(
    digest: Digest, now: datetime, default_tz: tzinfo, meetings: Iterable[Meeting] | None = None
) -> list[Dated]:
    """Every current event in the digest (superseded placeholders left out), or every event of
    the given meetings (each saying what it became), with its timing, soonest first."""
    if meetings is None:
        slots = event_slots(digest, default_tz)
    else:
        slots = _slots(digest, meetings, default_tz)
    return [_dated(slot, now) for slot in slots]


@dataclass(frozen=True)
class Upcoming:
    """Events still ahead (the soonest `UPCOMING_SHOWN`, and how many more); when there are
    none, the most recent past events instead."""

    ahead: list[Dated]
    recent: list[Dated]
    more: int = 0


def upcoming(
    digest: Digest, now: datetime, default_tz: tzinfo, limit: int = UPCOMING_SHOWN
) -> Upcoming:
    """Events after now, soonest first (undated last), at most `limit` of them with the count
    of the rest; else the most recent past events."""
    slots = event_slots(digest, default_tz)
    ahead = [slot for slot in slots if slot.end is None or now < slot.end]
    if ahead:
        return Upcoming(
            [_dated(slot, now) for slot in ahead[:limit]], [], max(0, len(ahead) - limit)
        )
    recent = slots[::-1][:RECENT_PAST_EVENTS]
    return Upcoming([], [_dated(slot, now) for slot in recent])
