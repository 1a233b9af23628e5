"""`positions`: what an actor stated, by topic, newest meetings first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.knowledge.digest import Digest
from bot.knowledge.schema import Actor, Citation, Document, Meeting, Talk
from bot.queries.collect import cited_documents, grouped
from bot.queries.lookup import latest_first

# What one Slack message comfortably holds; the reply says how many more there are.
POSITIONS_SHOWN = 25


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


def statements(digest: Digest) -> Mapping[str, list[tuple[str, Stated]]]:
    """Every actor's statements (topic, what), most recent meeting first; once per digest."""
    cached: Mapping[str, list[tuple[str, Stated]]] | None = digest.memo.get("statements")
    if cached is not None:
        return cached
    found: dict[str, list[tuple[str, Stated]]] = {}
    for meeting in sorted(digest.meetings, key=latest_first, reverse=True):
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
    stated = statements(digest).get(actor.id, [])
    if meeting is not None:
        stated = [pair for pair in stated if pair[1].meeting.id == meeting.id]
    shown: list[tuple[str, Stated]] = []
    earlier: list[tuple[Meeting, int]] = []
    for pairs in grouped(stated, lambda pair: pair[1].meeting.id).values():
        if shown and (earlier or len(shown) + len(pairs) > limit):
            earlier.append((pairs[0][1].meeting, len(pairs)))
        else:
            shown += pairs
    groups = grouped(shown, lambda pair: pair[0])
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
    stated = statements(digest)
    rows = [ActorSummary(a, len(stated.get(a.id, []))) for a in digest.actors]
    return sorted(rows, key=lambda r: -r.count)
