"""`brief`: one meeting's summary, outcomes by theme, events it referred to, sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.knowledge.digest import Digest
from bot.knowledge.schema import Actor, Citation, Document, Meeting, Outcome, Talk
from bot.queries.calendar import Dated, timed_events
from bot.queries.collect import cited_documents, grouped


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
    themes = grouped(meeting.outcomes, lambda o: o.theme)
    ahead = [
        d for d in timed_events(digest, now, default_tz, [meeting]) if d.event.date != meeting.date
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
