"""Claims, not sentences: every outcome and position seen as who said it, which document
reports it and how, with its status and time. Built once per digest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.knowledge.dates import When
from bot.knowledge.model import (
    Citation,
    Document,
    Meeting,
    Outcome,
    Position,
    Stance,
    Voice,
)
from bot.knowledge.statuses import says_status


@dataclass(frozen=True)
class Claim:
    """One statement as one document reports it.

    An item citing two documents (allowed in old digests, warned about by `knowledge check`)
    becomes two claims, one per reporting document: two accounts are never merged."""

    id: str
    meeting: Meeting
    joint: bool  # spoken by the meeting's participants jointly (an outcome)
    actor: str  # the joint body for outcomes, else the actor who stated it
    speaker: str | None  # the named person, where the source names one
    topic: str
    summary: str
    document: Document  # the reporting document
    citations: tuple[Citation, ...]
    voice: Voice
    status: str | None  # the source's own word
    at_meeting: bool | None  # None: the sources do not say when or where it was said
    when: When | None  # when it was said: the meeting's date, the claim's own, or unknown
    keywords: tuple[str, ...]
    mentions: tuple[str, ...]
    item: Outcome | Position
    # The status to show beside the summary: none when the summary already says it ("The
    # ministers agreed to …" needs no "· agreed"). Worked out once, with the claim.
    status_tag: str | None = None

    @property
    def main_quote(self) -> str:
        """The longest quote of the claim (a short one may be only its subject)."""
        return max((c.quote for c in self.citations), key=len)

    @property
    def kind(self) -> str:
        """`outcome` or `position`."""
        return "outcome" if self.joint else "position"


def derive_voice(document: Document, joint: bool, actor: str, speaker: str | None) -> Voice:
    """How a document reports a claim, from its stance and who the claim is by."""
    if document.stance is Stance.JOINT:
        return Voice.JOINT if joint else Voice.THIRD_PARTY
    if document.stance is Stance.RELAY:
        return Voice.RELAY if joint else Voice.THIRD_PARTY
    if document.stance is Stance.PARTICIPANT:
        if joint or actor != document.participant:
            return Voice.ACCOUNT
        return Voice.SPEECH if speaker else Voice.OWN
    return Voice.THIRD_PARTY


def claims_of(meeting: Meeting, documents: Mapping[str, Document]) -> list[Claim]:
    """Every claim of a meeting: its outcomes, then its positions, each per reporting document."""
    found: list[Claim] = []
    items: list[tuple[Outcome | Position, bool, str, str]] = [
        (o, True, meeting.body, o.theme) for o in meeting.outcomes
    ]
    items += [(p, False, p.actor, p.topic) for p in meeting.positions]
    for item, joint, actor, topic in items:
        by_document: dict[str, list[Citation]] = {}
        for citation in item.sources:
            by_document.setdefault(citation.doc, []).append(citation)
        for doc_id, citations in by_document.items():
            document = documents[doc_id]
            voice = item.voice or derive_voice(document, joint, actor, item.speaker)
            found.append(
                Claim(
                    id=item.id,
                    meeting=meeting,
                    joint=joint,
                    actor=actor,
                    speaker=item.speaker,
                    topic=topic,
                    summary=item.summary,
                    document=document,
                    citations=tuple(citations),
                    voice=voice,
                    status=item.status,
                    at_meeting=item.at_meeting,
                    when=meeting.date if item.at_meeting else item.when,
                    keywords=item.keywords,
                    mentions=item.mentions,
                    item=item,
                    status_tag=_status_tag(item.status, item.summary),
                )
            )
    return found


def _status_tag(status: str | None, summary: str) -> str | None:
    if status is None or says_status(status, summary):
        return None
    return status
