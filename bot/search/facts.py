"""A meeting's curated fields as answers: who the sources place there (and whether their list
is complete), who chaired, where and when; and yes-or-no answers to "did X attend / chair /
host", each with the citation that says so, or saying plainly that no source records it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.knowledge.digest import Digest
from bot.knowledge.model import Actor, Citation, Meeting, Participant
from bot.queries.lookup import has_begun, latest_first
from bot.queries.positions import statements
from bot.search.reading import Aspect, Direction, Reading

MAX_MEETINGS = 3  # "who chaired the meetings": the most recent ones
FACT_ASPECTS = frozenset({Aspect.ATTENDANCE, Aspect.CHAIR, Aspect.HOST, Aspect.SILENT})
WHERE_WHEN = frozenset({Aspect.PLACE, Aspect.DATE})


@dataclass(frozen=True)
class MeetingFacts:
    """A meeting as its curated fields give it, for the question asked."""

    meeting: Meeting
    chair: Actor | None  # None: no source published by now names the chair
    # Each participant the sources name, its attestation, and its own statements there.
    participants: tuple[tuple[Actor, Participant, int], ...]
    show_participants: bool
    show_silent: bool  # mark who has no statement of its own ("who said nothing")
    itself: tuple[str, ...]  # the meeting's own events: these facts show them

    @property
    def complete(self) -> bool:
        """True when a source (published by now) lists everyone who took part."""
        return self.meeting.participants_complete


@dataclass(frozen=True)
class Verdict:
    """A yes-or-no answer about an actor at a meeting, with what says so."""

    asked: str  # "attended", "chaired", "hosted" or "said"
    actor: Actor
    meeting: Meeting | None
    yes: bool
    citations: tuple[Citation, ...] = ()
    role: str | None = None
    chair: Actor | None = None  # the chair the sources name, when it is another actor
    absence: bool = False  # asked as "did X skip it": a plain yes or no would mislead


def meetings_asked(digest: Digest, reading: Reading, now: datetime) -> list[Meeting]:
    """The meetings a question is about: those whose place or year it names, the one it names
    by order ("the previous meeting"), else the latest held as of now."""
    ordered = sorted(digest.meetings, key=latest_first, reverse=True)
    if reading.places:
        return [m for m in ordered if m.id in reading.places][:MAX_MEETINGS]
    if reading.years:
        wanted = set(reading.years)
        return [m for m in ordered if _years(m) & wanted][:MAX_MEETINGS]
    held = [m for m in ordered if has_begun(m, now)]
    if reading.which == "previous":
        return held[1:2]
    if reading.which == "first":
        return held[-1:]
    if reading.which == "all":
        return held[:MAX_MEETINGS]
    return held[:1]


def named_meetings(digest: Digest, reading: Reading, now: datetime) -> frozenset[str]:
    """The meetings a question names (by place, or by order: "the last meeting"); what its
    answer is limited to. Empty when it names none."""
    if reading.places:
        return reading.places
    if reading.which in ("latest", "previous", "first"):
        return frozenset(m.id for m in meetings_asked(digest, reading, now))
    return frozenset()


def _years(meeting: Meeting) -> set[int]:
    first, last = meeting.date.first, meeting.date.last
    return set() if first is None or last is None else set(range(first.year, last.year + 1))


def wants_facts(reading: Reading) -> bool:
    """Whether a question asks what a meeting's curated fields answer (who was there, who
    chaired; where or when a meeting was): not a meeting still ahead, which has no such fields."""
    if reading.direction is Direction.AHEAD and not (reading.places or reading.years):
        return False
    if reading.other_event and not reading.meeting_asked:
        return False  # "did Belarus host the exercise": about the event, not the meeting
    if reading.aspects == {Aspect.HOST} and not (reading.polar or reading.asks_who):
        return False  # "what did Pakistan agree to host": an event, not this meeting's host
    if reading.aspects & FACT_ASPECTS:
        return True
    return bool(reading.aspects & WHERE_WHEN) and reading.meeting_asked


def meeting_facts(digest: Digest, reading: Reading, meeting: Meeting) -> MeetingFacts:
    """A meeting's curated fields, with each participant's count of its own statements there."""
    stated = statements(digest)
    participants = tuple(
        (
            digest.actor(p.actor),
            p,
            sum(1 for c in stated.get(p.actor, ()) if c.meeting.id == meeting.id),
        )
        for p in meeting.participants
    )
    itself = tuple(e.id for e in meeting.events if e.kind == "meeting" and e.date == meeting.date)
    asks_who = bool(reading.aspects & {Aspect.ATTENDANCE, Aspect.SILENT})
    return MeetingFacts(
        meeting=meeting,
        chair=digest.actor(meeting.chair.actor) if meeting.chair else None,
        participants=participants,
        show_participants=asks_who or (reading.polar and reading.subject is not None),
        show_silent=Aspect.SILENT in reading.aspects,
        itself=itself,
    )


def verdict(digest: Digest, reading: Reading, meeting: Meeting) -> Verdict | None:
    """ "Did X chair / host / attend the meeting": yes with the citation, or no."""
    subject = reading.subject
    if not reading.polar or subject is None or subject == meeting.body:
        return None
    actor = digest.actor(subject)
    if Aspect.HOST in reading.aspects:
        return _hosted(actor, meeting)
    if Aspect.CHAIR in reading.aspects:
        chair = meeting.chair
        if chair is not None and chair.actor == subject:
            return Verdict("chaired", actor, meeting, True, chair.sources)
        other = digest.actor(chair.actor) if chair else None
        return Verdict(
            "chaired", actor, meeting, False, chair.sources if chair else (), None, other
        )
    if Aspect.ATTENDANCE in reading.aspects:
        for p in meeting.participants:
            if p.actor == subject:
                return Verdict(
                    "attended", actor, meeting, True, p.sources, p.role, absence=reading.absence
                )
        return Verdict("attended", actor, meeting, False, absence=reading.absence)
    return None


def _hosted(actor: Actor, meeting: Meeting) -> Verdict:
    """Hosting, as the place the sources give says it: the meeting was in the actor's land."""
    names = {actor.name.casefold(), actor.id.casefold(), *(a.casefold() for a in actor.aliases)}
    parts = {p.strip().casefold() for p in meeting.place.split(",")}
    return Verdict("hosted", actor, meeting, bool(names & parts), meeting.sources)
