"""Events in time: their zone, their status relative to `now`, what lies ahead."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from enum import StrEnum

from bot.knowledge.dates import When, zone, zone_name
from bot.knowledge.digest import Digest
from bot.knowledge.model import Event, Meeting
from bot.knowledge.statuses import outcome

RECENT_PAST_EVENTS = 5
# What one Slack message comfortably holds; the reply says how many more there are.
UPCOMING_SHOWN = 20


class Phase(StrEnum):
    """Where an event stands in time relative to now (not what became of it: that is its
    `status` in the sources)."""

    UPCOMING = "upcoming"  # starts after now, its day known
    ONGOING = "ongoing"  # started, not over
    EXPECTED = "expected"  # the month or year it is dated to is under way; day not announced
    UNDATED = "undated"  # no date announced at all
    PAST = "past"


@dataclass(frozen=True)
class Timing:
    """An event's status relative to now, in whole calendar days where the day is known."""

    phase: Phase
    days: int | None = None  # until it starts (upcoming), until it ends (ongoing), since (past)

    @property
    def is_ahead(self) -> bool:
        """True when the event has not (certainly) finished yet."""
        return self.phase is not Phase.PAST


@dataclass(frozen=True)
class Dated:
    """An event with the timezone it is dated in and its timing relative to now, and what it
    became (a later event superseding it) or what it replaces (the placeholder it supersedes).

    Queried on a digest as of now: its date, place, status and supersession are what the
    documents published by now report."""

    event: Event
    meeting: Meeting
    timezone: str
    timing: Timing
    became: Event | None = None
    replaces: Event | None = None
    became_timing: Timing | None = None
    reported: bool = False  # the meeting's own event, reported by its meeting's documents
    became_reported: bool = False  # the same, of the event it became

    @property
    def status(self) -> str | None:
        """The event's status in its source's word."""
        return self.event.status

    @property
    def outcome(self) -> str:
        """What the sources say became of it, for the wording of a passed date: `held`,
        `cancelled`, or `unreported` (no document says it took place)."""
        found = outcome(self.event.status)
        return "held" if found == "unreported" and self.reported else found

    @property
    def became_outcome(self) -> str:
        """What the sources say became of the event this one became (see `outcome`)."""
        if self.became is None:
            return "unreported"
        found = outcome(self.became.status)
        return "held" if found == "unreported" and self.became_reported else found


def event_zone(event: Event, default: tzinfo) -> tzinfo:
    """The timezone an event's dates are local to."""
    return zone(event.timezone) if event.timezone else default


def timing(when: When, tz: tzinfo, now: datetime) -> Timing:
    """Where a dated thing stands relative to `now`, judged in its own timezone."""
    start, end = when.start(tz), when.end(tz)
    if start is None or end is None or when.first is None or when.last is None:
        return Timing(Phase.UNDATED)
    today = now.astimezone(tz).date()
    if now >= end:
        return Timing(Phase.PAST, (today - when.last).days)
    if now < start:
        return Timing(Phase.UPCOMING, (when.first - today).days)
    if when.has_day:
        return Timing(Phase.ONGOING, (when.last - today).days)
    return Timing(Phase.EXPECTED, (when.last - today).days)


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
    reported: bool = False  # the meeting's own event, reported by documents of its days on
    became_reported: bool = False


def event_slots(digest: Digest, default_tz: tzinfo) -> list[_Slot]:
    """Every event (each id once) with its zone and end instant, soonest first.

    It depends only on the digest and the zone, so it is worked out once per digest (a digest
    is immutable; a reload brings a new one) instead of on every command."""
    key = ("calendar", zone_name(default_tz))
    return digest.memoized(key, lambda: _slots(digest, digest.meetings, default_tz))


def _current(slots: list[_Slot]) -> list[_Slot]:
    """The events as the digest's documents know them: a placeholder is shown as what it
    became, never beside it (on a digest as of now, only once the later event is known)."""
    return [slot for slot in slots if slot.became is None]


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
            became = digest.superseded_by.get(event.id)
            replaces = digest.events_by_id.get(event.supersedes or "")
            slots.append(
                _Slot(
                    event,
                    meeting,
                    event.timezone or default_name,
                    tz,
                    event.date.end(tz),
                    became,
                    replaces,
                    _reported_as_held(digest, meeting, event),
                    became is not None
                    and _reported_as_held(digest, digest.event_meetings[became.id], became),
                )
            )
    slots.sort(key=lambda slot: _sort_key(slot.event))
    return slots


def _reported_as_held(digest: Digest, meeting: Meeting, event: Event) -> bool:
    """Whether an event is its meeting's own (a meeting on the meeting's days) and a document
    published from the meeting's first day on reports the meeting: what it decided and who was
    there. Those documents say it took place, whatever word they use ("met", "chaired")."""
    first = meeting.date.first
    if event.kind != "meeting" or event.date != meeting.date or first is None:
        return False
    begun = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return any(digest.document(c.doc).published_from >= begun for c in meeting.sources)


def _dated(slot: _Slot, now: datetime) -> Dated:
    when = timing(slot.event.date, slot.tz, now)
    became, became_timing = slot.became, None
    if became is not None:
        became_timing = timing(became.date, event_zone(became, slot.tz), now)
    return Dated(
        slot.event,
        slot.meeting,
        slot.timezone,
        when,
        became,
        slot.replaces,
        became_timing,
        slot.reported,
        slot.became_reported,
    )


def timed_events(
    digest: Digest, now: datetime, default_tz: tzinfo, meetings: Iterable[Meeting] | None = None
) -> list[Dated]:
    """Every current event in the digest (superseded placeholders left out), or every event of
    the given meetings (each saying what it became), with its timing, soonest first."""
    if meetings is None:
        slots = _current(event_slots(digest, default_tz))
    else:
        slots = _slots(digest, meetings, default_tz)
    return [_dated(slot, now) for slot in slots]


def dated_event(digest: Digest, event_id: str, now: datetime, default_tz: tzinfo) -> Dated | None:
    """One event by id, with its timing and what it became, as `timed_events` gives it (None
    when the digest has no such event)."""
    key = ("calendar_by_id", zone_name(default_tz))
    by_id = digest.memoized(
        key, lambda: {slot.event.id: slot for slot in event_slots(digest, default_tz)}
    )
    slot = by_id.get(event_id)
    return None if slot is None else _dated(slot, now)


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
    slots = _current(event_slots(digest, default_tz))
    ahead = [slot for slot in slots if slot.end is None or now < slot.end]
    if ahead:
        return Upcoming(
            [_dated(slot, now) for slot in ahead[:limit]], [], max(0, len(ahead) - limit)
        )
    recent = slots[::-1][:RECENT_PAST_EVENTS]
    return Upcoming([], [_dated(slot, now) for slot in recent])


def day_zones(digest: Digest, default_tz: tzinfo) -> tuple[str, ...]:
    """Every zone whose local day can change an answer: the display zone, UTC (the calendar's
    own day), and each event's and meeting's zone; worked out once per digest and zone."""

    def build() -> tuple[str, ...]:
        names = {zone_name(default_tz), "UTC"}
        names.update(e.timezone for e in digest.events_by_id.values() if e.timezone)
        names.update(m.timezone for m in digest.meetings if m.timezone)
        return tuple(sorted(names))

    return digest.memoized(("day_zones", zone_name(default_tz)), build)


def local_days(now: datetime, zones: tuple[str, ...]) -> tuple[date, ...]:
    """The date `now` falls on in each zone: answers stay the same while these do."""
    return tuple(now.astimezone(zone(name)).date() for name in zones)
