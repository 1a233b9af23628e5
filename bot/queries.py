"""Pure queries over the digest: they take `now` and never read the clock."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import TypeVar

from bot.dates import When, zone, zone_name
from bot.knowledge import (
    Actor,
    Citation,
    Digest,
    Document,
    Event,
    Meeting,
    Outcome,
    Talk,
    alias_key,
)

T = TypeVar("T")
RECENT_PAST_EVENTS = 5
# What one Slack message comfortably holds; the reply says how many more there are.
UPCOMING_SHOWN = 20
POSITIONS_SHOWN = 25


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
    """An event with the timezone it is dated in and its timing relative to now."""

    event: Event
    meeting: Meeting
    timezone: str
    timing: Timing


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


def _calendar(digest: Digest, default_tz: tzinfo) -> list[_Slot]:
    """Every event (each id once) with its zone and end instant, soonest first.

    It depends only on the digest and the zone, so it is worked out once per digest (a digest
    is immutable; a reload brings a new one) instead of on every command."""
    key = ("calendar", zone_name(default_tz))
    cached: list[_Slot] | None = digest.memo.get(key)
    if cached is None:
        cached = _slots(digest.meetings, default_tz)
        digest.memo[key] = cached
    return cached


def prepare(digest: Digest, default_tz: tzinfo) -> None:
    """Work out the digest's derived views now (a server does so at start and on reload)."""
    _calendar(digest, default_tz)
    _statements(digest)


def _slots(meetings: Iterable[Meeting], default_tz: tzinfo) -> list[_Slot]:
    seen: set[str] = set()
    slots = []
    default_name = zone_name(default_tz)
    for meeting in meetings:
        for event in meeting.events:
            if event.id in seen:
                continue
            seen.add(event.id)
            tz = event_zone(event, default_tz)
            slots.append(
                _Slot(event, meeting, event.timezone or default_name, tz, event.date.end(tz))
            )
    slots.sort(key=lambda slot: _sort_key(slot.event))
    return slots


def _dated(slot: _Slot, now: datetime) -> Dated:
    return Dated(slot.event, slot.meeting, slot.timezone, timing(slot.event.date, slot.tz, now))


def dated_events(
    digest: Digest, now: datetime, default_tz: tzinfo, meetings: Iterable[Meeting] | None = None
) -> list[Dated]:
    """Every event in the digest (or of the given meetings) with its timing, each id once,
    soonest first."""
    slots = _calendar(digest, default_tz) if meetings is None else _slots(meetings, default_tz)
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
    slots = _calendar(digest, default_tz)
    ahead = [slot for slot in slots if slot.end is None or now < slot.end]
    if ahead:
        return Upcoming(
            [_dated(slot, now) for slot in ahead[:limit]], [], max(0, len(ahead) - limit)
        )
    recent = slots[::-1][:RECENT_PAST_EVENTS]
    return Upcoming([], [_dated(slot, now) for slot in recent])


class NotFound(LookupError):
    """A name the user gave matches nothing; `suggestions` are the closest known names."""

    def __init__(self, wanted: str, suggestions: list[str], known: list[str]) -> None:
        self.wanted = wanted
        self.suggestions = suggestions
        self.known = known
        super().__init__(wanted)


def _latest_first(meeting: Meeting) -> tuple[int, date]:
    first = meeting.date.first
    return (0, first) if first is not None else (-1, date.min)


def find_meeting(digest: Digest, wanted: str | None) -> Meeting:
    """The meeting with this id (or a unique id prefix), or the most recent one."""
    if not wanted:
        return max(digest.meetings, key=_latest_first)
    key = wanted.strip().casefold()
    ids = [m.id for m in digest.meetings]
    matches = [m for m in digest.meetings if m.id == key] or [
        m for m in digest.meetings if m.id.startswith(key)
    ]
    if len(matches) == 1:
        return matches[0]
    return _raise_not_found(wanted, ids, ids)


def _raise_not_found(wanted: str, candidates: list[str], known: list[str]) -> Meeting:
    close = difflib.get_close_matches(wanted.strip().casefold(), candidates, n=3, cutoff=0.5)
    raise NotFound(wanted, close, known)


@dataclass(frozen=True)
class ThemeGroup:
    """Outcomes of a meeting that share a theme."""

    theme: str
    outcomes: list[Outcome]


@dataclass(frozen=True)
class Briefing:
    """What `brief` shows: what, when, where, who, outcomes, what lies ahead, sources."""

    meeting: Meeting
    chair: Actor
    participants: list[tuple[Actor, str | None]]
    themes: list[ThemeGroup]
    ahead: list[Dated]
    talks: list[tuple[Talk, Actor, list[Actor]]]
    documents: list[Document]
    other_meetings: list[Meeting]


def _grouped(items: Iterable[T], key_of: Callable[[T], str]) -> dict[str, list[T]]:
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(key_of(item), []).append(item)
    return groups


def cited_documents(digest: Digest, citations: list[Citation]) -> list[Document]:
    """The documents these citations come from, each once, in the index's order."""
    wanted = {c.doc for c in citations}
    return [d for d in digest.documents if d.id in wanted]


def _meeting_citations(meeting: Meeting) -> list[Citation]:
    items: list[tuple[Citation, ...]] = [meeting.sources]
    items += [p.sources for p in meeting.participants]
    items += [o.sources for o in meeting.outcomes]
    items += [p.sources for p in meeting.positions]
    items += [e.sources for e in meeting.events]
    items += [t.sources for t in meeting.talks]
    return [c for group in items for c in group]


def brief(digest: Digest, meeting: Meeting, now: datetime, default_tz: tzinfo) -> Briefing:
    """The briefing on one meeting, with the events it announced judged against now."""
    themes = _grouped(meeting.outcomes, lambda o: o.theme)
    ahead = [
        d for d in dated_events(digest, now, default_tz, [meeting]) if d.event.date != meeting.date
    ]
    return Briefing(
        meeting=meeting,
        chair=digest.actor(meeting.chair),
        participants=[(digest.actor(p.actor), p.role) for p in meeting.participants],
        themes=[ThemeGroup(theme, items) for theme, items in themes.items()],
        ahead=ahead,
        talks=[
            (t, digest.actor(t.actor), [digest.actor(c) for c in t.counterparts])
            for t in meeting.talks
        ],
        documents=cited_documents(digest, _meeting_citations(meeting)),
        other_meetings=[m for m in digest.meetings if m.id != meeting.id],
    )


def find_actor(digest: Digest, wanted: str) -> Actor:
    """The actor a name or alias means (case-insensitive), or NotFound with the closest names."""
    key = alias_key(wanted)
    actor_id = digest.aliases.get(key)
    if actor_id is not None:
        return digest.actor(actor_id)
    names = list(digest.aliases)
    close = difflib.get_close_matches(key, names, n=8, cutoff=0.6)
    suggestions: list[str] = []
    for name in close:
        actor_name = digest.actor(digest.aliases[name]).id
        if actor_name not in suggestions:
            suggestions.append(actor_name)
    raise NotFound(wanted, suggestions[:3], [a.id for a in digest.actors])


@dataclass(frozen=True)
class Stated:
    """One position as `positions` shows it: what, who said it, where and when."""

    summary: str
    speaker: str | None
    meeting: Meeting
    citations: tuple[Citation, ...]
    joint: bool


@dataclass(frozen=True)
class TopicGroup:
    """An actor's positions on one topic."""

    topic: str
    items: list[Stated]


@dataclass(frozen=True)
class ActorPositions:
    """What `positions <actor> [meeting]` shows: the most recent meetings' statements that fit
    in one reply, and which earlier meetings hold the rest."""

    actor: Actor
    topics: list[TopicGroup]
    documents: list[Document]
    appearances: list[tuple[Meeting, str | None]]
    talks: list[tuple[Talk, Actor, list[Actor]]]
    meeting: Meeting | None = None  # the one meeting asked for, if any
    earlier: list[tuple[Meeting, int]] = field(default_factory=list)  # not shown: (meeting, count)
    shown: int = 0
    total: int = 0


def _statements(digest: Digest) -> Mapping[str, list[tuple[str, Stated]]]:
    """Every actor's statements (topic, what), most recent meeting first; once per digest."""
    cached: Mapping[str, list[tuple[str, Stated]]] | None = digest.memo.get("statements")
    if cached is not None:
        return cached
    found: dict[str, list[tuple[str, Stated]]] = {}
    for meeting in sorted(digest.meetings, key=_latest_first, reverse=True):
        for o in meeting.outcomes:
            found.setdefault(meeting.body, []).append(
                (o.theme, Stated(o.summary, None, meeting, o.sources, True))
            )
        for p in meeting.positions:
            found.setdefault(p.actor, []).append(
                (p.topic, Stated(p.summary, p.speaker, meeting, p.sources, False))
            )
    digest.memo["statements"] = found
    return found


def positions(
    digest: Digest, actor: Actor, meeting: Meeting | None = None, limit: int = POSITIONS_SHOWN
) -> ActorPositions:
    """An actor's stated positions grouped by topic, most recent meeting first: whole meetings
    while they fit in `limit` statements (always the latest), the rest named as earlier."""
    stated = _statements(digest).get(actor.id, [])
    if meeting is not None:
        stated = [pair for pair in stated if pair[1].meeting.id == meeting.id]
    shown: list[tuple[str, Stated]] = []
    earlier: list[tuple[Meeting, int]] = []
    for pairs in _grouped(stated, lambda pair: pair[1].meeting.id).values():
        if shown and (earlier or len(shown) + len(pairs) > limit):
            earlier.append((pairs[0][1].meeting, len(pairs)))
        else:
            shown += pairs
    groups = _grouped(shown, lambda pair: pair[0])
    citations = [c for _, s in shown for c in s.citations]
    appearances = [
        (m, p.role)
        for m in digest.meetings
        if meeting is None or m.id == meeting.id
        for p in m.participants
        if p.actor == actor.id
    ]
    talks = [
        (t, digest.actor(t.actor), [digest.actor(c) for c in t.counterparts])
        for m in digest.meetings
        if meeting is None or m.id == meeting.id
        for t in m.talks
        if actor.id == t.actor or actor.id in t.counterparts
    ]
    return ActorPositions(
        actor=actor,
        topics=[TopicGroup(topic, [s for _, s in pairs]) for topic, pairs in groups.items()],
        documents=cited_documents(digest, citations),
        appearances=appearances,
        talks=talks,
        meeting=meeting,
        earlier=earlier,
        shown=len(shown),
        total=len(stated),
    )


@dataclass(frozen=True)
class ActorSummary:
    """An actor and how many positions the digest records for it."""

    actor: Actor
    count: int


def actors_known(digest: Digest) -> list[ActorSummary]:
    """Every actor with the number of positions recorded for it, most first."""
    statements = _statements(digest)
    rows = [ActorSummary(a, len(statements.get(a.id, []))) for a in digest.actors]
    return sorted(rows, key=lambda r: -r.count)
