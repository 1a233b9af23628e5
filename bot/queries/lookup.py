"""Finding what a user names: a meeting by id or prefix, an actor by any alias."""

from __future__ import annotations

import difflib
from datetime import UTC, date, datetime

from bot.knowledge.dates import zone
from bot.knowledge.digest import Digest
from bot.knowledge.model import Actor, Meeting
from bot.knowledge.text import alias_key


class NotFound(LookupError):
    """A name the user gave matches nothing; `suggestions` are the closest known names."""

    def __init__(self, wanted: str, suggestions: list[str], known: list[str]) -> None:
        self.wanted = wanted
        self.suggestions = suggestions
        self.known = known
        super().__init__(wanted)


class NoMeetingYet(LookupError):
    """The digest knows no meeting as of now: none of its documents had been published."""


def latest_first(meeting: Meeting) -> tuple[int, date]:
    """Sort key: meetings by first day, undated ones first (so `max` is the latest dated)."""
    first = meeting.date.first
    return (0, first) if first is not None else (-1, date.min)


def latest_held(digest: Digest, now: datetime) -> Meeting:
    """The latest meeting that has begun as of `now` (else the soonest one to come); raise
    NoMeetingYet when the digest (as of now) knows none."""
    if not digest.meetings:
        raise NoMeetingYet()
    begun = [m for m in digest.meetings if has_begun(m, now)]
    if begun:
        return max(begun, key=latest_first)
    return min(digest.meetings, key=lambda m: m.date.first or date.max)


def has_begun(meeting: Meeting, now: datetime) -> bool:
    """True when the meeting's first day has begun (in its own timezone) by `now`."""
    start = meeting.date.start(zone(meeting.timezone) if meeting.timezone else UTC)
    return start is not None and start <= now


def find_meeting(digest: Digest, wanted: str | None, now: datetime) -> Meeting:
    """The meeting with this id (or a unique id prefix), or the latest one held as of `now`."""
    if not wanted:
        return latest_held(digest, now)
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
