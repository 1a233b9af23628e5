"""Events as their documents report them over time: later reports (`updates:`) applied in the
order the curator gives them, each changing only the fields it gives."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.knowledge.model import Event, Meeting

_FIELDS = ("date", "place", "timezone", "status", "summary")


def as_reported(event: Event) -> Event:
    """The event with every update of it applied; its sources are all the reports'. The
    curator's entry (before updates) stays at hand as `original`, so applying twice is safe."""
    original = event.original or event
    if not original.updates:
        return original
    current = original
    for update in original.updates:
        changes: dict[str, Any] = {
            name: value for name in _FIELDS if (value := getattr(update, name)) is not None
        }
        if update.date is not None:
            changes["inferred"] = update.inferred  # the new date's own
        current = replace(current, **changes, sources=current.sources + update.sources)
    object.__setattr__(current, "original", original)
    return current


def with_updates_applied(meeting: Meeting) -> Meeting:
    """The meeting with each of its events as reported, updates included."""
    if not any(e.updates for e in meeting.events):
        return meeting
    return replace(meeting, events=tuple(as_reported(e) for e in meeting.events))
