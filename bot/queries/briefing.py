"""`brief`: one meeting: what, when, where, who; its claims by voice and topic; the events it
referred to and what became of them; its sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.knowledge.claims import Claim
from bot.knowledge.digest import Digest
from bot.knowledge.model import Actor, Document, Meeting, Participant, Talk, Voice
from bot.queries.calendar import Dated, timed_events
from bot.queries.collect import cited_documents, grouped, meeting_citations


@dataclass(frozen=True)
class TopicClaims:
    """Claims on one topic (a theme of outcomes, or a topic of positions)."""

    topic: str
    claims: list[Claim]


@dataclass(frozen=True)
class AccountClaims:
    """What one document reports, in one voice, grouped by topic."""

    document: Document
    voice: Voice
    topics: list[TopicClaims]


@dataclass(frozen=True)
class Speaker:
    """An actor whose own statements the meeting's documents report, and how many."""

    actor: Actor
    count: int
    documents: list[Document]


@dataclass(frozen=True)
class Briefing:
    """What `brief` shows."""

    meeting: Meeting
    chair: Actor
    participants: list[tuple[Actor, Participant]]
    joint: list[TopicClaims]  # what the joint release reports the participants agreed or said
    accounts: list[AccountClaims]  # joint positions as other documents report them
    speakers: list[Speaker]  # whose own statements are recorded (see `positions`)
    referred: list[Dated]  # events referred to at the meeting, with what became of them
    talks: list[tuple[Talk, Actor, list[Actor]]]
    documents: list[Document]
    other_meetings: list[Meeting]


def by_topic(claims: list[Claim]) -> list[TopicClaims]:
    """Claims grouped by topic, in their first-seen order."""
    return [TopicClaims(t, items) for t, items in grouped(claims, lambda c: c.topic).items()]


def brief(digest: Digest, meeting: Meeting, now: datetime, default_tz: tzinfo) -> Briefing:
    """The briefing on one meeting, with the events it referred to judged against now."""
    claims = [c for c in digest.claims if c.meeting.id == meeting.id]
    joint = [c for c in claims if c.joint and c.voice is Voice.JOINT]
    reported = grouped(
        [c for c in claims if c.joint and c.voice is not Voice.JOINT],
        lambda c: f"{c.document.id}\0{c.voice}",
    )
    return Briefing(
        meeting=meeting,
        chair=digest.actor(meeting.chair.actor),
        participants=[(digest.actor(p.actor), p) for p in meeting.participants],
        joint=by_topic(joint),
        accounts=[
            AccountClaims(items[0].document, items[0].voice, by_topic(items))
            for items in reported.values()
        ],
        speakers=_speakers(digest, [c for c in claims if not c.joint]),
        referred=[
            d
            for d in timed_events(digest, now, default_tz, [meeting])
            if d.event.date != meeting.date
        ],
        talks=[
            (t, digest.actor(t.actor), [digest.actor(c) for c in t.counterparts])
            for t in meeting.talks
        ],
        documents=cited_documents(digest, meeting_citations(meeting)),
        other_meetings=[m for m in digest.meetings if m.id != meeting.id],
    )


def _speakers(digest: Digest, claims: list[Claim]) -> list[Speaker]:
    found = grouped(claims, lambda c: c.actor)
    return [
        Speaker(
            digest.actor(actor),
            len(items),
            list({c.document.id: c.document for c in items}.values()),
        )
        for actor, items in found.items()
    ]
