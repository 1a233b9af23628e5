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

JOINT_WORDS = frozenset({Voice.JOINT, Voice.RELAY})


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
    chair: Actor | None  # None: no source (published by now) names the chair
    participants: list[tuple[Actor, Participant]]
    joint: list[TopicClaims]  # what the joint release reports the participants agreed or said
    accounts: list[AccountClaims]  # joint positions as other documents report them
    speakers: list[Speaker]  # whose own statements are recorded (see `positions`)
    referred: list[Dated]  # events referred to at the meeting, with what became of them
    background: list[Dated]  # events its documents mention as background, not at the meeting
    talks: list[tuple[Talk, Actor, list[Actor]]]
    documents: list[Document]
    other_meetings: list[Meeting]


def by_topic(claims: list[Claim]) -> list[TopicClaims]:
    """Claims grouped by topic, in their first-seen order."""
    return [TopicClaims(t, items) for t, items in grouped(claims, lambda c: c.topic).items()]


def brief(digest: Digest, meeting: Meeting, now: datetime, default_tz: tzinfo) -> Briefing:
    """The briefing on one meeting, with the events it referred to judged against now."""
    claims = [c for c in digest.claims if c.meeting.id == meeting.id]
    # The joint release's words, as it gives them or as a relay reproduces them (a relay's only
    # while the release's own claim of the same words is not out).
    own = {(c.topic, c.summary) for c in claims if c.joint and c.voice is Voice.JOINT}
    joint = [
        c
        for c in claims
        if c.joint
        and (c.voice is Voice.JOINT or (c.voice is Voice.RELAY and (c.topic, c.summary) not in own))
    ]
    reported = grouped(
        [c for c in claims if c.joint and c.voice not in JOINT_WORDS],
        lambda c: f"{c.document.id}\0{c.voice}",
    )
    events = [
        d for d in timed_events(digest, now, default_tz, [meeting]) if not _itself(d, meeting)
    ]
    return Briefing(
        meeting=meeting,
        chair=digest.actor(meeting.chair.actor) if meeting.chair else None,
        participants=[(digest.actor(p.actor), p) for p in meeting.participants],
        joint=by_topic(joint),
        accounts=[
            AccountClaims(items[0].document, items[0].voice, by_topic(items))
            for items in reported.values()
        ],
        speakers=_speakers(digest, [c for c in claims if not c.joint]),
        referred=[d for d in events if d.event.at_meeting],
        background=[d for d in events if not d.event.at_meeting],
        talks=[
            (t, digest.actor(t.actor), [digest.actor(c) for c in t.counterparts])
            for t in meeting.talks
        ],
        documents=cited_documents(digest, meeting_citations(meeting)),
        other_meetings=[m for m in digest.meetings if m.id != meeting.id],
    )


def _itself(dated: Dated, meeting: Meeting) -> bool:
    """The meeting's own event (a meeting on the meeting's own dates): not "referred to"."""
    return dated.event.kind == "meeting" and dated.event.date == meeting.date


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
