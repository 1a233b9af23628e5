"""`positions`: what an actor stated (or, for a meeting's joint body, the outcomes it reports),
by topic, newest meetings first; and what else the digest says that concerns the actor."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.knowledge.claims import Claim
from bot.knowledge.digest import Digest
from bot.knowledge.model import Actor, Document, Event, Meeting, Talk
from bot.queries.briefing import JOINT_WORDS, TopicClaims, by_topic
from bot.queries.collect import cited_documents, grouped
from bot.queries.lookup import latest_first

# What one Slack message comfortably holds; the reply says how many more there are.
POSITIONS_SHOWN = 25
MENTIONS_SHOWN = 10


@dataclass(frozen=True)
class Mention:
    """A claim or an event that concerns an actor without being its statement."""

    meeting: Meeting
    claim: Claim | None = None
    event: Event | None = None


@dataclass(frozen=True)
class ActorPositions:
    """What `positions <actor> [meeting]` shows: the most recent meetings' statements that fit
    in one reply, which earlier meetings hold the rest, and what else concerns the actor."""

    actor: Actor
    joint_body: bool  # the actor speaks for meetings jointly: its statements are outcomes
    topics: list[TopicClaims]
    documents: list[Document]
    appearances: list[tuple[Meeting, str | None]]
    talks: list[tuple[Talk, Actor, list[Actor]]]
    mentions: list[Mention]
    meeting: Meeting | None = None  # the one meeting asked for, if any
    earlier: list[tuple[Meeting, int]] = field(default_factory=list)  # not shown: (meeting, count)
    shown: int = 0
    total: int = 0
    more_mentions: int = 0


def statements(digest: Digest) -> Mapping[str, list[Claim]]:
    """Every actor's claims, most recent meeting first; worked out once per digest."""
    return digest.memoized("statements", lambda: _statements(digest))


def _statements(digest: Digest) -> Mapping[str, list[Claim]]:
    order = {m.id: i for i, m in enumerate(sorted(digest.meetings, key=latest_first, reverse=True))}
    found: dict[str, list[Claim]] = {}
    for claim in sorted(digest.claims, key=lambda c: order[c.meeting.id]):
        found.setdefault(claim.actor, []).append(claim)
    return found


def mentions(digest: Digest) -> Mapping[str, list[Mention]]:
    """Claims and events concerning each actor other than its own statements: those listing it
    under `mentions`, and those naming it in their words; worked out once per digest."""
    return digest.memoized("mentions", lambda: _mentions(digest))


def _mentions(digest: Digest) -> Mapping[str, list[Mention]]:
    names = {a.id: re.compile(rf"\b{re.escape(a.name)}\b", re.IGNORECASE) for a in digest.actors}
    found: dict[str, list[Mention]] = {}
    for claim in digest.claims:
        for actor_id, name in names.items():
            if actor_id != claim.actor and (
                actor_id in claim.mentions or name.search(claim.summary)
            ):
                found.setdefault(actor_id, []).append(Mention(claim.meeting, claim=claim))
    for event in digest.events_by_id.values():
        meeting = digest.event_meetings[event.id]
        for actor_id, name in names.items():
            if actor_id in event.mentions or name.search(f"{event.title} {event.place or ''}"):
                found.setdefault(actor_id, []).append(Mention(meeting, event=event))
    return found


def positions(
    digest: Digest, actor: Actor, meeting: Meeting | None = None, limit: int = POSITIONS_SHOWN
) -> ActorPositions:
    """An actor's statements grouped by topic, most recent meeting first: whole meetings while
    they fit in `limit` statements (always the latest), the rest named as earlier."""
    stated = statements(digest).get(actor.id, [])
    concerning = mentions(digest).get(actor.id, [])
    if meeting is not None:
        stated = [c for c in stated if c.meeting.id == meeting.id]
        concerning = [m for m in concerning if m.meeting.id == meeting.id]
    shown: list[Claim] = []
    earlier: list[tuple[Meeting, int]] = []
    for claims in grouped(stated, lambda c: c.meeting.id).values():
        if shown and (earlier or len(shown) + len(claims) > limit):
            earlier.append((claims[0].meeting, len(claims)))
        else:
            shown += claims
    return ActorPositions(
        actor=actor,
        joint_body=any(m.body == actor.id for m in digest.meetings),
        topics=by_topic(shown),
        documents=cited_documents(digest, [c for claim in shown for c in claim.citations]),
        appearances=_appearances(digest, actor, meeting),
        talks=_talks(digest, actor, meeting),
        mentions=concerning[:MENTIONS_SHOWN],
        meeting=meeting,
        earlier=earlier,
        shown=len(shown),
        total=len(stated),
        more_mentions=max(0, len(concerning) - MENTIONS_SHOWN),
    )


def _appearances(
    digest: Digest, actor: Actor, meeting: Meeting | None
) -> list[tuple[Meeting, str | None]]:
    return [
        (m, p.role)
        for m in digest.meetings
        if meeting is None or m.id == meeting.id
        for p in m.participants
        if p.actor == actor.id
    ]


def _talks(
    digest: Digest, actor: Actor, meeting: Meeting | None
) -> list[tuple[Talk, Actor, list[Actor]]]:
    return [
        (t, digest.actor(t.actor), [digest.actor(c) for c in t.counterparts])
        for m in digest.meetings
        if meeting is None or m.id == meeting.id
        for t in m.talks
        if actor.id == t.actor or actor.id in t.counterparts
    ]


@dataclass(frozen=True)
class ActorSummary:
    """An actor and how many statements the digest records for it."""

    actor: Actor
    count: int
    joint_body: bool = False
    # Of a joint body's outcomes: how many the joint release gives in its own words (or as a
    # relay reproduces them); the rest are other accounts' reports of joint positions.
    joint_words: int = 0


def actors_known(digest: Digest) -> list[ActorSummary]:
    """Every actor with the number of statements recorded for it, most first."""
    stated = statements(digest)
    bodies = {m.body for m in digest.meetings}
    rows = [
        ActorSummary(
            a,
            len(stated.get(a.id, [])),
            a.id in bodies,
            sum(1 for c in stated.get(a.id, []) if c.voice in JOINT_WORDS),
        )
        for a in digest.actors
    ]
    return sorted(rows, key=lambda r: -r.count)
