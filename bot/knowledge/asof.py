"""The digest as of a time: what the documents published by then say, and nothing else.

A document not yet published does not exist; an item citing only such documents does not
exist; an item citing several shows only the published ones; an event's date, place and status
come only from published reports of it (its updates); a meeting is unknown before its own
first document; a `supersedes:` link applies only once the superseding event is known (it is
simply absent before). Used through `Digest.as_of(now)`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TypeVar

from bot.knowledge.model import Citation, Document, Event, Meeting, Outcome, Position, Talk

T = TypeVar("T", Outcome, Position, Talk)


def restrict(
    documents: tuple[Document, ...],
    meetings: tuple[Meeting, ...],
    texts: Mapping[str, str],
    visible: frozenset[str],
) -> tuple[tuple[Document, ...], tuple[Meeting, ...], dict[str, str]]:
    """The documents in `visible`, the meetings as they tell them, and their texts."""
    return (
        tuple(d for d in documents if d.id in visible),
        tuple(m for m in (_meeting(m, visible) for m in meetings) if m is not None),
        {doc: text for doc, text in texts.items() if doc in visible},
    )


def _cited(citations: Iterable[Citation], visible: frozenset[str]) -> tuple[Citation, ...]:
    return tuple(c for c in citations if c.doc in visible)


def _meeting(meeting: Meeting, visible: frozenset[str]) -> Meeting | None:
    """The meeting as its published documents tell it; None before its own first document."""
    sources = _cited(meeting.sources, visible)
    if not sources:
        return None
    chair = meeting.chair
    if chair is not None and chair.sources:
        chair_sources = _cited(chair.sources, visible)
        chair = replace(chair, sources=chair_sources) if chair_sources else None
    number, body_name, number_sources = meeting.number, meeting.body_name, meeting.number_sources
    if number_sources:
        number_sources = _cited(number_sources, visible)
        if not number_sources:
            number, body_name = None, None
    participants = tuple(
        replace(p, sources=cited)
        for p in meeting.participants
        if (cited := _cited(p.sources, visible))
    )
    return replace(
        meeting,
        sources=sources,
        chair=chair,
        number=number,
        body_name=body_name,
        number_sources=number_sources,
        participants=participants,
        # Complete only if whatever listed everyone is out: every participant is attested.
        participants_complete=meeting.participants_complete
        and len(participants) == len(meeting.participants),
        not_briefed=tuple(n for n in meeting.not_briefed if n.doc in visible),
        outcomes=_items(meeting.outcomes, visible),
        positions=_items(meeting.positions, visible),
        events=tuple(e for e in (_event(e, visible) for e in meeting.events) if e is not None),
        talks=_items(meeting.talks, visible),
    )


def _items(items: tuple[T, ...], visible: frozenset[str]) -> tuple[T, ...]:
    return tuple(
        replace(item, sources=cited) for item in items if (cited := _cited(item.sources, visible))
    )


def _event(event: Event, visible: frozenset[str]) -> Event | None:
    """The curator's entry with its published sources and published updates only (the digest
    applies those again); None while no report of it is published."""
    original = event.original or event
    sources = _cited(original.sources, visible)
    if not sources:
        return None
    updates = tuple(
        replace(u, sources=cited) for u in original.updates if (cited := _cited(u.sources, visible))
    )
    return replace(original, sources=sources, updates=updates)
